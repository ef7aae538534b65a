/**
 * npm run bench:dense — exact scan vs HNSW (usearch) on random-but-clustered vectors, through the
 * real DenseField: recall@10 of the approximate path against the exact one, latency per query
 * (mean / p50 / p99, sequential), QPS, build times. Then, through the collections engine, the
 * latency of mode "hybrid" next to "sparse" alone on the same collection: the hybrid overhead
 * (dense candidates, missing sides scored exactly, fusion, stored fields).
 *
 * Data: seeded, synthetic (test/helpers/dense-data.ts): `clusters` gaussian centres on the unit
 * sphere, points = centre + noise, normalised; queries drawn the same way with another seed. No
 * real embeddings are involved. The hybrid collection's sparse side is the synthetic SPLADE-like
 * generator (test/bench/synthetic.ts; no real SPLADE document vectors exist here).
 * Options: --sizes 100000,1000000  --queries 200  --dims 384  --clusters 1000  --k 10
 *          --ef 128 (HNSW efSearch)  --build-threads 2  --hybrid-docs 20000 (0: skip)
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { DEFAULT_DENSE_INDEX, type DenseIndexConfig } from '../../src/config.js';
import { DenseField, type DenseRow } from '../../src/engine/segments/dense-field.js';
import { EngineManager } from '../../src/engine/manager.js';
import type { SearchRequest } from '../../src/engine/types.js';
import type { Hit } from '../../src/core/types.js';
import { clusteredVectors } from '../helpers/dense-data.js';
import { generateDocBatch, generateQueries } from './synthetic.js';

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
const HYBRID_DOCS = Number(arg('hybrid-docs', '20000'));

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
const table: string[][] = [['vectors', 'path', 'recall@10', 'mean ms', 'p50 ms', 'p99 ms', 'QPS (1 client)', 'open + HNSW build s']];
const hybridTable: string[][] = [['documents', 'mode', 'mean ms', 'p50 ms', 'p99 ms', 'overhead vs sparse (mean)']];

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
  const built = await timed(async () => {
    const f = await DenseField.open({ dims: DIMS, metric: 'cosine' }, dir, rows(), options);
    await f.settled(); // the HNSW build runs in the background after open
    return f;
  });
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

  await field.close();
  fs.rmSync(dir, { recursive: true, force: true });
}

/** mode "sparse" vs "dense" vs "hybrid" on one engine collection (sparse: synthetic SPLADE-like; dense: clustered). */
async function runHybrid(n: number): Promise<void> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'sparrow-hybrid-bench-'));
  const manager = await EngineManager.open({ dataDir });
  const col = await manager.create('hybrid', { encoder: { kind: 'splade' }, dense: { dims: DIMS, metric: 'cosine' } });
  const dense = clusteredVectors(n, DIMS, CLUSTERS, 5);
  for (let from = 0; from < n; from += 1000) {
    const count = Math.min(1000, n - from);
    const b = generateDocBatch(from, count);
    const docs = Array.from({ length: count }, (_, i) => ({
      id: `d${from + i}`,
      sparse: { indices: [...b.indices.subarray(b.indptr[i], b.indptr[i + 1])], values: [...b.values.subarray(b.indptr[i], b.indptr[i + 1])] },
      dense: [...dense.subarray((from + i) * DIMS, (from + i + 1) * DIMS)],
    }));
    await col.upsert(docs);
  }
  await col.flush();
  const sq = generateQueries(Q, { set: 'report' });
  const dq = clusteredVectors(Q, DIMS, CLUSTERS, 6);
  const request = (i: number, extra: Partial<SearchRequest>): SearchRequest => ({
    sparse: { indices: [...sq.indices.subarray(sq.indptr[i], sq.indptr[i + 1])], values: [...sq.values.subarray(sq.indptr[i], sq.indptr[i + 1])] },
    dense: [...dq.subarray(i * DIMS, (i + 1) * DIMS)],
    k: K,
    ...extra,
  });
  const modes: Array<[string, Partial<SearchRequest>]> = [
    ['sparse', { mode: 'sparse' }],
    ['dense (exact scan below the ANN threshold)', { mode: 'dense' }],
    ['hybrid convex min_max, 100 candidates', { mode: 'hybrid', hybrid: { method: 'convex', candidates: 100 } }],
    ['hybrid rrf, 100 candidates', { mode: 'hybrid', hybrid: { method: 'rrf', candidates: 100 } }],
  ];
  let sparseMean = 0;
  for (const [label, extra] of modes) {
    for (let i = 0; i < Math.min(20, Q); i++) await col.search(request(i, extra)); // warm-up
    const ms: number[] = [];
    for (let i = 0; i < Q; i++) ms.push((await timed(() => col.search(request(i, extra)))).ms);
    const st = stats(ms);
    if (label === 'sparse') sparseMean = st.mean;
    hybridTable.push([String(n), label, f2(st.mean), f2(st.p50), f2(st.p99), label === 'sparse' ? '—' : `${f2(st.mean - sparseMean)} ms`]);
  }
  await manager.close();
  fs.rmSync(dataDir, { recursive: true, force: true });
}

function print(rows: string[][]): void {
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
  rows.forEach((r, i) => {
    console.log(`| ${r.map((cell, c) => cell.padEnd(widths[c])).join(' | ')} |`);
    if (i === 0) console.log(`|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`);
  });
}

for (const n of SIZES) await runSize(n);
if (HYBRID_DOCS > 0) await runHybrid(HYBRID_DOCS);
console.log(`\ndense: ${DIMS} dims, ${CLUSTERS} clusters, cosine, k=${K}, ${Q} queries, ${os.availableParallelism()} cores (shared)\n`);
print(table);
if (HYBRID_DOCS > 0) {
  console.log(`\nhybrid overhead through the engine: k=${K}, ${Q} queries, sequential\n`);
  print(hybridTable);
}
