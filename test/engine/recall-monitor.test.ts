/**
 * The recall monitor on real text (SciFact sample, lexical): its figure agrees with an offline
 * measurement of the same default searches against exact: true (within 0.02); it is exported in
 * the collection's stats, over HTTP (GET /v1/collections/{name}) and on /metrics; a search with
 * stats: true shows the settings used. Plus the monitor's sampling and share bound.
 */
import fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_SEISMIC } from '../../src/config.js';
import { createEncoder } from '../../src/encoder/factory.js';
import { MIN_CALIBRATED_DOCS } from '../../src/engine/scoring/calibrate.js';
import type { EngineCollection } from '../../src/engine/write/collection.js';
import { EngineManager } from '../../src/engine/manager.js';
import { RecallMonitor, recallOf } from '../../src/engine/search/recall-monitor.js';
import type { IndexConfig } from '../../src/engine/types.js';
import { body, openApp, testConfig } from '../http/helpers.js';
import { closeEngine, indexScifact, readScifact, scifactDocs, tempDir } from './helpers.js';

const docs = scifactDocs(MIN_CALIBRATED_DOCS - 100);
const claims = readScifact<{ _id: string; text: string }>('queries.jsonl').slice(0, 150);
// One blocked segment too small to calibrate: default searches use the engine's query defaults
// (DEFAULT_SEISMIC_QUERY), which are approximate here, so recall is below 1 and the comparison
// means something. (A calibrated segment's settings depend on how far its time-bounded calibration
// got, so they would make this test depend on the machine's speed.)
const index = { mutableMaxDocs: 10_000, maxUnsealedDocs: 10_000, recentQueries: false, seismic: { ...DEFAULT_SEISMIC, exhaustiveBelow: 0 } } as Partial<IndexConfig> as IndexConfig;

describe('recall monitor', () => {
  let dataDir: string;
  let manager: EngineManager;
  let col: EngineCollection;

  beforeAll(async () => {
    dataDir = tempDir();
    manager = await EngineManager.open({ dataDir, recallMonitor: { rate: 1, maxShare: 1, window: 1000 }, encoderFor: (config, cpu) => createEncoder(config.encoder, cpu) });
    col = await indexScifact(manager, 'scifact', docs, index);
  }, 600_000);

  afterAll(() => closeEngine(manager, dataDir));

  it('agrees with an offline measurement of the same searches within 0.02', async () => {
    expect(col.sealed).toHaveLength(1);
    expect(col.sealed[0].calibration).toBeUndefined(); // default searches use DEFAULT_SEISMIC_QUERY
    let offline = 0;
    for (const q of claims) {
      const approx = await col.search({ query: q.text, k: 10 }); // checked by the monitor
      await col.monitor.idle();
      const exact = await col.search({ query: q.text, k: 10, exact: true }); // not checked (exact)
      offline += recallOf(
        approx.hits.map((h) => h.id),
        exact.hits.map((h) => h.id),
      );
    }
    offline /= claims.length;
    const figure = col.stats().recall;
    expect(figure.checks).toBe(claims.length);
    expect(figure.recall).not.toBeNull();
    expect(offline).toBeLessThan(0.99);
    expect(Math.abs(figure.recall! - offline)).toBeLessThanOrEqual(0.02);
  });

  it('does not check searches with explicit knobs', async () => {
    const before = col.stats().recall.checks;
    await col.search({ query: claims[0].text, k: 10, queryCut: 3 });
    await col.monitor.idle();
    expect(col.stats().recall.checks).toBe(before);
  });
});

