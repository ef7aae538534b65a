// Filtered dense and hybrid searches: the dense side's allowed docnos are cached per filter
// (DenseFilterCache) and only extended over docnos added since, so a repeated filter resolves
// nothing; results equal a brute-force reference over sealed and unsealed documents through
// inserts, updates that move a document's metadata, and deletes; the cache holds at most
// CAPACITY filters.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_INDEX } from '../../src/config.js';
import type { SparseVector } from '../../src/core/types.js';
import { EngineManager } from '../../src/engine/manager.js';
import { DenseFilterCache } from '../../src/engine/segments/dense-filter.js';
import type { Collection, Filter, SearchRequest } from '../../src/engine/types.js';
import type { EngineCollection } from '../../src/engine/write/collection.js';
import { clusteredVectors, cosine } from '../helpers/dense-data.js';
import { bruteForce, randomSparse, rng, sameRanking, tempDir, toVector } from './helpers.js';

const DIMS = 16;
const VOCAB = 600;
const CONFIG = {
  encoder: { kind: 'splade' as const },
  dense: { dims: DIMS, metric: 'cosine' as const },
  filterable: { bucket: 'number' as const, color: 'keyword' as const },
  index: { ...DEFAULT_INDEX, mutableMaxDocs: 120 },
};
type Meta = { bucket: number; color: string };

let dataDir: string;
let manager: EngineManager;
let col: Collection;
const rand = rng(5);
const sparseTruth = new Map<string, SparseVector>();
const denseTruth = new Map<string, Float32Array>();
const meta = new Map<string, Meta>();
const VECTORS = clusteredVectors(2_000, DIMS, 10, 8);
const QUERY_VECTORS = clusteredVectors(4, DIMS, 10, 9);
const queries = Array.from({ length: 4 }, (_, i) => ({ sparse: randomSparse(rand, 10, VOCAB), dense: [...QUERY_VECTORS.subarray(i * DIMS, (i + 1) * DIMS)] }));
let nextVector = 0;

const cache = (): DenseFilterCache => (col as EngineCollection).denseFilters;
const maxDocno = (): number => (col as EngineCollection).filters.maxDocno;

/** Writes documents d<i>; every 7th has no dense vector (the sparse side alone can return it). */
async function put(ids: number[], color: (i: number) => string): Promise<void> {
  await col.upsert(
    ids.map((i) => {
      const sparse = randomSparse(rand, 20, VOCAB);
      const m = { bucket: i % 10, color: color(i) };
      const id = `d${i}`;
      const dense = i % 7 === 6 ? undefined : [...VECTORS.subarray(nextVector * DIMS, ++nextVector * DIMS)];
      sparseTruth.set(id, toVector(sparse));
      meta.set(id, m);
      if (dense) denseTruth.set(id, Float32Array.from(dense));
      else denseTruth.delete(id);
      return { id, sparse, dense, metadata: m };
    }),
  );
}

async function remove(ids: number[]): Promise<void> {
  for (const i of ids) {
    await col.delete(`d${i}`);
    for (const m of [sparseTruth, denseTruth, meta]) m.delete(`d${i}`);
  }
}

function denseBrute(q: number[], k: number, allowed: (id: string) => boolean): Array<{ id: string; score: number }> {
  return [...denseTruth]
    .filter(([id]) => allowed(id))
    .map(([id, v]) => ({ id, score: cosine(q, v) }))
    .sort((a, b) => b.score - a.score)
    .slice(0, k);
}

const cases: Array<[Filter, (m: Meta) => boolean]> = [
  [{ field: 'color', eq: 'red' }, (m) => m.color === 'red'],
  [{ field: 'bucket', range: { lt: 3 } }, (m) => m.bucket < 3],
  [{ and: [{ field: 'color', in: ['green', 'violet'] }, { not: { field: 'bucket', eq: 4 } }] }, (m) => ['green', 'violet'].includes(m.color) && m.bucket !== 4],
];

const request = (i: number, extra: Partial<SearchRequest>): SearchRequest => ({ sparse: queries[i].sparse, dense: queries[i].dense, exact: true, ...extra });

