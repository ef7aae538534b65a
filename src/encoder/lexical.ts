/**
 * The lexical (BM25) encoder, the default when no model is configured. Documents: term
 * frequencies + length (BM25 weights are applied at seal time); queries: qtf · Lucene IDF from
 * live statistics, encoded inline. Small document batches are encoded inline too; large ones go
 * to the worker pool so the event loop stays free.
 */
import type { SparseVector, TermId } from '../core/types.js';
import type { EncoderPool } from '../workers/pool.js';
import { getAnalyzer, type AnalyzerName } from './analyzer.js';
import { bm25QueryVector } from './bm25.js';
import { analyzeToIds, encodeLexicalDocument } from './lexical-document.js';
import { murmur3 } from './murmur3.js';
import { TokenMemory } from './token-memory.js';
import type { TokenOffsets } from './tokenizer.js';
import { checkText, checkTexts } from './check-input.js';
import type { CorpusStats, EncodedDocument, SparseEncoder } from './types.js';

/** Batches with more characters than this go to the pool (about 1 ms of analysis inline). */
export const LEXICAL_INLINE_CHARS = 64 * 1024;
const DOCS_PER_TASK = 256;

export class LexicalEncoder implements SparseEncoder {
  readonly kind = 'lexical';
  readonly weighting = 'bm25';
  readonly version: string;
  private readonly analyzer;
  private readonly memory = new TokenMemory();

  constructor(
    readonly analyzerName: AnalyzerName,
    private readonly pool?: () => EncoderPool,
  ) {
    this.analyzer = getAnalyzer(analyzerName);
    this.version = `lexical:${analyzerName}:murmur3`;
  }

  async encodeDocuments(texts: string[]): Promise<EncodedDocument[]> {
    checkTexts(texts);
    const chars = texts.reduce((n, t) => n + t.length, 0);
    const docs =
      this.pool !== undefined && chars > LEXICAL_INLINE_CHARS
        ? await this.pool().runAll({ kind: 'lexical', analyzer: this.analyzerName }, texts, DOCS_PER_TASK)
        : texts.map((t) => encodeLexicalDocument(this.analyzer, t));
    for (const d of docs) if (d.tokens !== undefined) this.memory.remember(d.vector.indices, d.tokens);
    return docs;
  }

  async encodeQuery(text: string, stats: CorpusStats): Promise<SparseVector> {
    return this.encodeQuerySync(text, stats);
  }

  /** The same, synchronously (benchmarks, callers on a hot path). */
  encodeQuerySync(text: string, stats: CorpusStats): SparseVector {
    checkText(text);
    const { ids, tokens } = analyzeToIds(this.analyzer, text);
    this.memory.remember(ids, tokens);
    return bm25QueryVector(ids, stats);
  }

  tokenOffsets(text: string): TokenOffsets {
    checkText(text);
    const out: TokenOffsets = { ids: [], starts: [], ends: [] };
    this.analyzer.forEachTokenAt(text, (token, start, end) => {
      out.ids.push(murmur3(token));
      out.starts.push(start);
      out.ends.push(end);
    });
    return out;
  }

  tokenOf(id: TermId): string | undefined {
    return this.memory.get(id);
  }

  async close(): Promise<void> {}
}