describe('recall monitor over HTTP', () => {
  it('shows the figure in the collection stats and on /metrics, and a search with stats: true its settings', async () => {
    const dir = tempDir();
    const app = await openApp(testConfig(dir, (c) => (c.server.recallMonitor = { rate: 1, maxShare: 1, window: 100 })));
    try {
      // blocks even at 50 documents (a segment of the exhaustive layout is searched exactly: nothing to check)
      const payload = { encoder: { kind: 'splade' }, index: { seismic: { exhaustiveBelow: 0 } } };
      expect((await app.inject({ method: 'PUT', url: '/v1/collections/m', payload })).statusCode).toBeLessThan(300);
      const documents = Array.from({ length: 50 }, (_, i) => ({ id: `d${i}`, sparse: { indices: [i % 7, 10 + (i % 5), 100 + i], values: [1 + (i % 3), 0.5, 0.1] } }));
      expect((await app.inject({ method: 'POST', url: '/v1/collections/m/documents', payload: { documents } })).statusCode).toBeLessThan(300);
      const task = body<{ id: string }>(await app.inject({ method: 'POST', url: '/v1/collections/m/_flush' }));
      for (let i = 0; i < 200 && body<{ status: string }>(await app.inject({ method: 'GET', url: `/v1/tasks/${task.id}` })).status === 'running'; i++) await new Promise((r) => setTimeout(r, 50));
      const res = await app.inject({ method: 'POST', url: '/v1/collections/m/search', payload: { sparse: { indices: [1, 11], values: [1, 1] }, k: 5, stats: true } });
      expect(res.statusCode).toBe(200);
      const stats = body<{ stats: { docsScored: number; segments: Array<{ from: string; queryCut?: number; exact?: boolean }> } }>(res).stats;
      expect(stats.segments.length).toBeGreaterThan(0);
      expect(stats.segments[0].from).toBe('uncalibrated'); // 50 documents: too few to calibrate, every query term
      expect(stats.segments[0].queryCut).toBe(0);
      expect(stats.docsScored).toBeGreaterThan(0);
      const knobs = await app.inject({ method: 'POST', url: '/v1/collections/m/search', payload: { sparse: { indices: [1, 11], values: [1, 1] }, k: 5, stats: true, queryCut: 1 } });
      expect(body<{ stats: { segments: Array<{ from: string; queryCut: number }> } }>(knobs).stats.segments[0]).toMatchObject({ from: 'request', queryCut: 1 });
      await new Promise((r) => setTimeout(r, 200)); // the background check
      const got = body<{ recall: { checks: number; recall: number | null; sampleRate: number } }>(await app.inject({ method: 'GET', url: '/v1/collections/m' }));
      expect(got.recall.sampleRate).toBe(1);
      expect(got.recall.checks).toBeGreaterThanOrEqual(1); // paging may search a tie group deeper: each search is checked
      expect(got.recall.recall).toBeGreaterThanOrEqual(0);
      const metrics = (await app.inject({ method: 'GET', url: '/metrics' })).body;
      expect(metrics).toMatch(/sparrow_search_recall\{collection="m"\} [0-9.]+/);
      expect(metrics).toMatch(new RegExp(`sparrow_search_recall_checks\\{collection="m"\\} ${got.recall.checks}`));
    } finally {
      await app.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('recall monitor: sampling', () => {
  it('samples at its rate, never at rate 0, and counts recall@k', () => {
    let x = 0;
    const seq = (): number => (x = (x + 0.37) % 1);
    const m = new RecallMonitor({ rate: 0.5, maxShare: 1, window: 10 }, seq);
    const picked = Array.from({ length: 100 }, () => m.sample()).filter(Boolean).length;
    expect(picked).toBeGreaterThan(35);
    expect(picked).toBeLessThan(65);
    expect(new RecallMonitor({ rate: 0, maxShare: 1, window: 10 }).sample()).toBe(false);
    expect(recallOf([1, 2, 3], [3, 4])).toBe(0.5);
    expect(recallOf([], [])).toBe(1);
  });

  it('averages the last `window` checks and releases what it held', async () => {
    const m = new RecallMonitor({ rate: 1, maxShare: 1, window: 2 });
    let released = 0;
    for (const exact of [[9], [1], [1, 2]]) void m.check([1], async () => exact, () => released++);
    await m.idle();
    expect(released).toBe(3);
    expect(m.figure()).toMatchObject({ recall: (1 + 0.5) / 2, window: 2, checks: 3 });
  });
});
