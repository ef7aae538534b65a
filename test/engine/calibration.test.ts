/**
 * Calibrated query defaults per segment, on real text (the SciFact sample shipped in the repo,
 * lexical BM25): the segment built at flush stores its calibration in its file; it is read back at
 * open; searches without knobs use it and explicit knobs override it; settings calibrated on
 * pseudo-queries reach the target recall on held-apart real queries (SciFact's claims, which the
 * calibration never saw). Plus the pure pieces: per-query recall, the lower bound, the choice of
 * settings per k, pseudo-queries, the recent-query store.
 */
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEncoder } from '../../src/encoder/factory.js';
import { CALIBRATION_GRID, CALIBRATION_QUERIES_DEEP, calibrateSegment, cutsFor, lowerBound, perQueryRecall, settingsFor, SUMMARY_BLOCK_COST, type Calibration } from '../../src/engine/scoring/calibrate.js';
import { buildSeismic, DEFAULT_SEISMIC_PARAMS, exactReference } from '../../src/index/native.js';
import type { SeismicIndex } from '../../src/index/native-types.js';
import { generateDocs, generateQueries } from '../bench/synthetic.js';
import type { EngineCollection } from '../../src/engine/write/collection.js';
import type { IndexConfig } from '../../src/engine/types.js';
import { EngineManager } from '../../src/engine/manager.js';
import { pseudoQueries } from '../../src/engine/scoring/pseudo-queries.js';
import { migrate } from '../../src/store/schema.js';
import { RECENT_FLUSH_MS, RecentQueries, TRIM_EVERY } from '../../src/store/recent-queries.js';
import { BLOCKED_PARAMS } from '../index/blocked-params.js';
import { sliceRows } from '../bench/csr-builder.js';
import { closeEngine, indexScifact, readScifact, tempDir } from './helpers.js';

const TARGET = 0.9;
const docs = readScifact<{ _id: string; title: string; text: string }>('corpus.jsonl');
// Every other claim (the report half of bench:index): never seen by calibration, which uses pseudo-queries.
const claims = readScifact<{ _id: string; text: string }>('queries.jsonl').filter((_, i) => i % 2 === 1).slice(0, 200);

describe('calibration on a sealed SciFact segment', () => {
  let dataDir: string;
  let manager: EngineManager;
  let col: EngineCollection;
  let stored: Calibration;
  const open = (): Promise<EngineManager> => EngineManager.open({ dataDir, encoderFor: (config, cpu) => createEncoder(config.encoder, cpu) });

  beforeAll(async () => {
    dataDir = tempDir();
    manager = await open();
    // Only these index options: the rest are the lexical defaults (as a PUT with the same body gets).
    // Target 0.9: with today's summaries the thorough setting reaches about 0.94 on these pseudo-queries,
    // so at 0.95 the segment would fall back to exact search and no approximate setting would be tested.
    // Blocks from 100,000 non-zeros (SciFact: 513k), under the 8M default where it would be exhaustive and uncalibrated.
    const index = { mutableMaxDocs: 10_000, maxUnsealedDocs: 10_000, recentQueries: false, targetRecall: TARGET, seismic: BLOCKED_PARAMS } as Partial<IndexConfig> as IndexConfig;
    col = await indexScifact(manager, 'scifact', docs, index);
  }, 600_000);

  afterAll(() => closeEngine(manager, dataDir));

  it('stores the calibration in the segment file and reads it back at open', async () => {
    expect(col.sealed).toHaveLength(1);
    const cal = col.sealed[0].calibration;
    expect(cal).toBeDefined();
    stored = cal!;
    expect(stored).toMatchObject({ version: 1, target: TARGET, source: 'pseudo', queries: 200 });
    for (const s of [stored.k10, stored.k100]) {
      if (!s.exact) expect(s.lowerBound).toBeGreaterThanOrEqual(TARGET);
      expect(s.lowerBound).toBeLessThanOrEqual(s.recall);
    }
    // GET /v1/collections/{name} shows it beside the build time
    const shown = col.stats().segments[0].calibration!;
    expect(shown).toMatchObject({ source: 'pseudo', queries: 200, k10: { queryCut: stored.k10.queryCut, heapFactor: stored.k10.heapFactor } });
    expect(shown.seconds).toBeGreaterThan(0);
    expect(shown.buildSeconds).toBeGreaterThan(0);
    await manager.close();
    manager = await open();
    col = manager.get('scifact') as EngineCollection;
    expect(col.sealed[0].calibration).toEqual(stored);
  });

  it('searches with the calibrated settings by default and with explicit knobs when given', async () => {
    const byDefault = await col.search({ query: claims[0].text, k: 10, stats: true });
    const seg = byDefault.stats!.segments[0];
    expect(seg.from).toBe('calibrated');
    if (stored.k10.exact) expect(seg.exact).toBe(true);
    else expect(seg).toMatchObject({ queryCut: stored.k10.queryCut, heapFactor: stored.k10.heapFactor });
    const deeper = await col.search({ query: claims[0].text, k: 50, stats: true });
    const want = settingsFor(stored, 50, {});
    expect(deeper.stats!.segments[0]).toMatchObject(want.exact ? { exact: true } : { queryCut: want.queryCut, heapFactor: want.heapFactor });
    // the filtered setting (a filtered search uses it through settingsFor, tested below) is shown too
    if (stored.filtered) expect(col.stats().segments[0].calibration!.filtered).toMatchObject({ queryCut: 0, heapFactor: stored.filtered.heapFactor });
    const knobs = await col.search({ query: claims[0].text, k: 10, queryCut: 3, heapFactor: 0.5, stats: true });
    expect(knobs.stats!.segments[0]).toMatchObject({ from: 'request', queryCut: 3, heapFactor: 0.5 });
    expect(knobs.stats!.docsScored).toBeGreaterThan(0);
  });

  it('reaches the target recall@10 on held-apart real queries with settings calibrated on pseudo-queries', async () => {
    let sum = 0;
    for (const q of claims) {
      const approx = await col.search({ query: q.text, k: 10 });
      const exact = await col.search({ query: q.text, k: 10, exact: true });
      const want = new Set(exact.hits.map((h) => h.id));
      sum += want.size === 0 ? 1 : approx.hits.filter((h) => want.has(h.id)).length / want.size;
    }
    expect(stored.k10.exact).toBeUndefined(); // an approximate setting was chosen, and it holds on real queries
    expect(sum / claims.length).toBeGreaterThanOrEqual(TARGET);
  });
});

