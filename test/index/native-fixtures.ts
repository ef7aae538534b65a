/** Seeded random and adversarial CSR data for the native-core tests (not a test file itself). */
import type { CsrBatch } from '../../src/core/types.js';
import type { SearchResult } from '../../src/index/native-types.js';
import { rng } from '../engine/helpers.js';

export { rng };

/** Rows given as [termId, weight] pairs (any order; sorted here). */
export function csr(rows: Array<Array<[number, number]>>): CsrBatch {
  const nnz = rows.reduce((n, r) => n + r.length, 0);
  const indptr = new Uint32Array(rows.length + 1);
  const indices = new Uint32Array(nnz);
  const values = new Float32Array(nnz);
  let at = 0;
  rows.forEach((row, r) => {
    for (const [t, w] of [...row].sort((a, b) => a[0] - b[0])) {
      indices[at] = t;
      values[at] = w;
      at++;
    }
    indptr[r + 1] = at;
  });
  return { indptr, indices, values };
}

export interface RandomRowsOptions {
  rows: number;
  vocab: number; // term ids drawn from [0, vocab) (may be 2^32)
  minLen: number;
  maxLen: number;
  /** Weights from this small set (ties) instead of continuous values. */
  weightLevels?: number;
}

export function randomRows(seed: number, o: RandomRowsOptions): CsrBatch {
  const next = rng(seed);
  const rows: Array<Array<[number, number]>> = [];
  for (let r = 0; r < o.rows; r++) {
    const len = o.minLen + Math.floor(next() * (o.maxLen - o.minLen + 1));
    const terms = new Map<number, number>();
    // Zipf-ish skew so that some terms have long posting lists.
    while (terms.size < Math.min(len, o.vocab)) {
      const t = Math.floor(o.vocab * next() ** 3);
      const w = o.weightLevels ? (1 + Math.floor(next() * o.weightLevels)) / 4 : next() * 3;
      terms.set(t, w);
    }
    rows.push([...terms.entries()]);
  }
  return csr(rows);
}

/** docnos 0..n-1 shuffled, spread out (times 3) so they differ from row numbers. */
export function shuffledDocnos(n: number, seed: number): Uint32Array {
  const next = rng(seed);
  const d = Uint32Array.from({ length: n }, (_, i) => i * 3 + 1);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(next() * (i + 1));
    [d[i], d[j]] = [d[j], d[i]];
  }
  return d;
}

/** Query q's hits as [docno, score] pairs. */
export function hitsOf(result: SearchResult, q: number): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  for (let i = result.offsets[q]; i < result.offsets[q + 1]; i++) out.push([result.docnos[i], result.scores[i]]);
  return out;
}

/** Reference top-k in JS (float32 products, float32 running sum in ascending term order). */
export function referenceTopK(
  rows: CsrBatch,
  docnos: Uint32Array,
  queries: CsrBatch,
  q: number,
  k: number,
  accept: (docno: number) => boolean = () => true,
): Array<[number, number]> {
  const query = new Map<number, number>();
  for (let j = queries.indptr[q]; j < queries.indptr[q + 1]; j++) query.set(queries.indices[j], queries.values[j]);
  const scored: Array<[number, number]> = [];
  for (let r = 0; r + 1 < rows.indptr.length; r++) {
    let s = 0;
    for (let j = rows.indptr[r]; j < rows.indptr[r + 1]; j++) {
      const w = query.get(rows.indices[j]);
      if (w !== undefined) s = Math.fround(s + Math.fround(w * rows.values[j]));
    }
    if (s > 0 && accept(docnos[r])) scored.push([docnos[r], s]);
  }
  scored.sort((a, b) => b[1] - a[1] || a[0] - b[0]);
  return scored.slice(0, k);
}
