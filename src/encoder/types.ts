/**
 * The encoder contract. An encoder turns text into sparse vectors over a vocabulary of term ids.
 * Three kinds: "splade" (an ONNX model), "lexical" (BM25 over an analyzer; the default) and the
 * query-side variants (inference-free, siamese, lexical).
 */
import type { SparseVector, TermId } from '../core/types.js';
import type { TokenOffsets } from './tokenizer.js';

/** One encoded document. For lexical encoders `vector` holds raw term frequencies and `length`
 * the document length in tokens: BM25 weights are computed when a segment is sealed (avgdl frozen
 * in its header) and at query time for the mutable segment. For SPLADE `vector` holds final weights. */
export interface EncodedDocument {
  vector: SparseVector;
  length: number;
  /** Lexical only: the analyzed token of each entry of vector.indices (term ids are a 32-bit hash
   * of the token, so workers need no shared dictionary; the collection records id -> token for
   * explain). */
  tokens?: string[];
}

/** Term ids <-> tokens. Lexical collections grow their vocabulary as text arrives; model
 * vocabularies are fixed. */
export interface Vocabulary {
  readonly size: number;
  idOf(token: string): TermId | undefined;
  tokenOf(id: TermId): string | undefined;
}

/** Live collection statistics, for BM25 query weighting (Lucene IDF) and mutable-segment scoring. */
export interface CorpusStats {
  numDocs: number;
  /** document frequency of a term among live documents */
  docFreq(term: TermId): number;
  avgDocLength: number;
}

export interface SparseEncoder {
  /** "lexical" | "splade" */
  readonly kind: 'lexical' | 'splade';
  /** Identifies encoder + model version; stored beside each vector so nothing is re-encoded. */
  readonly version: string;
  /** Whether stored vectors are term frequencies that need BM25 weighting (lexical). */
  readonly weighting: 'bm25' | 'none';
  /** Documents, in bulk (may run in the worker pool). */
  encodeDocuments(texts: string[]): Promise<EncodedDocument[]>;
  /** A query. Inline (synchronous work) for inference-free and lexical; the model for siamese. */
  encodeQuery(text: string, stats: CorpusStats): Promise<SparseVector>;
  /** The tokens the document encoder reads from `text` (at most as many as it reads), with their
   * term ids as in its vectors and their [start, end) in `text` (UTF-16): for highlighting. */
  tokenOffsets(text: string): TokenOffsets;
  /** SPLADE: runs the model on `text` and tells, per term of its vector, the index of the token (in
   * tokenOffsets(text)) whose logit gives the term its weight (negative: [CLS] -1, [SEP] -2), or
   * 'pooled' when the model's output is already pooled. */
  attribute?(text: string): Promise<Map<TermId, number> | 'pooled'>;
  /** Token text for a term id (explain, /v1/encode). */
  tokenOf(id: TermId): string | undefined;
  /** Term id of a token, for encoders with a fixed vocabulary (SPLADE: the model's ids). Lexical
   * encoders leave it out: their ids are hashes, and the collection's term table knows the tokens. */
  idOf?(token: string): TermId | undefined;
  close(): Promise<void>;
}
