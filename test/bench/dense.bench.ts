/**
 * npm run bench:dense — exact scan vs HNSW (usearch) on random-but-clustered vectors, through the
 * real DenseField: recall@10 of the approximate path against the exact one, latency per query
 * (mean / p50 / p99, sequential), QPS, build times. Then the cost hybrid fusion adds on top of a
 * sparse search: candidates from both sides, the missing sides scored exactly, fusion.
 *
 * Data: seeded, synthetic (test/helpers/dense-data.ts): `clusters` gaussian centres on the unit
 * sphere, points = centre + noise, normalised; queries drawn the same way with another seed. No
 * real embeddings are involved: real ones are more clustered, so recall here is a lower bound.
 * Options: --sizes 100000,1000000  --queries 200  --dims 384  --clusters 1000  --k 10
 *          --ef 128 (HNSW efSearch)  --build-threads 2
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { DEFAULT_DENSE_INDEX, type DenseIndexConfig } from '../../src/config.js';
import { DenseField, type DenseRow } from '../../src/engine/dense-field.js';
import { hybridSearch, type SparseSide } from '../../src/engine/hybrid.js';
import type { Hit } from '../../src/core/types.js';
import { clusteredVectors } from '../helpers/dense-data.js';
import { rng } from '../engine/helpers.js';

const arg = (name: string, fallback: string): string => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : fallback;
};
const SIZES = arg('sizes', '100000,1000000').split(',').map(Number);
const Q = Number(arg('queries', '200'));
const DIMS = Number(arg('dims', '384'));
const CLUSTERS = Number(arg('clusters', '1000'));
const K = Number(arg('k', '10'));
const EF = Number(arg('ef', '128'));
const BUILD_THREADS = Number(arg('build-threads', '2'));

interface Lat {
  mean: number;
  p50: number;
  p99: number;
  qps: number;
}
function stats(ms: number[]): Lat {
  const s = [...ms].sort((a, b) => a - b);
  const at = (p: number): number => s[Math.min(s.length - 1, Math.floor(p * s.length))];
  const mean = s.reduce((a, b) => a + b, 0) / s.length;
  return { mean, p50: at(0.5), p99: at(0.99), qps: 1000 / mean };
}
const f2 = (x: number): string => x.toFixed(2);
const table: string[][] = [['vectors', 'path', 'recall@10', 'mean ms', 'p50 ms', 'p99 ms', 'QPS (1 client)', 'build s']];
const hybridTable: string[][] = [['vectors', 'step', 'mean ms', 'p50 ms', 'p99 ms']];

async function timed<T>(fn: () => Promise<T>): Promise<{ value: T; ms: number }> {
  const t0 = performance.now();
  const value = await fn();
  return { value, ms: performance.now() - t0 };
}

async function runSize(n: number): Promise<void> {
  const t0 = performance.now();
  const data = clusteredVectors(n, DIMS, CLUSTERS, 1);
  const queries = clusteredVectors(Q, DIMS, CLUSTERS, 2);
  console.error(`# ${n} vectors generated in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  const rows = function* (): Generator<DenseRow> {
    for (let i = 0; i < n; i++) yield { docno: i, dense: data.subarray(i * DIMS, (i + 1) * DIMS) };
  };
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sparrow-dense-bench-'));
  const options: DenseIndexConfig = { ...DEFAULT_DENSE_INDEX, annThreshold: 0, ann: { ...DEFAULT_DENSE_INDEX.ann, expansionSearch: EF, threads: BUILD_THREADS } };
  const built = await timed(() => DenseField.open({ dims: DIMS, metric: 'cosine' }, dir, rows(), options));
  const field = built.value;
  const q = (i: number): Float32Array => queries.subarray(i * DIMS, (i + 1) * DIMS);

  const truth: Hit[][] = [];
  const exactMs: number[] = [];
  await field.search(q(0), { k: K, exact: true }); // warm-up
  for (let i = 0; i < Q; i++) {
    const r = await timed(() => field.search(q(i), { k: K, exact: true }));
    truth.push(r.value.hits);
    exactMs.push(r.ms);
  }
  const approxMs: number[] = [];
  let found = 0;
  for (let i = 0; i < Q; i++) {
    const r = await timed(() => field.search(q(i), { k: K }));
    if (r.value.path !== 'approximate') throw new Error('expected the approximate path');
    approxMs.push(r.ms);
    const want = new Set(truth[i].map((h) => h.docno));
    found += r.value.hits.filter((h) => want.has(h.docno)).length;
  }
  const e = stats(exactMs);
  const a = stats(approxMs);
  table.push([String(n), 'exact (native scan)', '1.000', f2(e.mean), f2(e.p50), f2(e.p99), e.qps.toFixed(0), '—']);
  table.push([String(n), `approximate (HNSW M=16 ef=${EF})`, (found / (Q * K)).toFixed(3), f2(a.mean), f2(a.p50), f2(a.p99), a.qps.toFixed(0), (built.ms / 1000).toFixed(1)]);

  // Hybrid overhead on top of a sparse search: a sparse side that answers instantly with a
  // seeded ranking over random documents, so the figure is fusion's own cost: the dense side's
  // candidates, exact scores of the missing sides (dense via the native store; sparse is a
  // constant-time lookup here, in the engine it is a stored-row dot product) and fusion.
  const rand = rng(9);
  const sparseRanking = (): Hit[] => Array.from({ length: 100 }, (_, r) => ({ docno: Math.floor(rand() * n), score: 100 - r })).filter((h, i, all) => all.findIndex((x) => x.docno === h.docno) === i);
  const sparse = (hits: Hit[]): SparseSide => ({ top: async () => hits, score: (docnos) => docnos.map(() => 0) });
  for (const [label, method, path] of [
    ['convex min_max (approx dense)', 'convex', false],
    ['rrf (approx dense)', 'rrf', false],
  ] as const) {
    const ms: number[] = [];
    for (let i = 0; i < Q; i++) {
      const hits = sparseRanking();
      const r = await timed(() => hybridSearch(sparse(hits), { field, vector: q(i), exact: path }, K, { method, candidates: 100 }, true));
      ms.push(r.ms);
    }
    const denseOnly: number[] = [];
    for (let i = 0; i < Q; i++) denseOnly.push((await timed(() => field.search(q(i), { k: 100 }))).ms);
    const h = stats(ms);
    const d = stats(denseOnly);
    hybridTable.push([String(n), `${label}: total`, f2(h.mean), f2(h.p50), f2(h.p99)]);
    hybridTable.push([String(n), `${label}: of which dense top-100`, f2(d.mean), f2(d.p50), f2(d.p99)]);
  }
  await field.close();
  fs.rmSync(dir, { recursive: true, force: true });
}

function print(rows: string[][]): void {
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
  rows.forEach((r, i) => {
    console.log(`| ${r.map((cell, c) => cell.padEnd(widths[c])).join(' | ')} |`);
    if (i === 0) console.log(`|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`);
  });
}

for (const n of SIZES) await runSize(n);
console.log(`\ndense: ${DIMS} dims, ${CLUSTERS} clusters, cosine, k=${K}, ${Q} queries, ${os.availableParallelism()} cores (shared)\n`);
print(table);
console.log('\nhybrid fusion cost over a sparse search (sparse side stubbed to a fixed ranking: see the header)\n');
print(hybridTable);
