/**
 * npm run bench:engine [-- --docs 100000 --queries 200 --big]
 * Collections-engine figures on SYNTHETIC SPLADE-like documents (test/bench/synthetic.ts; there are
 * no real SPLADE document vectors here) and synthetic queries of the `report` set (the filter
 * threshold is read off the `tune` set). Prints tables:
 *   1. ingest docs/s of pre-encoded vectors (durability process vs fsync, big and small batches)
 *   2. seal and merge times (seal = build + save + fsync + rename + mmap of one segment;
 *      merge = optimize() of 10 segments into one, reading live rows back from SQLite), and the
 *      event-loop delay during that merge (perf_hooks.monitorEventLoopDelay, p50/p99/max), with the
 *      time a seal of mutableMaxDocs documents queued while the merge runs takes to finish
 *   3. recall@10 of the approximate filtered search vs exact, at 50/20/10/5/1/0.1 % selectivity
 *   4. search latency of the same documents in 1, 5, 20 and 50 sealed segments (--segments), with
 *      recall@10 and documents scored; the engine's one native call (auto placement) beside forced
 *      placements and the old one-call-per-segment path, interleaved query by query
 *   5. with --live N: search p50/p99 idle vs while 200,000 documents (--live-ingest) are ingested at
 *      1,000 docs/s (--live-rate) into a collection of N; event-loop delay; most sealed segments seen
 *      (the writing client's documents are generated before the clock starts; each batch is turned
 *      into request objects as it is sent)
 *   6. with --mutable: the mutable segment (JS) at its largest allowed size: add per document and
 *      search p50/p99 of one segment of mutableMaxDocs rows, and of the maxUnsealedDocs worst case
 *      (that many rows in mutableMaxDocs-sized segments, all scored on the event loop per query)
 * --ingest-only runs only table 1; --search-only only tables 4 and 5. --big runs only table 2, at 1,000,000 documents
 * (--big-docs N for another size; tens of minutes on 2 cores, ~2 GB of disk at 1M).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { DEFAULT_INDEX } from '../../src/config.js';
import type { EngineCollection } from '../../src/engine/write/collection.js';
import { EngineManager } from '../../src/engine/manager.js';
import { buildSegment, type BuildRow } from '../../src/engine/segments/segment-build.js';
import { MutableSegment } from '../../src/engine/write/mutable-segment.js';
import type { CsrBatch } from '../../src/core/types.js';
import type { Collection, CollectionConfig, DocumentInput, Filter } from '../../src/engine/types.js';
import { upsertRetrying } from './upsert.js';
import { table } from './table.js';
import { latencyBySegments, latencyWhileIngesting } from './engine-search.js';
import { generateDocBatch, generateQueries } from './synthetic.js';

const arg = (name: string, dflt: number): number => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : dflt;
};
const DOCS = arg('docs', 100_000);
const QUERIES = arg('queries', 200);
const BIG = process.argv.includes('--big');
const BIG_DOCS = arg('big-docs', 1_000_000);
/** --ingest-only: table 1 alone */
const INGEST_ONLY = process.argv.includes('--ingest-only');
/** --segments 1,5,20,50: sealed-segment counts of table 4 */
const SEGMENT_COUNTS = (process.argv.includes('--segments') ? process.argv[process.argv.indexOf('--segments') + 1] : '1,5,20,50').split(',').map(Number);
/** --live N: table 5, searches while 200k documents are ingested at 1,000 docs/s into a collection of N (0: skip) */
const LIVE = arg('live', 0);
/** --search-only: tables 4 (and 5) alone */
const SEARCH_ONLY = process.argv.includes('--search-only');
/** --mutable: table 6 alone */
const MUTABLE = process.argv.includes('--mutable');
const LIVE_INGEST = arg('live-ingest', 200_000);
const LIVE_RATE = arg('live-rate', 1_000);
const root = fs.mkdtempSync(path.join(os.tmpdir(), 'sparrow-bench-engine-'));

function docsOf(b: CsrBatch, from: number): DocumentInput[] {
  const out: DocumentInput[] = [];
  for (let r = 0; r + 1 < b.indptr.length; r++) {
    const s = b.indptr[r];
    const e = b.indptr[r + 1];
    out.push({ id: `d${from + r}`, sparse: { indices: Array.from(b.indices.subarray(s, e)), values: Array.from(b.values.subarray(s, e)) }, metadata: { bucket: (from + r) % 1000 } });
  }
  return out;
}

/** Upserts docs [0, n) in `batch`-sized requests, `concurrency` at a time; waits on back-pressure.
 * With `docs` given, the vectors are generated before the clock starts (the ingest figure). */
