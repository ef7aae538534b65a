/**
 * 4 writers and 8 searchers for 10 seconds on one collection while segments seal and merge:
 * no error but back-pressure, no torn read (an updated document is always found exactly once),
 * no lost acknowledged write.
 */
import fs from 'node:fs';
import { afterAll, expect, it } from 'vitest';
import { DEFAULT_INDEX } from '../../src/config.js';
import { EngineManager } from '../../src/engine/manager.js';
import { AppError } from '../../src/errors.js';
import { randomSparse, rng, tempDir, UNIQUE_BASE } from './helpers.js';

const DURATION_MS = 10_000;
const STABLE = 200; // ids 0..199 always exist and are updated over and over
let dataDir: string;
afterAll(() => fs.rmSync(dataDir, { recursive: true, force: true }));

it('survives 4 writers and 8 searchers for 10 s', async () => {
  dataDir = tempDir();
  const manager = await EngineManager.open({ dataDir });
  const col = await manager.create('live', {
    encoder: { kind: 'splade' },
    index: { ...DEFAULT_INDEX, mutableMaxDocs: 400, maxUnsealedDocs: 1_200, mergeFactor: 3 },
  });
  const seed = Array.from({ length: STABLE }, (_, i) => ({ id: `s${i}`, sparse: randomSparse(rng(i), 20, 800, i), metadata: { v: 0 } }));
  await col.upsert(seed);
  const acked = new Map<string, number>(); // id -> last acknowledged version
  seed.forEach((d) => acked.set(d.id, 0));
  const errors: unknown[] = [];
  let backpressure = 0;
  let searches = 0;
  let writes = 0;
  const deadline = Date.now() + DURATION_MS;

  const writer = async (w: number): Promise<void> => {
    const rand = rng(1000 + w);
    for (let n = 0; Date.now() < deadline; n++) {
      // Each writer owns the stable ids i % 4 === w, so versions per id only grow.
      const stable = Array.from({ length: 5 }, () => {
        const i = Math.floor(rand() * (STABLE / 4)) * 4 + w;
        return { id: `s${i}`, sparse: randomSparse(rand, 20, 800, i), metadata: { v: (acked.get(`s${i}`) ?? 0) + 1 } };
      });
      const fresh = Array.from({ length: 20 }, (_, j) => {
        const uid = 10_000 + w * 1_000_000 + n * 20 + j;
        return { id: `f${uid}`, sparse: randomSparse(rand, 20, 800, uid), metadata: { v: 1 } };
      });
      const batch = [...new Map([...stable, ...fresh].map((d) => [d.id, d])).values()];
      try {
        await col.upsert(batch);
        for (const d of batch) acked.set(d.id, d.metadata.v);
        writes += batch.length;
      } catch (e) {
        if (e instanceof AppError && e.code === 'BACKPRESSURE') {
          backpressure++;
          await new Promise((r) => setTimeout(r, 20));
        } else errors.push(e);
      }
    }
  };

  const searcher = async (s: number): Promise<void> => {
    const rand = rng(5000 + s);
    while (Date.now() < deadline) {
      // Requests arrive as macrotasks (as HTTP requests do): a search answered from the mutable
      // segment alone never waits on I/O, so a tight loop would starve the event loop.
      await new Promise((r) => setImmediate(r));
      const i = Math.floor(rand() * STABLE);
      try {
        const res = await col.search({ sparse: { indices: [UNIQUE_BASE + i], values: [1] }, k: 3, exact: s % 2 === 0 });
        const ids = res.hits.map((h) => h.id);
        if (ids.length !== 1 || ids[0] !== `s${i}`) errors.push(new Error(`torn read for s${i}: ${JSON.stringify(ids)}`));
        const broad = await col.search({ sparse: randomSparse(rand, 8, 800), k: 20 });
        const bIds = broad.hits.map((h) => h.id);
        if (new Set(bIds).size !== bIds.length) errors.push(new Error(`duplicate hit: ${JSON.stringify(bIds)}`));
        searches += 2;
      } catch (e) {
        errors.push(e);
      }
    }
  };

  await Promise.all([...[0, 1, 2, 3].map(writer), ...[0, 1, 2, 3, 4, 5, 6, 7].map(searcher)]);
  expect(errors.slice(0, 5)).toEqual([]);
  expect(searches).toBeGreaterThan(100);
  expect(writes).toBeGreaterThan(1000);
  expect(col.stats().segments.filter((s) => s.sealed).length).toBeGreaterThan(0);
  for (const [id, v] of acked) expect(col.get(id)?.metadata?.v, id).toBe(v);
  console.log(`concurrency: ${writes} docs written, ${searches} searches, ${backpressure} back-pressure answers`);
  await manager.close();
}, 60_000);
