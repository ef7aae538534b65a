/**
 * What crosses between the encoder pool and its workers. Results travel as one CSR batch of
 * TypedArrays that are transferred, not copied; lexical tokens as one space-joined string per
 * document (analyzed tokens never contain whitespace).
 */
import type { AnalyzerName } from '../encoder/analyzer.js';
import type { PruneOptions } from '../encoder/splade-math.js';
import type { EncodedDocument } from '../encoder/types.js';

export type EncoderSpec =
  | { kind: 'lexical'; analyzer: AnalyzerName }
  | { kind: 'splade'; modelDir: string; prune?: PruneOptions; maxChunks?: number; intraOpThreads: number }
  // dense embeddings travel as rows whose indices are 0..dims-1 (src/encoder/dense.ts)
  | { kind: 'dense'; modelDir: string; pooling: 'mean' | 'cls'; normalize: boolean; intraOpThreads: number };

export interface EncodeTask {
  spec: EncoderSpec;
  texts: string[];
  /** SPLADE only: answer, per term of each vector, the token position of its max instead of its weight
   * (SpladeDocumentEncoder.attribute); `pooled` in the reply when the model cannot tell */
  attribute?: boolean;
}

export interface PackedDocuments {
  lengths: Uint32Array;
  indptr: Uint32Array;
  indices: Uint32Array;
  values: Float32Array;
  /** lexical: per document, the token of every entry in order, joined by ' ' */
  tokens?: string[];
}

export type EncodeReply = { ok: true; docs: PackedDocuments; pooled?: boolean } | { ok: false; code: string; message: string };

/** A stable key for caching one encoder per spec inside a worker. */
export function specKey(spec: EncoderSpec): string {
  return JSON.stringify(spec);
}

export function packDocuments(docs: readonly EncodedDocument[]): PackedDocuments {
  const lengths = new Uint32Array(docs.length);
  const indptr = new Uint32Array(docs.length + 1);
  docs.forEach((d, i) => {
    lengths[i] = d.length;
    indptr[i + 1] = indptr[i] + d.vector.indices.length;
  });
  const nnz = indptr[docs.length];
  const indices = new Uint32Array(nnz);
  const values = new Float32Array(nnz);
  docs.forEach((d, i) => {
    indices.set(d.vector.indices, indptr[i]);
    values.set(d.vector.values, indptr[i]);
  });
  const withTokens = docs.length > 0 && docs.every((d) => d.tokens !== undefined);
  return { lengths, indptr, indices, values, tokens: withTokens ? docs.map((d) => (d.tokens as string[]).join(' ')) : undefined };
}

/** Views into the packed arrays (no copies). */
export function unpackDocuments(p: PackedDocuments): EncodedDocument[] {
  const docs: EncodedDocument[] = [];
  for (let i = 0; i < p.lengths.length; i++) {
    const [start, end] = [p.indptr[i], p.indptr[i + 1]];
    docs.push({
      vector: { indices: p.indices.subarray(start, end), values: p.values.subarray(start, end) },
      length: p.lengths[i],
      tokens: p.tokens === undefined ? undefined : p.tokens[i] === '' ? [] : p.tokens[i].split(' '),
    });
  }
  return docs;
}

export function transferablesOf(p: PackedDocuments): ArrayBuffer[] {
  return [p.lengths.buffer, p.indptr.buffer, p.indices.buffer, p.values.buffer] as ArrayBuffer[];
}
