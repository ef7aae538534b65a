// Filters resolved per searched part (a sealed segment's rows, cached per segment; the unsealed
// rows by docno): the same hits as a brute-force reference over sealed + unsealed documents with
// deletes, updates that move a document's metadata, merges and a restart; and a repeated filter
// answered from each segment's cache.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_INDEX } from '../../src/config.js';
import type { SparseVector } from '../../src/core/types.js';
import { EngineManager } from '../../src/engine/manager.js';
import type { Collection, Filter } from '../../src/engine/types.js';
import type { EngineCollection } from '../../src/engine/write/collection.js';
import { bruteForce, closeEngine, randomSparse, rng, sameRanking, tempDir, toVector } from './helpers.js';

const VOCAB = 2_000;
const CONFIG = {
  encoder: { kind: 'splade' as const },
  filterable: { bucket: 'number' as const, color: 'keyword' as const, tags: 'keyword' as const },
  index: { ...DEFAULT_INDEX, mutableMaxDocs: 200, maxUnsealedDocs: 5_000, mergeFactor: 50, exactFilterSelectivity: 0.01 },
};
type Meta = { bucket: number; color: string; tags: string[] };

let dataDir: string;
let manager: EngineManager;
let col: Collection;
const rand = rng(11);
const truth = new Map<string, SparseVector>();
const meta = new Map<string, Meta>();
const queries = Array.from({ length: 8 }, () => toVector(randomSparse(rand, 12, VOCAB)));

const metaOf = (i: number, moved = false): Meta => ({
  bucket: moved ? (i + 50) % 100 : i % 100,
  color: moved ? 'violet' : ['red', 'green', 'blue'][i % 3],
  tags: [`t${i % 5}`, `u${i % 7}`],
});

async function put(ids: number[], moved = false): Promise<void> {
  const docs = ids.map((i) => {
    const sparse = randomSparse(rand, 25, VOCAB);
    truth.set(`d${i}`, toVector(sparse));
    meta.set(`d${i}`, metaOf(i, moved));
    return { id: `d${i}`, sparse, metadata: metaOf(i, moved) };
  });
  await col.upsert(docs);
}

const cases: Array<[Filter, (m: Meta) => boolean]> = [
  [{ field: 'bucket', range: { lt: 30 } }, (m) => m.bucket < 30],
  [{ field: 'bucket', eq: 7 }, (m) => m.bucket === 7],
  [{ field: 'color', eq: 'violet' }, (m) => m.color === 'violet'],
  [{ field: 'tags', in: ['t1', 'u3'] }, (m) => m.tags.includes('t1') || m.tags.includes('u3')],
  [{ and: [{ field: 'color', in: ['red', 'violet'] }, { not: { field: 'bucket', range: { gte: 20, lt: 80 } } }] }, (m) => ['red', 'violet'].includes(m.color) && !(m.bucket >= 20 && m.bucket < 80)],
  [{ or: [{ field: 'tags', eq: 't0' }, { not: { field: 'color', eq: 'green' } }] }, (m) => m.tags.includes('t0') || m.color !== 'green'],
];

async function expectFiltersMatch(c: Collection): Promise<void> {
  for (const [filter, pred] of cases) {
    const allowed = (id: string): boolean => pred(meta.get(id)!);
    for (const q of queries) {
      const sparse = { indices: [...q.indices], values: [...q.values] };
      const exact = (await c.search({ sparse, k: 10, filter, exact: true })).hits.map((h) => ({ id: h.id, score: h.score }));
      const want = bruteForce(truth, q, 10, allowed);
      expect(sameRanking(exact, want), JSON.stringify({ filter, exact, want })).toBe(true);
      // the default search (approximate, or exact below exactFilterSelectivity) returns allowed documents only
      for (const h of (await c.search({ sparse, k: 10, filter })).hits) expect(allowed(h.id), `${h.id} ${JSON.stringify(filter)}`).toBe(true);
    }
  }
}

const sealedOf = (c: Collection) => (c as EngineCollection).sealed;

beforeAll(async () => {
  dataDir = tempDir();
  manager = await EngineManager.open({ dataDir });
  col = await manager.create('filtered', CONFIG);
  for (let start = 0; start < 1_200; start += 100) await put(Array.from({ length: 100 }, (_, j) => start + j));
  await col.flush();
  for (let i = 0; i < 1_200; i += 11) {
    await col.delete(`d${i}`);
    truth.delete(`d${i}`);
    meta.delete(`d${i}`);
  }
  await put(Array.from({ length: 60 }, (_, j) => 13 * j + 1), true); // updates: new docnos, moved metadata
  await put(Array.from({ length: 50 }, (_, j) => 2_000 + j)); // new, unsealed
}, 120_000);

afterAll(() => closeEngine(manager, dataDir));

describe('filters per segment', { timeout: 120_000 }, () => {
  it('equal the brute-force reference over sealed and unsealed documents with deletes and updates', async () => {
    const segments = col.stats().segments;
    expect(segments.filter((s) => s.sealed).length).toBeGreaterThan(3);
    expect(segments.filter((s) => !s.sealed).reduce((n, s) => n + s.documents, 0)).toBeGreaterThan(0);
    await expectFiltersMatch(col);
  });

  it('answer a repeated filter from each sealed segment cache', async () => {
    const filter: Filter = { and: [{ field: 'bucket', range: { gte: 10, lt: 60 } }, { field: 'tags', eq: 'u2' }] };
    const sparse = { indices: [...queries[0].indices], values: [...queries[0].values] };
    const counts = () => sealedOf(col).reduce((n, s) => ({ hits: n.hits + s.filterCache.hits, misses: n.misses + s.filterCache.misses }), { hits: 0, misses: 0 });
    const first = await col.search({ sparse, k: 10, filter });
    const before = counts();
    const again = await col.search({ sparse, k: 10, filter: { and: [{ range: { lt: 60, gte: 10 }, field: 'bucket' } as Filter, { eq: 'u2', field: 'tags' } as Filter] } });
    const after = counts();
    expect(again.hits).toEqual(first.hits);
    // the same filter (keys in another order): one hit per sealed segment, on the whole filter, and no miss
    const segments = sealedOf(col).length;
    expect(after.hits - before.hits).toBe(segments);
    expect(after.misses).toBe(before.misses);
    // the same leaves in another order: a new whole filter (a miss) made of cached leaves (two hits)
    const swapped = await col.search({ sparse, k: 10, filter: { and: [{ field: 'tags', eq: 'u2' }, { field: 'bucket', range: { gte: 10, lt: 60 } }] } });
    const last = counts();
    expect(swapped.hits).toEqual(first.hits);
    expect([last.hits - after.hits, last.misses - after.misses]).toEqual([2 * segments, segments]);
  });

  it('stay right after merges (new segments, empty caches) and a restart (index rebuilt from SQLite)', async () => {
    await col.optimize();
    expect(sealedOf(col).every((s) => s.filterCache.size === 0)).toBe(true);
    await expectFiltersMatch(col);
    expect(sealedOf(col).some((s) => s.filterCache.size > 0)).toBe(true);
    await manager.close();
    manager = await EngineManager.open({ dataDir });
    col = manager.get('filtered');
    await expectFiltersMatch(col);
  });
});