describe('calibration walk on a synthetic segment (3,000 documents with blocks)', () => {
  const docs = generateDocs(3000);
  const docnos = Uint32Array.from({ length: 3000 }, (_, i) => i * 2 + 1); // docnos are not rows
  const cal = { queries: generateQueries(120, { set: 'tune' }), source: 'recent' as const };
  let seg: SeismicIndex;
  beforeAll(async () => {
    seg = await buildSeismic(docs, docnos, { ...DEFAULT_SEISMIC_PARAMS, exhaustiveBelow: 1000 }, { threads: 2 });
  }, 120_000);
  afterAll(() => seg?.close());

  it('the exact reference ranks as the segment exact search over its stored weights', async () => {
    const want = await seg.searchExact(cal.queries, { k: 20 });
    const got = exactReference(docs, docnos, cal.queries, 20, true);
    expect([...got.offsets]).toEqual([...want.offsets]);
    expect([...got.docnos]).toEqual([...want.docnos]);
    for (let i = 0; i < got.scores.length; i++) expect(got.scores[i]).toBeCloseTo(want.scores[i], 3);
  });

  it('is deterministic, within its budget in documents scored, and keeps a passing setting or exact', async () => {
    const target = 0.9;
    const a = await calibrateSegment({ index: seg, csr: docs, docnos }, cal, target);
    const b = await calibrateSegment({ index: seg, csr: docs, docnos }, cal, target);
    const { ms: _a, ...restA } = a;
    const { ms: _b, ...restB } = b;
    expect(restA).toEqual(restB); // the same walk and setting however loaded the machine is
    expect(a.stopped).toBeUndefined();
    expect(a.work).toBeLessThanOrEqual(a.budget!);
    for (const s of [a.k10, a.k100]) if (!s.exact) expect(s.lowerBound).toBeGreaterThanOrEqual(target);
    // a budget spent after the first setting: the walk stops there, the same way every time
    const small = await calibrateSegment({ index: seg, csr: docs, docnos }, cal, target, { budget: 1 });
    expect(small.stopped).toBe('budget');
    expect(small.k10.exact).toBe(small.k10.lowerBound < target ? true : undefined);
    const again = await calibrateSegment({ index: seg, csr: docs, docnos }, cal, target, { budget: 1 });
    expect({ ...again, ms: 0 }).toEqual({ ...small, ms: 0 });
    // the wall-clock guard (last resort) stops it too
    expect((await calibrateSegment({ index: seg, csr: docs, docnos }, cal, target, { deadline: 0 })).stopped).toBe('deadline');
  }, 120_000);

  it('finds a setting about as cheap as the cheapest passing one of the whole grid, measuring a fraction of it', async () => {
    const target = 0.9;
    const nq = cal.queries.indptr.length - 1;
    const want = exactReference(docs, docnos, cal.queries, 10, true);
    // every setting of the grid on every query: recall's lower bound and the cost calibration counts
    let cheapest = Infinity;
    let gridWork = 0;
    for (const s of CALIBRATION_GRID) {
      if (!cutsFor(cal.queries).includes(s.queryCut)) continue;
      const got = await seg.search(cal.queries, { k: 10, queryCut: s.queryCut, heapFactor: s.heapFactor, stats: true });
      const cost = got.stats!.reduce((a, st) => a + st.docsScored + SUMMARY_BLOCK_COST * (st.blocksScored + st.blocksSkipped), 0) / nq;
      gridWork += got.stats!.reduce((a, st) => a + st.docsScored, 0);
      if (lowerBound(perQueryRecall(want, got, 10)).lower >= target) cheapest = Math.min(cheapest, cost);
    }
    expect(cheapest).toBeLessThan(Infinity);
    const c = await calibrateSegment({ index: seg, csr: docs, docnos }, cal, target);
    expect(c.k10.exact).toBeUndefined();
    // decided on query prefixes, so within a margin of the whole grid's cheapest, never far above it
    expect(c.k10.cost!).toBeLessThanOrEqual(1.25 * cheapest);
    expect(c.work!).toBeLessThan(gridWork); // both k together measured less than the grid at k = 10
    // screening settings on their first queries: less measured than a walk measuring each on every
    // query, for a setting that passes as well and costs about as little
    const full = await calibrateSegment({ index: seg, csr: docs, docnos }, cal, target, { screen: Infinity });
    expect(c.work!).toBeLessThan(full.work!);
    for (const k of ['k10', 'k100'] as const) expect(c[k].cost!).toBeLessThanOrEqual(1.25 * full[k].cost!);
    // k = 100: about as cheap as the cheapest passing setting a deeper search can use (a cut from
    // k = 10's up, a factor from k = 10's down: it takes the safer of both), on the queries it calibrates
    const deep = sliceRows(cal.queries, 0, CALIBRATION_QUERIES_DEEP);
    const want100 = exactReference(docs, docnos, deep, 100, true);
    const cuts = cutsFor(cal.queries);
    let cheapest100 = Infinity;
    for (const s of CALIBRATION_GRID) {
      if (!cuts.includes(s.queryCut) || cuts.indexOf(s.queryCut) < cuts.indexOf(c.k10.queryCut) || s.heapFactor > c.k10.heapFactor) continue;
      const got = await seg.search(deep, { k: 100, queryCut: s.queryCut, heapFactor: s.heapFactor, stats: true });
      const cost = got.stats!.reduce((a, st) => a + st.docsScored + SUMMARY_BLOCK_COST * (st.blocksScored + st.blocksSkipped), 0) / CALIBRATION_QUERIES_DEEP;
      if (lowerBound(perQueryRecall(want100, got, 100)).lower >= target) cheapest100 = Math.min(cheapest100, cost);
    }
    expect(cheapest100).toBeLessThan(Infinity);
    expect(c.k100.exact).toBeUndefined();
    expect(cuts.indexOf(c.k100.queryCut)).toBeGreaterThanOrEqual(cuts.indexOf(c.k10.queryCut));
    expect(c.k100.heapFactor).toBeLessThanOrEqual(c.k10.heapFactor);
    expect(c.k100.cost!).toBeLessThanOrEqual(1.25 * cheapest100);
    // the filtered setting: every term, no higher a factor than the safer of both, passing under its allow-list
    expect(c.filtered).toBeDefined();
    expect(c.filtered!.queryCut).toBe(0);
    expect(c.filtered!.heapFactor).toBeLessThanOrEqual(Math.min(c.k10.heapFactor, c.k100.heapFactor));
    if (!c.filtered!.exact) expect(c.filtered!.lowerBound).toBeGreaterThanOrEqual(target);
  }, 120_000);
});

