/**
 * Index benchmark: exact, exhaustive inverted index and Seismic at several (query_cut, heap_factor).
 *
 *   npm run bench:index -- --docs 1000000 --queries 1000 [--json FILE] [--topics 0 (control)]
 *       [--kind siamese|inference-free] [--set report|tune] [--settings 10:0.9,20:0.9]
 *       [--build-threads N] [--exact-queries 100] [--docs-file F --queries-file F]
 *
 * Synthetic documents unless --docs-file (spec: test/bench/SYNTHETIC.md); published figures use the
 * `report` query set, parameters are chosen on `tune`. Single-thread latency: one query per call
 * (exact and exhaustive on the first --exact-queries queries, on one pool thread; Seismic on the
 * calling thread with searchSync after a warm-up on the other query set, and again through the
 * Promise API); QPS: the whole batch on every core. Recall@10 is against exact search.
 */
import { writeFileSync } from 'node:fs';
import os from 'node:os';
import { parseArgs } from 'node:util';
import type { CsrBatch } from '../../src/core/types.js';
import { buildInvertedIndex, buildSeismic, createForwardIndex, DEFAULT_SEISMIC_PARAMS, setSearchThreads } from '../../src/index/native.js';
import type { SearchOptions, SearchResult } from '../../src/index/native-types.js';
import { recallAtK } from './recall.js';
import { generateDocs, generateQueries, readSparseJsonl, type QueryKind, type QuerySet } from './synthetic.js';

const { values: args } = parseArgs({
  options: {
    docs: { type: 'string', default: '100000' },
    queries: { type: 'string', default: '500' },
    json: { type: 'string' },
    topics: { type: 'string', default: '1000' },
    kind: { type: 'string', default: 'siamese' },
    set: { type: 'string', default: 'report' },
    settings: { type: 'string', default: '5:0.9,8:1,10:0.9,10:1,15:0.9,20:0.9' },
    'build-threads': { type: 'string', default: String(os.availableParallelism()) },
    'exact-queries': { type: 'string', default: '100' },
    'docs-file': { type: 'string' },
    'queries-file': { type: 'string' },
  },
});

interface Row {
  method: string;
  params: Record<string, number>;
  recall_at_10: number;
  mean_ms: number;
  p50_ms: number;
  p99_ms: number;
  async_mean_ms: number | null; // Seismic: the same queries through the Promise API (pool thread)
  qps: number;
  build_s: number | null;
  index_bytes: number | null;
  forward_bytes: number;
}

type Search = (q: CsrBatch, o: SearchOptions) => Promise<SearchResult>;
type SyncSearch = (q: CsrBatch, o: SearchOptions) => SearchResult;

function sliceRows(b: CsrBatch, from: number, to: number): CsrBatch {
  const base = b.indptr[from];
  return { indptr: b.indptr.slice(from, to + 1).map((x) => x - base), indices: b.indices.subarray(base, b.indptr[to]), values: b.values.subarray(base, b.indptr[to]) };
}

function concat(parts: SearchResult[]): SearchResult {
  const offsets = new Uint32Array(parts.length + 1);
  parts.forEach((p, i) => (offsets[i + 1] = offsets[i] + p.docnos.length));
  const docnos = new Uint32Array(offsets[parts.length]);
  const scores = new Float32Array(offsets[parts.length]);
  parts.forEach((p, i) => {
    docnos.set(p.docnos, offsets[i]);
    scores.set(p.scores, offsets[i]);
  });
  return { offsets, docnos, scores };
}

const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;
const quantile = (sorted: number[], q: number): number => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];

/** Single-thread latency over the first `n` queries, one query per call (`one` runs it, on this thread or one pool thread). */
async function latency(one: (q: CsrBatch) => SearchResult | Promise<SearchResult>, queries: CsrBatch, n: number): Promise<{ result: SearchResult; ms: number[] }> {
  setSearchThreads(1);
  const ms: number[] = [];
  const parts: SearchResult[] = [];
  for (let q = 0; q < n; q++) {
    const row = sliceRows(queries, q, q + 1);
    const t0 = performance.now();
    const r = one(row);
    parts.push(r instanceof Promise ? await r : r); // a sync call is timed without a microtask hop
    ms.push(performance.now() - t0);
  }
  return { result: concat(parts), ms: ms.sort((a, b) => a - b) };
}