async function ingest(c: Collection, n: number, batch: number, concurrency: number, pre?: DocumentInput[]): Promise<number> {
  const started = performance.now();
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < n) {
      const from = next;
      next = Math.min(n, next + batch);
      const docs = pre ? pre.slice(from, next) : docsOf(generateDocBatch(from, next - from), from);
      await upsertRetrying(c, docs, 50);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return n / ((performance.now() - started) / 1000);
}

function config(over: Partial<CollectionConfig['index']>, durability: 'process' | 'fsync' = 'process'): Partial<CollectionConfig> {
  return { encoder: { kind: 'splade' }, durability, filterable: { bucket: 'number' }, index: { ...DEFAULT_INDEX, maxUnsealedDocs: 400_000, ...over } };
}

function queryRows(set: 'tune' | 'report'): Array<{ indices: number[]; values: number[] }> {
  const q = generateQueries(QUERIES, { set });
  return Array.from({ length: QUERIES }, (_, r) => ({ indices: Array.from(q.indices.subarray(q.indptr[r], q.indptr[r + 1])), values: Array.from(q.values.subarray(q.indptr[r], q.indptr[r + 1])) }));
}

const pct = (xs: number[], p: number): number => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))];
const f1 = (x: number): string => x.toFixed(1);

async function main(): Promise<void> {
  const manager = await EngineManager.open({ dataDir: root });
  console.log(`engine bench: ${DOCS} synthetic documents, ${QUERIES} synthetic queries, ${os.availableParallelism()} cores (shared machine)\n`);

  if (BIG) {
    table(TABLE2, TABLE2_HEAD, [await sealAndMerge(manager, BIG_DOCS)]);
    await manager.close();
    fs.rmSync(root, { recursive: true, force: true });
    return;
  }
  if (MUTABLE) {
    table('6. mutable segment (JS) at its largest allowed size, report queries, k = 10', ['rows', 'segments', 'add µs/doc', 'search p50 ms', 'search p99 ms'], mutableTable());
    await manager.close();
    fs.rmSync(root, { recursive: true, force: true });
    return;
  }
  const pre = docsOf(generateDocBatch(0, DOCS), 0);
  if (SEARCH_ONLY) {
    const one = await manager.create(`merge-${DOCS}`, config({ mutableMaxDocs: DOCS, maxUnsealedDocs: DOCS }));
    await ingest(one, DOCS, 1000, 1, pre);
    await one.flush();
    await searchTables(manager, one, pre);
    await manager.close();
    fs.rmSync(root, { recursive: true, force: true });
    return;
  }
  // 1. ingest
  const ingestRows: string[][] = [];
  for (const [durability, batch, conc, n] of [
    ['process', 500, 4, DOCS],
    ['fsync', 500, 4, Math.min(DOCS, 50_000)],
    ['process', 10, 8, 10_000],
    ['fsync', 10, 8, 10_000],
    ['process', 1, 1, 2_000], // one commit per document: the durability cost in full
    ['fsync', 1, 1, 2_000],
  ] as const) {
    const c = await manager.create(`ingest-${durability}-${batch}`, config({ mergeFactor: 1000 }, durability));
    const rate = await ingest(c, n, batch, conc, pre);
    ingestRows.push([durability, String(batch), String(conc), String(n), rate.toFixed(0)]);
    if (!(durability === 'process' && batch === 500)) await manager.drop(c.name);
  }
  table('1. ingest of pre-encoded vectors (sealing runs in the background meanwhile)', ['durability', 'batch', 'concurrent', 'docs', 'docs/s'], ingestRows);
  if (INGEST_ONLY) {
    await manager.close();
    fs.rmSync(root, { recursive: true, force: true });
    return;
  }

  // 2. seal and merge
  table(TABLE2, TABLE2_HEAD, [await sealAndMerge(manager, DOCS)]);

  // 3. filter recall (the optimized collection: one sealed segment)
  const base = manager.get(`merge-${DOCS}`);
  const filtered = base as EngineCollection;
  filtered.config.index.exactFilterSelectivity = 0; // force the approximate path; exact: true is the reference
  const recallRows: string[][] = [];
  for (const set of ['tune', 'report'] as const) {
    const qs = queryRows(set);
    for (const sel of [0.5, 0.2, 0.1, 0.05, 0.01, 0.001]) {
      const filter: Filter = { field: 'bucket', range: { lt: Math.round(sel * 1000) } };
      let recall = 0;
      const tA: number[] = [];
      const tE: number[] = [];
      for (const q of qs) {
        let t = performance.now();
        const approx = await base.search({ sparse: q, k: 10, filter });
        tA.push(performance.now() - t);
        t = performance.now();
        const exact = await base.search({ sparse: q, k: 10, filter, exact: true });
        tE.push(performance.now() - t);
        const want = new Set(exact.hits.map((h) => h.id));
        recall += want.size === 0 ? 1 : approx.hits.filter((h) => want.has(h.id)).length / want.size;
      }
      recallRows.push([set, `${sel * 100}%`, (recall / qs.length).toFixed(3), f1(pct(tA, 50)), f1(pct(tE, 50))]);
    }
  }
  filtered.config.index.exactFilterSelectivity = DEFAULT_INDEX.exactFilterSelectivity;
  table(`3. filtered search, recall@10 approximate vs exact (${DOCS} docs, one segment)`, ['queries', 'selectivity', 'recall@10', 'approx p50 ms', 'exact p50 ms'], recallRows);

  await searchTables(manager, base, pre);
  await manager.close();
  fs.rmSync(root, { recursive: true, force: true });
}