describe('calibration: pure parts', () => {
  it('measures query cuts below the longest query, then every term', () => {
    const q = (lens: number[]): { indptr: Uint32Array; indices: Uint32Array; values: Float32Array } => {
      const indptr = Uint32Array.from([0, ...lens.map((_, i) => lens.slice(0, i + 1).reduce((a, b) => a + b, 0))]);
      return { indptr, indices: new Uint32Array(indptr[lens.length]), values: new Float32Array(indptr[lens.length]) };
    };
    expect(cutsFor(q([4, 12]))).toEqual([3, 5, 8, 10, 0]);
    expect(cutsFor(q([64]))).toEqual([3, 5, 8, 10, 15, 20, 30, 0]);
    expect(cutsFor(q([2]))).toEqual([0]);
  });

  const result = (lists: number[][]): { offsets: Uint32Array; docnos: Uint32Array; scores: Float32Array } => {
    const offsets = new Uint32Array(lists.length + 1);
    lists.forEach((l, i) => (offsets[i + 1] = offsets[i] + l.length));
    return { offsets, docnos: Uint32Array.from(lists.flat()), scores: new Float32Array(offsets[lists.length]) };
  };

  it('counts recall per query at k, leaving out each query source document', () => {
    const want = result([[1, 2, 3], [7, 8], []]);
    const got = result([[3, 9, 1], [8, 7], [5]]);
    expect(perQueryRecall(want, got, 3)).toEqual([2 / 3, 1, 1]);
    // source 1 of query 0 is dropped from both lists: want [2, 3], got [3, 9] -> 1/2
    expect(perQueryRecall(want, got, 2, Uint32Array.of(1, 99, 99))).toEqual([0.5, 1, 1]);
  });

  it('puts the lower bound below the mean by 1.645 standard errors', () => {
    expect(lowerBound([1, 1, 1, 1])).toEqual({ mean: 1, lower: 1 });
    const { mean, lower } = lowerBound([1, 0, 1, 0]);
    expect(mean).toBe(0.5);
    expect(lower).toBeCloseTo(0.5 - (1.645 * Math.sqrt(1 / 3)) / 2, 10);
  });

  it('uses the k = 10 setting up to k = 10, the safer of both above, knobs over either', () => {
    const cal: Calibration = {
      version: 1, target: 0.95, source: 'pseudo', queries: 10, ms: 1,
      k10: { queryCut: 5, heapFactor: 0.8, recall: 1, lowerBound: 1, docsScored: 1 },
      k100: { queryCut: 10, heapFactor: 0.7, recall: 1, lowerBound: 1, docsScored: 1 },
    };
    expect(settingsFor(cal, 10, {})).toEqual({ queryCut: 5, heapFactor: 0.8 });
    expect(settingsFor(cal, 11, {})).toEqual({ queryCut: 10, heapFactor: 0.7 });
    expect(settingsFor({ ...cal, k100: { ...cal.k100, queryCut: 0, exact: true } }, 100, {})).toEqual({ queryCut: 0, heapFactor: 0.7, exact: true });
    expect(settingsFor(cal, 10, { heapFactor: 1 })).toEqual({ queryCut: 5, heapFactor: 1 });
    expect(settingsFor(undefined, 10, {})).toEqual({ queryCut: 0, heapFactor: 0.2 });
    // a filtered search with no knobs visits every query term at the safer calibrated heap factor (k = 10 and 100); knobs still win
    expect(settingsFor(cal, 10, {}, true)).toEqual({ queryCut: 0, heapFactor: 0.7 });
    expect(settingsFor(cal, 10, { queryCut: 5 }, true)).toEqual({ queryCut: 5, heapFactor: 0.7 });
    expect(settingsFor(cal, 10, { heapFactor: 0.9 }, true)).toEqual({ queryCut: 10, heapFactor: 0.9 });
    // with its own calibrated filtered setting: that one at k <= 10, the safer of it and k = 100's deeper
    const withFiltered: Calibration = { ...cal, filtered: { queryCut: 0, heapFactor: 0.5, recall: 1, lowerBound: 1, docsScored: 1 } };
    expect(settingsFor(withFiltered, 10, {}, true)).toEqual({ queryCut: 0, heapFactor: 0.5 });
    expect(settingsFor({ ...withFiltered, filtered: { ...withFiltered.filtered!, heapFactor: 0.9 } }, 50, {}, true)).toEqual({ queryCut: 0, heapFactor: 0.7 });
    expect(settingsFor({ ...withFiltered, filtered: { ...withFiltered.filtered!, exact: true } }, 10, {}, true)).toEqual({ queryCut: 0, heapFactor: 0.5, exact: true });
  });

  it('makes pseudo-queries of the asked lengths from distinct source rows, terms taken from the source', () => {
    const docs = { indptr: Uint32Array.of(0, 3, 6, 10), indices: Uint32Array.of(1, 2, 3, 2, 4, 6, 1, 5, 7, 9), values: Float32Array.of(1, 2, 3, 1, 1, 1, 4, 3, 2, 1) };
    const docnos = Uint32Array.of(10, 20, 30);
    const q = pseudoQueries(docs, docnos, { lengths: [2], weighting: 'document' }, 3);
    expect([...q.sources!].sort()).toEqual([10, 20, 30]);
    for (let i = 0; i < 3; i++) {
      const row = [...docnos].indexOf(q.sources![i]);
      const terms = [...q.queries.indices.subarray(q.queries.indptr[i], q.queries.indptr[i + 1])];
      expect(terms).toHaveLength(2);
      for (const t of terms) expect([...docs.indices.subarray(docs.indptr[row], docs.indptr[row + 1])]).toContain(t);
    }
    const idf = pseudoQueries(docs, docnos, { lengths: [3], weighting: 'idf' }, 1);
    expect(Math.min(...idf.queries.values)).toBeGreaterThan(0);
  });

  it('keeps a bounded, sampled, retained set of recent queries', () => {
    const db = new Database(':memory:');
    migrate(db);
    let now = 1_000_000;
    const recent = new RecentQueries(db, { limit: 3, every: 2, retentionMs: 1000 }, () => now);
    for (let i = 0; i < 10; i++) recent.record({ indices: Uint32Array.of(i), values: Float32Array.of(i + 0.5) });
    expect(recent.size()).toBe(3); // 5 kept (every other one), bounded to 3
    expect([...recent.sample(10).indices]).toEqual([8, 6, 4]);
    now += 2000;
    expect(recent.size()).toBe(0); // past retention
    recent.record({ indices: Uint32Array.of(42), values: Float32Array.of(1) });
    expect([...recent.sample(10).indices]).toEqual([42]);
    recent.clear();
    expect(recent.size()).toBe(0);
    db.close();
  });

  it('writes a recent query after the request (recordSoon), trimming the table once every TRIM_EVERY stored queries', async () => {
    const db = new Database(':memory:');
    migrate(db);
    const recent = new RecentQueries(db, { limit: 5, every: 1, retentionMs: 1e9 });
    const q = { indices: Uint32Array.of(7), values: Float32Array.of(1) };
    recent.recordSoon(q);
    q.indices[0] = 8; // the caller's arrays may change: the query was copied
    expect(recent.size()).toBe(0); // not yet: written within RECENT_FLUSH_MS
    await new Promise((resolve) => setImmediate(resolve));
    expect(recent.size()).toBe(0); // not on the next turn either: queries are gathered for one commit
    await new Promise((resolve) => setTimeout(resolve, RECENT_FLUSH_MS + 50));
    expect([...recent.sample(10).indices]).toEqual([7]);
    for (let i = 0; i < TRIM_EVERY + 1; i++) recent.record({ indices: Uint32Array.of(100 + i), values: Float32Array.of(1) });
    const rows = (db.prepare('SELECT COUNT(*) AS n FROM recent_queries').get() as { n: number }).n;
    expect(rows).toBeLessThan(5 + TRIM_EVERY); // trimmed on the TRIM_EVERY-th insert
    expect(recent.size()).toBe(5);
    expect([...recent.sample(10).indices]).toEqual([132, 131, 130, 129, 128]);
    // the queries kept meanwhile (concurrent searches) are written together, in order; flush() writes them at once
    const maxId = (): number => (db.prepare('SELECT MAX(id) AS id FROM recent_queries').get() as { id: number }).id;
    const before = maxId();
    for (const i of [200, 201, 202]) recent.recordSoon({ indices: Uint32Array.of(i), values: Float32Array.of(1) });
    expect(maxId()).toBe(before); // nothing written yet
    recent.flush();
    expect([...recent.sample(3).indices]).toEqual([202, 201, 200]);
    recent.flush(); // nothing pending: writes nothing
    expect(maxId()).toBe(before + 3);
    // `limit` pending queries are written without waiting for the timer
    for (let i = 0; i < 5; i++) recent.recordSoon({ indices: Uint32Array.of(300 + i), values: Float32Array.of(1) });
    expect([...recent.sample(5).indices]).toEqual([304, 303, 302, 301, 300]);
    db.close();
  });
});