/** QPS of the whole batch in one call, on every core. */
async function batchQps(search: Search, queries: CsrBatch, options: SearchOptions): Promise<number> {
  setSearchThreads(os.availableParallelism());
  const t0 = performance.now();
  await search(queries, options);
  return (queries.indptr.length - 1) / ((performance.now() - t0) / 1000);
}

/** Latency through `search` (behind a Promise) or `sync`, then QPS through `search`. */
async function measure(search: Search, queries: CsrBatch, n: number, options: SearchOptions, sync?: SyncSearch): Promise<{ result: SearchResult; ms: number[]; qps: number }> {
  const lat = await latency((q) => (sync ? sync(q, options) : search(q, options)), queries, n);
  return { ...lat, qps: await batchQps(search, queries, options) };
}

async function loadData(): Promise<{ docs: CsrBatch; queries: CsrBatch; warmup: CsrBatch; source: string }> {
  const topics = Number(args.topics);
  if (args['docs-file'] || args['queries-file']) {
    if (!args['docs-file'] || !args['queries-file']) throw new TypeError('--docs-file and --queries-file go together');
    const docs = (await readSparseJsonl(args['docs-file'])).rows;
    const queries = (await readSparseJsonl(args['queries-file'])).rows;
    // No second query set in a file: the first queries warm up (they are measured again after).
    const warmup = sliceRows(queries, 0, Math.min(100, queries.indptr.length - 1));
    return { docs, queries, warmup, source: `${args['docs-file']} + ${args['queries-file']}` };
  }
  const n = Number(args.docs);
  const kind = args.kind as QueryKind;
  const set = args.set as QuerySet;
  const docs = generateDocs(n, { topics });
  const queries = generateQueries(Number(args.queries), { topics, kind, set });
  // Warm-up (threads, caches, page tables) on other queries than the measured ones.
  const warmup = generateQueries(200, { topics, kind, set: set === 'report' ? 'tune' : 'report' });
  return { docs, queries, warmup, source: `synthetic (topics ${topics === 0 ? 'none: control' : topics}, ${kind} queries, ${set} set)` };
}