/** Filtered dense results equal the brute-force ranking; filtered hybrid (RRF, exact) returns exactly the union of both sides' filtered top n, which equal brute force. */
async function expectFiltersMatch(filters = cases): Promise<void> {
  for (const [filter, pred] of filters) {
    const allowed = (id: string): boolean => meta.has(id) && pred(meta.get(id)!);
    for (let i = 0; i < queries.length; i++) {
      const dense = await col.search(request(i, { mode: 'dense', k: 10, filter }));
      const want = denseBrute(queries[i].dense, 10, allowed);
      expect(sameRanking(dense.hits, want), JSON.stringify({ filter, got: dense.hits.map((h) => h.id), want })).toBe(true);
      // hybrid (RRF): fused from each side's filtered top n, each side equal to brute force
      const n = 15;
      const hybrid = (await col.search(request(i, { mode: 'hybrid', k: n, filter, hybrid: { method: 'rrf', candidates: n } }))).hits;
      const sparseHits = (await col.search(request(i, { mode: 'sparse', k: n, filter }))).hits;
      expect(sameRanking(sparseHits, bruteForce(sparseTruth, toVector(queries[i].sparse), n, allowed))).toBe(true);
      const denseHits = (await col.search(request(i, { mode: 'dense', k: n, filter }))).hits;
      expect(sameRanking(denseHits, denseBrute(queries[i].dense, n, allowed))).toBe(true);
      const [sparseSide, denseSide] = [sparseHits, denseHits].map((hits) => hits.map((h) => h.id));
      const rrf = (id: string): number => [sparseSide, denseSide].reduce((sum, side) => sum + (side.includes(id) ? 1 / (60 + side.indexOf(id) + 1) : 0), 0);
      expect(hybrid).toHaveLength(Math.min(n, new Set([...sparseSide, ...denseSide]).size));
      for (const h of hybrid) expect(h.score, `${h.id} ${JSON.stringify(filter)}`).toBeCloseTo(rrf(h.id), 9);
    }
  }
}

beforeAll(async () => {
  dataDir = tempDir();
  manager = await EngineManager.open({ dataDir });
  col = await manager.create('dense-filtered', CONFIG);
  for (let start = 0; start < 600; start += 60) await put(Array.from({ length: 60 }, (_, j) => start + j), (i) => ['red', 'green', 'blue'][i % 3]);
  await col.flush(); // sealed segments, then unsealed rows below
  await put(Array.from({ length: 50 }, (_, j) => 600 + j), (i) => ['red', 'green', 'blue'][i % 3]);
});

afterAll(async () => {
  await manager?.close();
});

describe('filtered dense and hybrid searches', () => {
  it('equal brute force; a repeated filter reuses its cached docno set and resolves no docno again', async () => {
    await expectFiltersMatch();
    expect(cache().misses).toBe(cases.length);
    expect(cache().size).toBe(cases.length);
    // each filter's set was resolved once, over the docnos there were
    expect(cache().resolvedDocnos).toBe(cases.length * maxDocno());
    const { hits, resolvedDocnos } = cache();
    await expectFiltersMatch();
    expect(cache().misses).toBe(cases.length);
    expect(cache().hits).toBeGreaterThan(hits);
    expect(cache().resolvedDocnos).toBe(resolvedDocnos);
  });

  it('stay equal to brute force after inserts, updates that move metadata and deletes, extending each set over the new docnos only', async () => {
    const before = maxDocno();
    const { resolvedDocnos, misses } = cache();
    await put(Array.from({ length: 40 }, (_, j) => 650 + j), () => 'red'); // inserts
    await put([0, 3, 6, 9, 12, 301, 302, 610, 611], () => 'violet'); // updates: red/green/blue -> violet, sealed and unsealed
    await remove([1, 2, 4, 5, 303, 304, 612, 651, 652]);
    await expectFiltersMatch();
    await col.flush();
    await put([1, 5, 700], () => 'green'); // deleted ids come back, and a new one
    await remove([0, 650]);
    await expectFiltersMatch();
    expect(cache().misses).toBe(misses);
    expect(cache().resolvedDocnos - resolvedDocnos).toBe(cases.length * (maxDocno() - before));
  });

  it('keep at most CAPACITY filters (the least recently used goes), and an evicted filter is rebuilt right', async () => {
    const distinct: Array<[Filter, (m: Meta) => boolean]> = Array.from({ length: DenseFilterCache.CAPACITY + 4 }, (_, b) => [
      { or: [{ field: 'bucket', eq: b % 10 }, { field: 'color', eq: ['red', 'green', 'blue', 'violet'][Math.floor(b / 10) % 4] }] },
      (m) => m.bucket === b % 10 || m.color === ['red', 'green', 'blue', 'violet'][Math.floor(b / 10) % 4],
    ]);
    for (const [filter] of distinct) await col.search(request(0, { mode: 'dense', k: 5, filter }));
    expect(cache().size).toBe(DenseFilterCache.CAPACITY);
    const misses = cache().misses;
    await expectFiltersMatch([distinct[0], cases[0]]); // both evicted: built again, from scratch
    expect(cache().misses).toBe(misses + 2);
    expect(cache().size).toBe(DenseFilterCache.CAPACITY);
  });
});
