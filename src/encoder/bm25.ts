/**
 * BM25 as sparse vectors, Lucene's formula (BM25Similarity, without the constant (k1 + 1) factor,
 * which does not change rankings):
 *   score(q, d) = Σ_t∈q qtf(t) · idf(t) · tf / (tf + k1 · (1 − b + b · dl / avgdl))
 * Documents store raw term frequencies and their length, in SQLite and in sealed segments alike;
 * every segment scores them with the live average length (the native code for sealed segments,
 * bm25DocWeight for the mutable one; bm25DocumentWeights gives the weights a segment's summaries
 * are built from). Queries carry qtf(t) · idf(t) from live statistics: a repeated query term counts
 * once per occurrence, as a repeated clause does in Lucene and Anserini. Pure.
 */
import type { SparseVector, TermId } from '../core/types.js';
import type { CorpusStats } from './types.js';

export interface Bm25Params {
  k1: number;
  b: number;
}

/** Fixed up front (Lucene's defaults), never tuned on evaluation queries. */
export const BM25_PARAMS: Readonly<Bm25Params> = Object.freeze({ k1: 1.2, b: 0.75 });

/** Lucene's IDF: log(1 + (N − df + 0.5) / (df + 0.5)); never negative. */
export function luceneIdf(numDocs: number, docFreq: number): number {
  return Math.log(1 + (numDocs - docFreq + 0.5) / (docFreq + 0.5));
}

/** BM25 document weights from term frequencies: tf / (tf + k1 · (1 − b + b · length / avgdl)). */
export function bm25DocumentWeights(tf: SparseVector, length: number, avgdl: number, params: Bm25Params = BM25_PARAMS): SparseVector {
  const norm = params.k1 * (1 - params.b + (params.b * length) / (avgdl > 0 ? avgdl : 1));
  const values = new Float32Array(tf.values.length);
  for (let i = 0; i < values.length; i++) values[i] = tf.values[i] / (tf.values[i] + norm);
  return { indices: tf.indices, values };
}

/** Term ids with their counts, ids ascending. */
export function countTerms(ids: readonly TermId[]): SparseVector {
  const sorted = new Uint32Array(ids).sort();
  const indices: number[] = [];
  const values: number[] = [];
  for (let i = 0; i < sorted.length; i++) {
    if (i > 0 && sorted[i] === sorted[i - 1]) values[values.length - 1]++;
    else {
      indices.push(sorted[i]);
      values.push(1);
    }
  }
  return { indices: new Uint32Array(indices), values: new Float32Array(values) };
}

/** Query vector: qtf · idf per distinct term; terms absent from the collection (df = 0) are kept
 * (their idf is the largest possible) so a later document can still match. */
export function bm25QueryVector(termIds: readonly TermId[], stats: CorpusStats): SparseVector {
  const counts = countTerms(termIds);
  const values = new Float32Array(counts.values.length);
  for (let i = 0; i < values.length; i++) values[i] = counts.values[i] * luceneIdf(stats.numDocs, stats.docFreq(counts.indices[i]));
  return { indices: counts.indices, values };
}
