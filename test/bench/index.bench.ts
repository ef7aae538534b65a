/**
 * Index benchmark: exact, exhaustive inverted index, and Seismic with the engine's defaults
 * (`default`: the segment's calibrated settings, no knobs) beside a grid of (query_cut, heap_factor).
 *
 *   npm run bench:index -- [--dataset synthetic|scifact-bm25|manpages-bm25|scifact-splade-msmarco|
 *       scifact-splade-if|msmarco-queries] [--set report|tune] [--json FILE]
 *       [--settings 10:0.9,20:0.9] [--build-threads N] [--exact-queries 100] [--target 0.95]
 *       [--docs 100000 --queries 500 --topics 1000 --kind siamese|inference-free]   (synthetic)
 *       [--docs-file F --queries-file F --profile lexical|inference-free|siamese]  (your own vectors)
 *       [--cache /tmp/sparrow-bench-data] [--shared ../shared/datasets]
 *       [--seal]   (also time the engine's own seal of the same rows: build, calibration, file, reload)
 *       [--params '{"exhaustiveBelow":0}']   (Seismic build parameters over the defaults)
 *
 * Data sets: test/bench/datasets.ts (real text: SciFact, Debian man pages, a SPLADE-shaped model made
 * here, real MS MARCO query vectors read from ../shared when present). Every query set is split into
 * `tune` and `report` halves; published figures use `report`, choices are made on `tune`. The
 * `default` row is calibrated on pseudo-queries made from the segment's own documents (what a new
 * collection does); `default (tune)` on the tune half as the collection's recent queries.
 * Single-thread latency at k = 10: one query per call (exact and exhaustive on the first
 * --exact-queries queries, on one pool thread; Seismic on the calling thread with searchSync after a
 * warm-up on the other half, on the segment saved and mapped from its file as the engine serves it). Recall@10 and @100 against exact search; docs scored: mean per query at
 * k = 10. Filtered: recall@10 of the default settings under random filters of 5-50% selectivity.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import type { CsrBatch } from '../../src/core/types.js';
import { buildSegment } from '../../src/engine/segments/segment-build.js';
import { calibrateSegment, calibrationDeadline, calibrationOf, settingsFor, type Calibration, type QuerySettings } from '../../src/engine/scoring/calibrate.js';
import { pseudoQueries, QUERY_LENGTHS, type QueryProfile } from '../../src/engine/scoring/pseudo-queries.js';
import { buildInvertedIndex, buildSeismic, createBitmap, createForwardIndex, DEFAULT_SEISMIC_PARAMS, loadSeismic, setSearchThreads } from '../../src/index/native.js';
import type { Bitmap, SearchOptions, SearchResult, SeismicIndex } from '../../src/index/native-types.js';
import { DATASETS, defaultShared, loadDataset, splitHalves, type DatasetName } from './datasets.js';
import { recallAtK } from './recall.js';
import { readSparseJsonl, type QueryKind } from './synthetic.js';
import { sliceRows } from './csr-builder.js';

const { values: args } = parseArgs({
  options: {
    dataset: { type: 'string', default: 'synthetic' },
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
    profile: { type: 'string' },
    target: { type: 'string', default: '0.95' },
    'calibration-queries': { type: 'string', default: '200' },
    seal: { type: 'boolean', default: false },
    params: { type: 'string' },
    cache: { type: 'string', default: path.join(os.tmpdir(), 'sparrow-bench-data') },
    shared: { type: 'string', default: defaultShared() },
  },
});

/** The build's Seismic parameters: the defaults, with --params (JSON) over them, e.g. '{"exhaustiveBelow":0}' for blocks on a small set. */
const PARAMS = { ...DEFAULT_SEISMIC_PARAMS, ...(args.params ? (JSON.parse(args.params) as Partial<typeof DEFAULT_SEISMIC_PARAMS>) : {}) };

/** The query encoder each data set's queries come from: the shape of its pseudo-queries. */
const PROFILE_OF: Record<DatasetName, keyof typeof QUERY_LENGTHS> = {
  synthetic: 'siamese',
  'scifact-bm25': 'lexical',
  'manpages-bm25': 'lexical',
  'scifact-splade-msmarco': 'siamese',
  'scifact-splade-if': 'inference-free',
  'msmarco-queries': 'siamese',
};