async function main(): Promise<void> {
  const t0 = performance.now();
  const { docs, queries, warmup, source } = await loadData();
  const nd = docs.indptr.length - 1;
  const nq = queries.indptr.length - 1;
  const nnz = docs.indices.length;
  console.log(`data: ${source}; ${nd} docs, ${nnz} nnz (${(nnz / nd).toFixed(1)}/doc), ${nq} queries (${(queries.indices.length / nq).toFixed(1)} nnz); ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  const docnos = Uint32Array.from({ length: nd }, (_, i) => i);
  const forward = createForwardIndex(docs, docnos);
  const inverted = buildInvertedIndex(forward);
  const threads = Number(args['build-threads']);
  const tb = performance.now();
  const seismic = await buildSeismic(docs, docnos, DEFAULT_SEISMIC_PARAMS, { threads });
  const buildS = (performance.now() - tb) / 1000;
  console.log(`Seismic build: ${buildS.toFixed(1)} s on ${threads} thread(s), params ${JSON.stringify(DEFAULT_SEISMIC_PARAMS)}; postings kept ${((100 * seismic.postings) / nnz).toFixed(1)}% of nnz, ${seismic.blocks} blocks`);

  setSearchThreads(os.availableParallelism());
  const truth = await forward.searchExact(queries, { k: 10 });
  const exactN = Math.min(nq, Number(args['exact-queries']));
  const rows: Row[] = [];
  const add = (method: string, params: Record<string, number>, m: Awaited<ReturnType<typeof measure>>, n: number, build: number | null, bytes: number | null, asyncMs: number | null = null, forwardBytes = forward.bytes): void => {
    const ref = n === nq ? truth : concat(Array.from({ length: n }, (_, q) => ({ offsets: Uint32Array.of(0, truth.offsets[q + 1] - truth.offsets[q]), docnos: truth.docnos.subarray(truth.offsets[q], truth.offsets[q + 1]), scores: truth.scores.subarray(truth.offsets[q], truth.offsets[q + 1]) })));
    rows.push({ method, params, recall_at_10: recallAtK(ref, m.result, 10), mean_ms: mean(m.ms), p50_ms: quantile(m.ms, 0.5), p99_ms: quantile(m.ms, 0.99), async_mean_ms: asyncMs, qps: m.qps, build_s: build, index_bytes: bytes, forward_bytes: forwardBytes });
  };
  add('exact', {}, await measure((q, o) => forward.searchExact(q, o), queries, exactN, { k: 10 }), exactN, null, null);
  add('exhaustive', {}, await measure((q, o) => inverted.search(q, o), queries, exactN, { k: 10 }), exactN, null, inverted.bytes);
  for (const s of args.settings.split(',')) {
    const [queryCut, heapFactor] = s.split(':').map(Number);
    const search: Search = (q, o) => seismic.search(q, { ...o, queryCut, heapFactor });
    setSearchThreads(1);
    for (let q = 0; q + 1 < warmup.indptr.length; q++) seismic.searchSync(sliceRows(warmup, q, q + 1), { k: 10, queryCut, heapFactor });
    const viaPool = await latency((q) => search(q, { k: 10 }), queries, nq);
    const m = await measure(search, queries, nq, { k: 10 }, (q, o) => seismic.searchSync(q, { ...o, queryCut, heapFactor }));
    // The segment's own forward rows (16-bit term ids when they fit), next to its index.
    add('seismic', { queryCut, heapFactor }, m, nq, buildS, seismic.indexBytes, mean(viaPool.ms), seismic.forwardBytes);
  }

  const fmt = (x: number | null, d = 3): string => (x === null ? '-' : x.toFixed(d));
  console.log(`\n| method | params | recall@10 | mean ms | p50 ms | p99 ms | mean ms via Promise | QPS (${os.availableParallelism()} cores) | build s | index MB | forward MB | index bytes/nnz |`);
  console.log('|---|---|---|---|---|---|---|---|---|---|---|---|');
  for (const r of rows) {
    const p = Object.entries(r.params).map(([k, v]) => `${k}=${v}`).join(' ') || '-';
    console.log(`| ${r.method} | ${p} | ${fmt(r.recall_at_10)} | ${fmt(r.mean_ms)} | ${fmt(r.p50_ms)} | ${fmt(r.p99_ms)} | ${fmt(r.async_mean_ms)} | ${fmt(r.qps, 0)} | ${fmt(r.build_s, 1)} | ${r.index_bytes === null ? '-' : (r.index_bytes / 1e6).toFixed(0)} | ${(r.forward_bytes / 1e6).toFixed(0)} | ${r.index_bytes === null ? '-' : (r.index_bytes / nnz).toFixed(2)} |`);
  }
  console.log(`\nforward bytes/nnz: ${(forward.bytes / nnz).toFixed(2)} (exact, exhaustive), ${(seismic.forwardBytes / nnz).toFixed(2)} (Seismic segment); exact and exhaustive latency over the first ${exactN} queries, on one pool thread behind a Promise;`);
  console.log('Seismic latency: one query per call on the calling thread (searchSync), after a warm-up on other queries; "via Promise": the same on one pool thread (thread hop included).');
  console.log(`machine: ${os.availableParallelism()} cores; ${os.loadavg()[0].toFixed(2)} load average at the end`);
  if (args.json) writeFileSync(args.json, JSON.stringify({ rows, docs: nd, queries: nq }, null, 2));
  seismic.close();
  inverted.close();
  forward.close();
}

await main();
