/**
 * Lexical document encoding (pure, runs inline or in a worker): analyzed tokens -> term
 * frequencies keyed by murmur3 term ids, the document length in tokens, and each id's token.
 */
import type { TermId } from '../core/types.js';
import type { Analyzer } from './analyzer.js';
import { murmur3 } from './murmur3.js';
import type { EncodedDocument } from './types.js';

export function analyzeToIds(analyzer: Analyzer, text: string): { ids: TermId[]; tokens: string[] } {
  const tokens: string[] = [];
  analyzer.analyze(text, tokens);
  return { ids: tokens.map((t) => murmur3(t)), tokens };
}

export function encodeLexicalDocument(analyzer: Analyzer, text: string): EncodedDocument {
  const counts = new Map<string, number>();
  let length = 0;
  analyzer.forEachToken(text, (token) => {
    counts.set(token, (counts.get(token) ?? 0) + 1);
    length++;
  });
  const entries = [...counts].map(([token, tf]) => ({ id: murmur3(token), token, tf }));
  entries.sort((a, b) => a.id - b.id || (a.token < b.token ? -1 : 1));
  const indices: number[] = [];
  const values: number[] = [];
  const tokens: string[] = [];
  for (const e of entries) {
    // A hash collision inside one document merges the counts under the first token.
    if (indices.length > 0 && indices[indices.length - 1] === e.id) values[values.length - 1] += e.tf;
    else {
      indices.push(e.id);
      values.push(e.tf);
      tokens.push(e.token);
    }
  }
  return { vector: { indices: Uint32Array.from(indices), values: Float32Array.from(values) }, length, tokens };
}
