/**
 * Seals and merges run in separate lanes on worker threads: a seal queued while a merge runs
 * finishes before it (with one queue it waited for the merge), and everything stays searchable.
 */
import fs from 'node:fs';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { DEFAULT_INDEX } from '../../src/config.js';
import { EngineManager } from '../../src/engine/manager.js';
import type { EngineCollection } from '../../src/engine/write/collection.js';
import { Searcher } from '../../src/engine/search/searcher.js';
import type { DocumentInput } from '../../src/engine/types.js';
import { generateDocBatch, sparseRows } from '../bench/synthetic.js';
import { BLOCKED_PARAMS } from '../index/blocked-params.js';
import { tempDir } from './helpers.js';

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => fs.rmSync(d, { recursive: true, force: true })));

function docs(from: number, n: number): DocumentInput[] {
  return sparseRows(generateDocBatch(from, n)).map((sparse, r) => ({ id: `d${from + r}`, sparse }));
}

describe('seal and merge lanes', () => {
  it('a seal queued during a merge finishes first; both land and every document is found', async () => {
    const dir = tempDir();
    dirs.push(dir);
    const m = await EngineManager.open({ dataDir: dir });
    try {
      const c = (await m.create('lanes', { encoder: { kind: 'splade' }, index: { ...DEFAULT_INDEX, seismic: BLOCKED_PARAMS, mutableMaxDocs: 600, maxUnsealedDocs: 20_000, mergeFactor: 1000 } })) as EngineCollection;
      for (let from = 0; from < 2_400; from += 600) await c.upsert(docs(from, 600)); // 4 exhaustive segments (under exhaustiveBelow 100,000 non-zeros)
      await c.flush();
      expect(c.sealed.length).toBe(4);
      const events: string[] = [];
      c.onJob = (j) => events.push(`${j.kind}:${j.docs}`);
      const optimized = c.optimize(); // one merge of 2,400 documents: blocks and calibration, seconds
      await new Promise((r) => setTimeout(r, 50));
      await c.upsert([...docs(2_400, 50), { id: 'needle', sparse: { indices: [29_000], values: [100] } }]);
      const flushed = c.flush(); // queues a seal of 51 documents behind nothing but other seals
      await Promise.all([optimized, flushed]);
      expect(events).toEqual(['seal:51', 'merge:2400']);
      expect(c.sealed.map((s) => s.docnos.length).sort((a, b) => a - b)).toEqual([51, 2_400]);
      expect(c.stats().documents).toBe(2_451);
      const hits = (await c.search({ sparse: { indices: [29_000], values: [1] }, k: 1, exact: true })).hits;
      expect(hits.map((h) => h.id)).toEqual(['needle']);
    } finally {
      await m.close();
    }
  });

  it("a merge's input files are gone when it ends; a file a search still holds goes at that search's release", async () => {
    const dir = tempDir();
    dirs.push(dir);
    const m = await EngineManager.open({ dataDir: dir });
    try {
      const c = (await m.create('unlink', { encoder: { kind: 'splade' }, index: { ...DEFAULT_INDEX, mutableMaxDocs: 200, maxUnsealedDocs: 20_000, mergeFactor: 1000 } })) as EngineCollection;
      for (let from = 0; from < 600; from += 200) await c.upsert(docs(from, 200));
      await c.flush();
      const first = c.sealed.map((s) => s.path);
      expect(first).toHaveLength(3);
      const held = Searcher.acquire(c); // a search in flight over the three segments
      await c.optimize();
      expect(c.sealed).toHaveLength(1);
      expect(first.filter((f) => fs.existsSync(f))).toEqual(first); // still mapped by the search
      held.release();
      await vi.waitFor(() => expect(first.filter((f) => fs.existsSync(f))).toEqual([])); // unlinked off the event loop
      await c.upsert(docs(600, 200));
      await c.flush();
      const second = c.sealed.map((s) => s.path);
      expect(second).toHaveLength(2);
      await c.optimize(); // nothing holds them: gone when the merge ends
      expect(second.filter((f) => fs.existsSync(f))).toEqual([]);
      expect(fs.readdirSync(c.segmentsDir)).toEqual([c.sealed[0].id]);
      expect(c.stats().documents).toBe(800);
    } finally {
      await m.close();
    }
  });
});