/** Tables 4 and 5; `base` holds the documents in one sealed segment. */
async function searchTables(manager: EngineManager, base: Collection, pre: DocumentInput[]): Promise<void> {
  // 4. latency vs segment count (the same documents; every variant interleaved query by query)
  const qs = queryRows('report');
  const cols = [{ segments: 1, c: base }];
  for (const segs of SEGMENT_COUNTS.filter((n) => n > 1)) {
    const c = await manager.create(`segs-${segs}`, config({ mutableMaxDocs: Math.ceil(DOCS / segs), mergeFactor: 1000 }));
    await ingest(c, DOCS, 1000, 1, pre); // one writer: every seal holds exactly mutableMaxDocs documents
    await c.flush();
    cols.push({ segments: c.stats().segments.filter((s) => s.sealed).length, c });
  }
  table(
    `4. search latency by sealed-segment count, k = 10, ${DOCS} docs, one query at a time, engine defaults (load ${os.loadavg()[0].toFixed(1)} on ${os.availableParallelism()} cores)`,
    ['segments', 'path', 'recall@10', 'docs scored', 'p50 µs', 'p99 µs', 'p50 / p50@1'],
    await latencyBySegments(cols, qs),
  );
  if (LIVE > 0) await ingestTable(manager, qs);
}

/** Table 5: a collection of LIVE documents (merged by the default policy), then LIVE_INGEST more at LIVE_RATE docs/s while searching. */
async function ingestTable(manager: EngineManager, qs: Array<{ indices: number[]; values: number[] }>): Promise<void> {
  const c = await manager.create('live', config({}));
  await ingest(c, LIVE, 1000, 2);
  await c.flush();
  // The client's documents are generated before the clock starts, as CSR (off the JS heap); each
  // batch becomes request objects as it is sent, about what parsing a request body costs a server.
  // (Generating them on the fly took ~10 ms of the measured event loop per batch of 100.)
  const batch = 100;
  const batches = Array.from({ length: Math.ceil(LIVE_INGEST / batch) }, (_, i) => generateDocBatch(LIVE + i * batch, Math.min(batch, LIVE_INGEST - i * batch)));
  const writer = async (): Promise<{ docs: number; seconds: number }> => {
    const started = performance.now();
    for (let i = 0; i < batches.length; i++) {
      const from = LIVE + i * batch;
      const due = started + ((from - LIVE) / LIVE_RATE) * 1000;
      if (due > performance.now()) await new Promise((r) => setTimeout(r, due - performance.now()));
      await upsertRetrying(c, docsOf(batches[i], from), 50);
    }
    return { docs: LIVE_INGEST, seconds: (performance.now() - started) / 1000 };
  };
  const r = await latencyWhileIngesting(c as EngineCollection, qs, writer);
  table(
    `5. search while ingesting ${LIVE_INGEST} docs at ${LIVE_RATE} docs/s into ${LIVE} (default merge policy; load ${os.loadavg()[0].toFixed(1)})`,
    ['phase', 'docs/s', 'recall@10 (searches checked)', 'docs scored', 'p50 µs', 'p99 µs', 'p99 / idle p99', 'max sealed segments', 'event loop p99 ms', 'event loop max ms', 'GC pauses: count / total / max ms'],
    [
      ['idle', '', `${r.idle.recall.toFixed(3)} (${r.idle.checks}, exact after each)`, r.idle.docs.toFixed(0), r.idle.p50.toFixed(0), r.idle.p99.toFixed(0), '1.00', '', '', '', ''],
      [
        'ingesting',
        r.rate.toFixed(0),
        `${r.busy.recall.toFixed(3)} (${r.busy.checks}, recall monitor)`,
        r.busy.docs.toFixed(0),
        r.busy.p50.toFixed(0),
        r.busy.p99.toFixed(0),
        (r.busy.p99 / r.idle.p99).toFixed(2),
        String(r.maxSegments),
        r.loopP99.toFixed(1),
        r.loopMax.toFixed(1),
        `${r.gc.count} / ${r.gc.totalMs.toFixed(0)} / ${r.gc.maxMs.toFixed(1)}`,
      ],
    ],
  );
}