interface Row {
  method: string;
  /** the knobs of a grid row, or "default" (the segment's calibrated settings, no knobs) */
  params: Record<string, number> | 'default';
  /** what a default row resolved to */
  settings?: { k10: QuerySettings; k100: QuerySettings };
  recall_at_10: number;
  recall_at_100: number;
  mean_ms: number;
  p50_ms: number;
  p99_ms: number;
  async_mean_ms: number | null; // Seismic: the same queries through the Promise API (pool thread)
  qps: number;
  docs_scored: number | null; // mean per query at k = 10 (Seismic rows)
  kept_share: number | null; // postings kept / non-zeros
  build_s: number | null;
  calibration_s: number | null;
  index_bytes: number | null;
  forward_bytes: number;
}

type Search = (q: CsrBatch, o: SearchOptions) => Promise<SearchResult>;
type SyncSearch = (q: CsrBatch, o: SearchOptions) => SearchResult;

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

async function loadData(): Promise<{ docs: CsrBatch; queries: CsrBatch; warmup: CsrBatch; tune: CsrBatch; source: string; profile: keyof typeof QUERY_LENGTHS }> {
  if (args['docs-file'] || args['queries-file']) {
    if (!args['docs-file'] || !args['queries-file']) throw new TypeError('--docs-file and --queries-file go together');
    const docs = (await readSparseJsonl(args['docs-file'])).rows;
    const { tune, report } = splitHalves((await readSparseJsonl(args['queries-file'])).rows);
    const profile = (args.profile ?? 'siamese') as keyof typeof QUERY_LENGTHS;
    if (!(profile in QUERY_LENGTHS)) throw new TypeError(`--profile must be one of ${Object.keys(QUERY_LENGTHS).join(', ')}`);
    const [queries, warmup] = args.set === 'tune' ? [tune, report] : [report, tune];
    return { docs, queries, warmup, tune, source: `${args['docs-file']} + ${args['queries-file']} (${args.set} half)`, profile };
  }
  const name = args.dataset as DatasetName;
  if (!DATASETS.includes(name)) throw new TypeError(`--dataset must be one of ${DATASETS.join(', ')}`);
  const d = await loadDataset(name, { cache: args.cache, shared: args.shared, docs: Number(args.docs), queries: Number(args.queries), topics: Number(args.topics), kind: args.kind as QueryKind });
  const [queries, warmup] = args.set === 'tune' ? [d.tune, d.report] : [d.report, d.tune];
  const profile = name === 'synthetic' && args.kind === 'inference-free' ? 'inference-free' : PROFILE_OF[name];
  return { docs: d.docs, queries, warmup, tune: d.tune, source: `${name}: ${d.source}; ${args.set} half`, profile };
}

/** A random allow-list of about `share` of the docnos (seeded). */
function randomFilter(nd: number, share: number, seed: number): Bitmap {
  const bm = createBitmap(nd);
  let a = seed;
  for (let d = 0; d < nd; d++) {
    a = (Math.imul(a, 1664525) + 1013904223) >>> 0;
    if (a / 4294967296 < share) bm.set(d);
  }
  return bm;
}

/** Search options of settings (an exact segment default searches exactly). */
function searchWith(seg: SeismicIndex, s: QuerySettings): (q: CsrBatch, o: SearchOptions) => Promise<SearchResult> {
  return s.exact ? (q, o) => seg.searchExact(q, o) : (q, o) => seg.search(q, { ...o, queryCut: s.queryCut, heapFactor: s.heapFactor });
}

