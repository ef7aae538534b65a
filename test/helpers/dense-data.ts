/**
 * Seeded random-but-clustered dense vectors for tests and benchmarks: `clusters` gaussian centres
 * on the unit sphere, each point its centre plus gaussian noise (norm ≈ `spread`), normalised.
 * Queries drawn the same way (another seed) land near the same centres.
 */
import fs from 'node:fs';
import type { Hit } from '../../src/core/types.js';
import { rng, tempDir } from '../engine/helpers.js';

function gaussian(next: () => number): () => number {
  return () => Math.sqrt(-2 * Math.log(1 - next())) * Math.cos(2 * Math.PI * next());
}

function normalizeRow(v: Float32Array): void {
  let n = 0;
  for (const x of v) n += x * x;
  n = Math.sqrt(n) || 1;
  for (let j = 0; j < v.length; j++) v[j] /= n;
}

/** Cluster centres depend only on (dims, clusters), so data and queries with other seeds share them. */
export function clusteredVectors(n: number, dims: number, clusters: number, seed: number, spread = 0.6): Float32Array {
  const gc = gaussian(rng(1_000_003 * dims + clusters));
  const centres = new Float32Array(clusters * dims);
  for (let c = 0; c < clusters; c++) {
    const row = centres.subarray(c * dims, (c + 1) * dims);
    for (let j = 0; j < dims; j++) row[j] = gc();
    normalizeRow(row);
  }
  const next = rng(seed);
  const g = gaussian(next);
  const out = new Float32Array(n * dims);
  const sigma = spread / Math.sqrt(dims);
  for (let i = 0; i < n; i++) {
    const c = Math.floor(next() * clusters);
    const row = out.subarray(i * dims, (i + 1) * dims);
    for (let j = 0; j < dims; j++) row[j] = centres[c * dims + j] + sigma * g();
    normalizeRow(row);
  }
  return out;
}

/** Cosine of two vectors in double precision (an oracle's score). */
export function cosine(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < a.length; i++) {
    dot += a[i] * b[i];
    na += a[i] * a[i];
    nb += b[i] * b[i];
  }
  return dot / Math.sqrt(na * nb);
}

/** Brute-force top-k in double precision (score desc, docno asc); the oracle for tests. */
export function exactTopK(
  data: Float32Array,
  docnos: Uint32Array,
  dims: number,
  query: Float32Array,
  k: number,
  metric: 'dot' | 'cosine',
  accept: (docno: number) => boolean = () => true,
): Hit[] {
  let qn = 0;
  for (const x of query) qn += x * x;
  const hits: Hit[] = [];
  for (let r = 0; r < docnos.length; r++) {
    if (!accept(docnos[r])) continue;
    let dot = 0;
    let dn = 0;
    for (let j = 0; j < dims; j++) {
      dot += query[j] * data[r * dims + j];
      dn += data[r * dims + j] * data[r * dims + j];
    }
    hits.push({ docno: docnos[r], score: metric === 'cosine' ? dot / Math.sqrt(qn * dn) : dot });
  }
  return hits.sort((a, b) => b.score - a.score || a.docno - b.docno).slice(0, k);
}

/** Temp directories for one test file: make() in a test, cleanup() in afterEach. */
export function tempDirs(prefix: string): { make(): string; cleanup(): void } {
  const dirs: string[] = [];
  return {
    make: () => {
      const d = tempDir(prefix);
      dirs.push(d);
      return d;
    },
    cleanup: () => dirs.splice(0).forEach((d) => fs.rmSync(d, { recursive: true, force: true })),
  };
}
