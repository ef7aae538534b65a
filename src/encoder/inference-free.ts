/**
 * Inference-free query encoding (OpenSearch's doc-only mode): each distinct query token weighted
 * once by idf[token]; special tokens dropped; no model run. Pure and synchronous.
 */
import type { SparseVector } from '../core/types.js';
import type { BertTokenizer } from './tokenizer.js';

/** Query tokens read at most (a query longer than this is cut). */
export const MAX_QUERY_TOKENS = 4096;

export function inferenceFreeQuery(tokenizer: BertTokenizer, idf: Float32Array, text: string): SparseVector {
  const ids = tokenizer.encode(text, MAX_QUERY_TOKENS);
  const distinct = Uint32Array.from(new Set(ids)).sort();
  const indices: number[] = [];
  const values: number[] = [];
  for (const id of distinct) {
    if (tokenizer.specialIds.has(id) || !(idf[id] > 0)) continue;
    indices.push(id);
    values.push(idf[id]);
  }
  return { indices: Uint32Array.from(indices), values: Float32Array.from(values) };
}
