/**
 * Pseudo-queries for calibration when a collection has too few real queries of its own: each is
 * made from one held-apart document of the segment, shaped like the collection's query encoder.
 *
 * - length: drawn from `lengths` (the recent queries' lengths when there are some, else the
 *   encoder's typical length, QUERY_LENGTHS);
 * - terms: drawn from the source document without replacement, with probability proportional to
 *   the document's weight (a query names what a document is most about);
 * - weights: `idf` (lexical BM25 and inference-free encoders weigh a query term by its rarity):
 *   Lucene's IDF over the segment; `document` (siamese: the model encodes the query as it encodes
 *   documents): the document's own weight.
 *
 * The source document is returned per query; calibration leaves it out of both result lists, so a
 * query is not credited for finding the document it was cut from. Pure and seeded.
 */
import type { CsrBatch } from '../../core/types.js';
import { luceneIdf } from '../../encoder/bm25.js';
import type { CalibrationQueries } from './calibrate.js';

export type QueryWeighting = 'idf' | 'document';

export interface QueryProfile {
  lengths: number[]; // non-zeros per query, sampled uniformly
  weighting: QueryWeighting;
}

/** Typical query lengths per encoder kind when no real query has been seen. */
export const QUERY_LENGTHS = { lexical: [4, 6, 8, 10, 12], 'inference-free': [6, 8, 10, 12, 16], siamese: [24, 32, 40, 48, 64] } as const;

/** mulberry32 */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function documentFrequencies(docs: CsrBatch): Map<number, number> {
  const df = new Map<number, number>();
  for (const t of docs.indices) df.set(t, (df.get(t) ?? 0) + 1);
  return df;
}

/** `n` pseudo-queries from `n` distinct random rows of `docs` (fewer when the segment is smaller). */
export function pseudoQueries(docs: CsrBatch, docnos: Uint32Array, profile: QueryProfile, n: number, seed = 7): CalibrationQueries {
  const rows = docs.indptr.length - 1;
  const rand = rng(seed);
  const df = profile.weighting === 'idf' ? documentFrequencies(docs) : undefined;
  const picked = new Set<number>();
  const want = Math.min(n, rows);
  for (let guard = 0; picked.size < want && guard < want * 20; guard++) {
    const r = Math.floor(rand() * rows);
    if (docs.indptr[r + 1] > docs.indptr[r]) picked.add(r);
  }
  const indptr: number[] = [0];
  const indices: number[] = [];
  const values: number[] = [];
  const sources: number[] = [];
  for (const r of picked) {
    const from = docs.indptr[r];
    const len = docs.indptr[r + 1] - from;
    const target = Math.max(1, Math.min(len, profile.lengths[Math.floor(rand() * profile.lengths.length)]));
    // Efraimidis–Spirakis: the `target` largest keys u^(1/w) are a weighted sample without replacement.
    const keyed: Array<{ i: number; key: number }> = [];
    for (let i = 0; i < len; i++) keyed.push({ i, key: Math.pow(rand(), 1 / Math.max(docs.values[from + i], 1e-9)) });
    keyed.sort((a, b) => b.key - a.key);
    const chosen = keyed.slice(0, target).map((x) => x.i).sort((a, b) => a - b);
    for (const i of chosen) {
      const term = docs.indices[from + i];
      indices.push(term);
      values.push(df ? luceneIdf(rows, df.get(term) ?? 0) : docs.values[from + i]);
    }
    indptr.push(indices.length);
    sources.push(docnos[r]);
  }
  return {
    queries: { indptr: Uint32Array.from(indptr), indices: Uint32Array.from(indices), values: Float32Array.from(values) },
    sources: Uint32Array.from(sources),
    source: 'pseudo',
  };
}
