/** Shared by index tests and benchmarks: recall against a reference, and a float32 brute force. */
import type { CsrBatch } from '../../src/core/types.js';
import type { SearchResult } from '../../src/index/native-types.js';

/** Mean over queries of |approx top-k ∩ reference top-k| / |reference top-k| (queries with no reference hit count 1). */
export function recallAtK(reference: SearchResult, approx: SearchResult, k: number): number {
  const nq = reference.offsets.length - 1;
  let sum = 0;
  for (let q = 0; q < nq; q++) {
    const want = reference.docnos.subarray(reference.offsets[q], Math.min(reference.offsets[q + 1], reference.offsets[q] + k));
    if (want.length === 0) {
      sum += 1;
      continue;
    }
    const got = new Set(approx.docnos.subarray(approx.offsets[q], Math.min(approx.offsets[q + 1], approx.offsets[q] + k)));
    let hits = 0;
    for (const d of want) if (got.has(d)) hits++;
    sum += hits / want.length;
  }
  return sum / nq;
}

export interface BruteHit {
  docno: number;
  score: number;
}

/**
 * Top-k by inner product in float32, products summed in ascending term order (the arithmetic the
 * native exact search promises); score > 0 only; ties by docno ascending. An independent oracle.
 */
export function bruteForce(docs: CsrBatch, docnos: Uint32Array, query: { indices: Uint32Array; values: Float32Array }, k: number, accept: (docno: number) => boolean = () => true): BruteHit[] {
  const qv = new Map<number, number>();
  query.indices.forEach((t, i) => qv.set(t, query.values[i]));
  const hits: BruteHit[] = [];
  for (let r = 0; r + 1 < docs.indptr.length; r++) {
    if (!accept(docnos[r])) continue;
    let s = 0;
    for (let i = docs.indptr[r]; i < docs.indptr[r + 1]; i++) {
      const w = qv.get(docs.indices[i]);
      if (w !== undefined) s = Math.fround(s + Math.fround(w * docs.values[i]));
    }
    if (s > 0) hits.push({ docno: docnos[r], score: s });
  }
  hits.sort((a, b) => b.score - a.score || a.docno - b.docno);
  return hits.slice(0, k);
}

/** Query q of a batch as its own vector. */
export function rowOf(batch: CsrBatch, q: number): { indices: Uint32Array; values: Float32Array } {
  return { indices: batch.indices.subarray(batch.indptr[q], batch.indptr[q + 1]), values: batch.values.subarray(batch.indptr[q], batch.indptr[q + 1]) };
}

/** Hits of query q of a result. */
export function hitsOf(result: SearchResult, q: number): BruteHit[] {
  const out: BruteHit[] = [];
  for (let i = result.offsets[q]; i < result.offsets[q + 1]; i++) out.push({ docno: result.docnos[i], score: result.scores[i] });
  return out;
}

/** x rounded to binary16 (round to nearest, ties to even; x finite, >= 0, within range). */
export function toHalf(x: number): number {
  if (x === 0) return 0;
  const ulp = x < 2 ** -14 ? 2 ** -24 : 2 ** (Math.floor(Math.log2(x)) - 10);
  const y = x / ulp;
  const f = Math.floor(y);
  const d = y - f;
  return (d > 0.5 || (d === 0.5 && f % 2 === 1) ? f + 1 : f) * ulp;
}

/**
 * The weights a Seismic segment stores for these rows (native/src/seismic_segment.cc): binary16
 * under the power-of-two scale that puts the segment's largest weight in [2^14, 2^15). Exact search
 * over a segment equals bruteForce over these rows.
 */
export function storedWeights(docs: CsrBatch): CsrBatch {
  let max = 0;
  for (const v of docs.values) max = Math.max(max, v);
  const scale = max > 0 ? 2 ** (Math.floor(Math.log2(max)) - 14) : 1;
  return { ...docs, values: docs.values.map((v) => toHalf(v / scale) * scale) };
}