const TABLE2 = '2. seal and merge (1 build thread); event-loop delay during the merge; a seal queued during the merge';
const TABLE2_HEAD = ['docs', 'seal s', 'merge 10→1 s', 'loop delay p50 / p99 / max ms', 'seal during merge s', 'segment MiB'];

/**
 * Ingests n docs as 10 sealed segments, times optimize() (the merge) with the event-loop delay
 * sampled every millisecond meanwhile, a seal of mutableMaxDocs documents queued once the merge has
 * started, and one direct seal of n rows.
 */
async function sealAndMerge(manager: EngineManager, n: number): Promise<string[]> {
  const mutableMaxDocs = Math.min(DEFAULT_INDEX.mutableMaxDocs, n / 10);
  const c = (await manager.create(`merge-${n}`, config({ mutableMaxDocs: n / 10, maxUnsealedDocs: n, mergeFactor: 1000 }))) as EngineCollection;
  await ingest(c, n, 1000, 2);
  await c.flush();
  c.config.index.mutableMaxDocs = mutableMaxDocs; // the seal queued during the merge is a normal one
  const extra = docsOf(generateDocBatch(n, mutableMaxDocs), n);
  let mergeMs = 0;
  let sealDuringMergeMs = NaN;
  let merging = true;
  c.onJob = (j) => {
    if (j.kind === 'merge') {
      mergeMs += j.ms;
      merging = false;
    } else if (merging) sealDuringMergeMs = j.ms;
  };
  const delay = monitorEventLoopDelay({ resolution: 1 });
  delay.enable();
  const merged = c.optimize();
  await new Promise((r) => setTimeout(r, 200));
  for (let i = 0; i < extra.length; i += 500) await c.upsert(extra.slice(i, i + 500)); // fills the mutable segment: its seal is queued while the merge runs
  await merged;
  delay.disable();
  await c.flush();
  const ms = (x: number): string => f1(x / 1e6);
  const rows: BuildRow[] = [];
  for (let from = 0; from < n; from += 50_000) {
    const b = generateDocBatch(from, Math.min(50_000, n - from));
    for (let r = 0; r + 1 < b.indptr.length; r++) {
      const vector = { indices: b.indices.slice(b.indptr[r], b.indptr[r + 1]), values: b.values.slice(b.indptr[r], b.indptr[r + 1]) };
      rows.push({ docno: from + r + 1, vector, tf: false, length: 0 });
    }
  }
  const dir = fs.mkdtempSync(path.join(root, 'seal-'));
  const t0 = performance.now();
  const built = await buildSegment(rows, dir, DEFAULT_INDEX.seismic, 1, 'seal-build');
  const sealMs = performance.now() - t0;
  built.index.close();
  return [
    String(n),
    f1(sealMs / 1000),
    f1(mergeMs / 1000),
    `${ms(delay.percentile(50))} / ${ms(delay.percentile(99))} / ${ms(delay.max)}`,
    Number.isNaN(sealDuringMergeMs) ? 'after the merge' : f1(sealDuringMergeMs / 1000),
    (built.row.bytes / 2 ** 20).toFixed(0),
  ];
}

/** Table 6: MutableSegment add and search at mutableMaxDocs rows, and maxUnsealedDocs rows in full segments. */
function mutableTable(): string[][] {
  const per = DEFAULT_INDEX.mutableMaxDocs;
  const qs = generateQueries(QUERIES, { set: 'report' });
  const queries = Array.from({ length: QUERIES }, (_, r) => ({ indices: qs.indices.slice(qs.indptr[r], qs.indptr[r + 1]), values: qs.values.slice(qs.indptr[r], qs.indptr[r + 1]) }));
  const out: string[][] = [];
  for (const total of [per, DEFAULT_INDEX.maxUnsealedDocs]) {
    const segs: MutableSegment[] = [];
    let addMs = 0;
    for (let from = 0; from < total; from += per) {
      const b = generateDocBatch(from, Math.min(per, total - from));
      const seg = new MutableSegment();
      const t = performance.now();
      for (let r = 0; r + 1 < b.indptr.length; r++) {
        seg.add({ docno: from + r + 1, vector: { indices: b.indices.subarray(b.indptr[r], b.indptr[r + 1]), values: b.values.subarray(b.indptr[r], b.indptr[r + 1]) }, tf: false, length: 0, seq: from + r + 1 });
      }
      addMs += performance.now() - t;
      segs.push(seg);
    }
    const times: number[] = [];
    for (const q of queries) {
      const t = performance.now();
      for (const seg of segs) seg.search(q, { k: 10 });
      times.push(performance.now() - t);
    }
    out.push([String(total), String(segs.length), f1((addMs * 1000) / total), f1(pct(times, 50)), f1(pct(times, 99))]);
  }
  return out;
}

main().catch((e: unknown) => {
  console.error(e);
  fs.rmSync(root, { recursive: true, force: true });
  process.exit(1);
});