async function main(): Promise<void> {
  const t0 = performance.now();
  const { docs, queries, warmup, tune, source, profile } = await loadData();
  const nd = docs.indptr.length - 1;
  const nq = queries.indptr.length - 1;
  const nnz = docs.indices.length;
  console.log(`data: ${source}; ${nd} docs, ${nnz} nnz (${(nnz / nd).toFixed(1)}/doc), ${nq} queries (${(queries.indices.length / nq).toFixed(1)} nnz); ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  const docnos = Uint32Array.from({ length: nd }, (_, i) => i);
  const forward = createForwardIndex(docs, docnos);
  const inverted = buildInvertedIndex(forward);
  const threads = Number(args['build-threads']);
  const target = Number(args.target);
  const tb = performance.now();
  const built = await buildSeismic(docs, docnos, PARAMS, { threads });
  const buildS = (performance.now() - tb) / 1000;
  const keptShare = built.postings / nnz;
  console.log(`Seismic build: ${buildS.toFixed(1)} s on ${threads} thread(s), params ${JSON.stringify(PARAMS)}; postings kept ${(100 * keptShare).toFixed(1)}% of nnz, ${built.blocks} blocks`);
  setSearchThreads(os.availableParallelism());
  const calibrations: Array<{ label: string; cal: Calibration; seconds: number }> = [];
  for (const [label, calQueries] of [
    ['default', pseudoQueries(docs, docnos, { lengths: [...QUERY_LENGTHS[profile]], weighting: profile === 'siamese' ? 'document' : 'idf' } satisfies QueryProfile, Number(args['calibration-queries']))],
    ['default (tune)', { queries: sliceRows(tune, 0, Math.min(Number(args['calibration-queries']), tune.indptr.length - 1)), source: 'recent' as const }],
  ] as const) {
    const tc = performance.now();
    const cal = await calibrateSegment({ index: built, csr: docs, docnos }, calQueries, target, { deadline: calibrationDeadline(buildS * 1000) }); // as a sealed segment calibrates
    const seconds = (performance.now() - tc) / 1000;
    calibrations.push({ label, cal, seconds });
    console.log(`calibration "${label}" (${cal.source} queries, ${cal.queries}, profile ${profile}): ${seconds.toFixed(1)} s (build ${buildS.toFixed(1)} s; work ${cal.work} of budget ${cal.budget}${cal.stopped ? `, stopped by ${cal.stopped}` : ''}); k=10 ${JSON.stringify(cal.k10)}; k=100 ${JSON.stringify(cal.k100)}`);
  }

  if (args.seal) await engineSeal(docs, docnos, profile, threads, target);

  // Searched as the engine serves a sealed segment (segment-build.ts): saved, then mapped from its
  // file. The segment as built in memory searched 10-40 % slower on this VM (1M: 1.49 against 1.0-1.14
  // ms at the same settings and documents scored), so its latency would not be what a server shows.
  const servedDir = mkdtempSync(path.join(os.tmpdir(), 'sparrow-bench-segment-'));
  const ts = performance.now();
  await built.save(path.join(servedDir, 'segment.seg'));
  built.close();
  const seismic = loadSeismic(path.join(servedDir, 'segment.seg'));
  console.log(`segment saved and mapped in ${((performance.now() - ts) / 1000).toFixed(1)} s`);

  const truth = await forward.searchExact(queries, { k: 10 });
  const truth100 = await forward.searchExact(queries, { k: 100 });
  const exactN = Math.min(nq, Number(args['exact-queries']));
  const rows: Row[] = [];
  const firstN = (r: SearchResult, n: number): SearchResult => (n === nq ? r : concat(Array.from({ length: n }, (_, q) => ({ offsets: Uint32Array.of(0, r.offsets[q + 1] - r.offsets[q]), docnos: r.docnos.subarray(r.offsets[q], r.offsets[q + 1]), scores: r.scores.subarray(r.offsets[q], r.offsets[q + 1]) }))));
  const base = { async_mean_ms: null, docs_scored: null, kept_share: null, build_s: null, calibration_s: null, index_bytes: null, forward_bytes: forward.bytes };
  const addReference = async (method: string, search: Search, bytes: number | null): Promise<void> => {
    const m = await measure(search, queries, exactN, { k: 10 });
    const at100 = await search(sliceRows(queries, 0, exactN), { k: 100 });
    rows.push({ ...base, method, params: {}, recall_at_10: recallAtK(firstN(truth, exactN), m.result, 10), recall_at_100: recallAtK(firstN(truth100, exactN), at100, 100), mean_ms: mean(m.ms), p50_ms: quantile(m.ms, 0.5), p99_ms: quantile(m.ms, 0.99), qps: m.qps, index_bytes: bytes });
  };
  await addReference('exact', (q, o) => forward.searchExact(q, o), null);
  await addReference('exhaustive', (q, o) => inverted.search(q, o), inverted.bytes);

  const seismicRow = async (params: Row['params'], s10: QuerySettings, s100: QuerySettings, calibrationS: number | null): Promise<void> => {
    const search = searchWith(seismic, s10);
    const sync = (q: CsrBatch, o: SearchOptions): SearchResult => (s10.exact ? seismic.searchSync(q, { ...o, queryCut: 0, heapFactor: 1 }) : seismic.searchSync(q, { ...o, queryCut: s10.queryCut, heapFactor: s10.heapFactor }));
    setSearchThreads(1);
    for (let q = 0; q + 1 < warmup.indptr.length; q++) void (s10.exact ? undefined : sync(sliceRows(warmup, q, q + 1), { k: 10 }));
    const viaPool = await latency((q) => search(q, { k: 10 }), queries, nq);
    const m = await measure(search, queries, nq, { k: 10 }, s10.exact ? undefined : sync);
    setSearchThreads(os.availableParallelism());
    const withStats = await search(queries, { k: 10, stats: true });
    const docsScored = withStats.stats ? withStats.stats.reduce((a, x) => a + x.docsScored, 0) / nq : nd;
    const at100 = await searchWith(seismic, s100)(queries, { k: 100 });
    rows.push({
      method: 'seismic', params, ...(params === 'default' ? { settings: { k10: s10, k100: s100 } } : {}),
      recall_at_10: recallAtK(truth, m.result, 10), recall_at_100: recallAtK(truth100, at100, 100),
      mean_ms: mean(m.ms), p50_ms: quantile(m.ms, 0.5), p99_ms: quantile(m.ms, 0.99), async_mean_ms: mean(viaPool.ms), qps: m.qps,
      docs_scored: docsScored, kept_share: keptShare, build_s: buildS, calibration_s: calibrationS, index_bytes: seismic.indexBytes, forward_bytes: seismic.forwardBytes,
    });
  };
  for (const { label, cal, seconds } of calibrations) {
    await seismicRow('default', settingsFor(cal, 10, {}), settingsFor(cal, 100, {}), seconds);
    rows[rows.length - 1].method = label === 'default' ? 'seismic' : 'seismic (tune-calibrated)';
  }
  for (const s of args.settings.split(',')) {
    const [queryCut, heapFactor] = s.split(':').map(Number);
    await seismicRow({ queryCut, heapFactor }, { queryCut, heapFactor }, { queryCut, heapFactor }, null);
  }

  // Filtered recall@10 of the default (pseudo-calibrated) settings, random filters.
  const filtered: Array<{ selectivity: number; recall_at_10: number }> = [];
  const def = settingsFor(calibrations[0].cal, 10, {}, true); // as a filtered search with no knobs runs
  for (const share of [0.05, 0.1, 0.2, 0.5]) {
    const allow = randomFilter(nd, share, 12345);
    const want = await forward.searchExact(queries, { k: 10, allow });
    const got = await searchWith(seismic, def)(queries, { k: 10, allow });
    filtered.push({ selectivity: share, recall_at_10: recallAtK(want, got, 10) });
  }

  const fmt = (x: number | null, d = 3): string => (x === null ? '-' : x.toFixed(d));
  console.log(`\n| method | params | recall@10 | recall@100 | mean ms | p50 ms | p99 ms | mean ms via Promise | QPS (${os.availableParallelism()} cores) | docs scored | kept % | build s | calibration s | index MB | forward MB | index bytes/nnz |`);
  console.log('|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|');
  for (const r of rows) {
    const p = r.params === 'default' ? `default (k10 ${show(r.settings!.k10)}; k100 ${show(r.settings!.k100)})` : Object.entries(r.params).map(([k, v]) => `${k}=${v}`).join(' ') || '-';
    console.log(`| ${r.method} | ${p} | ${fmt(r.recall_at_10)} | ${fmt(r.recall_at_100)} | ${fmt(r.mean_ms)} | ${fmt(r.p50_ms)} | ${fmt(r.p99_ms)} | ${fmt(r.async_mean_ms)} | ${fmt(r.qps, 0)} | ${fmt(r.docs_scored, 0)} | ${r.kept_share === null ? '-' : (100 * r.kept_share).toFixed(1)} | ${fmt(r.build_s, 1)} | ${fmt(r.calibration_s, 1)} | ${r.index_bytes === null ? '-' : (r.index_bytes / 1e6).toFixed(1)} | ${(r.forward_bytes / 1e6).toFixed(1)} | ${r.index_bytes === null ? '-' : (r.index_bytes / nnz).toFixed(2)} |`);
  }
  console.log(`\nfiltered (random allow-lists), recall@10 of the default settings vs exact under the same filter: ${filtered.map((f) => `${f.selectivity * 100}%: ${f.recall_at_10.toFixed(3)}`).join(', ')}`);
  console.log(`forward bytes/nnz: ${(forward.bytes / nnz).toFixed(2)} (exact, exhaustive), ${(seismic.forwardBytes / nnz).toFixed(2)} (Seismic segment); exact and exhaustive latency over the first ${exactN} queries, on one pool thread behind a Promise;`);
  console.log('Seismic latency: one query per call on the calling thread (searchSync), after a warm-up on the other half; "via Promise": the same on one pool thread (thread hop included).');
  console.log('No data set here is made of real SPLADE document vectors (there are none on this machine).');
  console.log(`machine: ${os.availableParallelism()} cores; ${os.loadavg()[0].toFixed(2)} load average at the end`);
  if (args.json) writeFileSync(args.json, JSON.stringify({ source, rows, filtered, calibrations, docs: nd, queries: nq }, null, 2));
  seismic.close();
  rmSync(servedDir, { recursive: true, force: true });
  inverted.close();
  forward.close();
}

/** The engine's own seal of these rows (segment-build.ts: build, calibration on pseudo-queries, file, reload), timed. */
async function engineSeal(docs: CsrBatch, docnos: Uint32Array, profile: keyof typeof QUERY_LENGTHS, threads: number, target: number): Promise<void> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'sparrow-bench-seal-'));
  try {
    const rows = Array.from({ length: docnos.length }, (_, r) => ({
      docno: docnos[r],
      vector: { indices: docs.indices.subarray(docs.indptr[r], docs.indptr[r + 1]), values: docs.values.subarray(docs.indptr[r], docs.indptr[r + 1]) },
      tf: false,
      length: 0,
    }));
    const plan = { target, queries: (csr: CsrBatch, d: Uint32Array) => pseudoQueries(csr, d, { lengths: [...QUERY_LENGTHS[profile]], weighting: profile === 'siamese' ? 'document' : 'idf' }, Number(args['calibration-queries'])) };
    const t0 = performance.now();
    const built = await buildSegment(rows, dir, PARAMS, threads, 'seal-build', 0, plan);
    const sealS = (performance.now() - t0) / 1000;
    const cal = calibrationOf(built.index);
    console.log(`engine seal (segment-build.ts, ${threads} build threads): ${sealS.toFixed(1)} s in all; build ${((cal?.buildMs ?? 0) / 1000).toFixed(1)} s, calibration ${((cal?.ms ?? 0) / 1000).toFixed(1)} s (work ${cal?.work} of budget ${cal?.budget}${cal?.stopped ? `, stopped by ${cal.stopped}` : ''}); k=10 ${cal ? show(cal.k10) : '-'}, k=100 ${cal ? show(cal.k100) : '-'}`);
    built.index.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function show(s: QuerySettings): string {
  return s.exact ? 'exact' : `qc=${s.queryCut} hf=${s.heapFactor}`;
}

await main().catch((error: unknown) => {
  console.error(`bench:index: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(2);
});
