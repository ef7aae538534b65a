import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_INDEX } from '../../src/config.js';
import type { SparseVector } from '../../src/core/types.js';
import { EngineManager } from '../../src/engine/manager.js';
import type { Collection, CollectionConfig, SearchHit, SearchRequest } from '../../src/engine/types.js';
import { clusteredVectors, cosine } from '../helpers/dense-data.js';
import { bruteForce, randomSparse, rng, sameRanking, tempDir, toVector } from './helpers.js';

const N = 600;
const DIMS = 16;
const VOCAB = 800;
const CONFIG: Partial<CollectionConfig> = {
  encoder: { kind: 'splade' },
  dense: { dims: DIMS, metric: 'cosine' },
  filterable: { even: 'boolean' },
};

let dataDir: string;
let manager: EngineManager;
let col: Collection;
const sparseTruth = new Map<string, SparseVector>();
const denseTruth = new Map<string, Float32Array>();
const rand = rng(21);
const VECTORS = clusteredVectors(N, DIMS, 12, 3);
const QUERY_VECTORS = clusteredVectors(8, DIMS, 12, 4);

function denseBrute(q: ArrayLike<number>, k: number, ids: Iterable<string> = denseTruth.keys()): Array<{ id: string; score: number }> {
  return [...ids]
    .filter((id) => denseTruth.has(id))
    .map((id) => ({ id, score: cosine(q, denseTruth.get(id)!) }))
    .sort((a, b) => b.score - a.score)
    .slice(0, k);
}

function sparseDotOf(q: SparseVector, id: string): number {
  return bruteForce(new Map([[id, sparseTruth.get(id)!]]), q, 1)[0]?.score ?? 0;
}

const queries = Array.from({ length: 8 }, (_, i) => ({ sparse: toVector(randomSparse(rand, 10, VOCAB)), dense: [...QUERY_VECTORS.subarray(i * DIMS, (i + 1) * DIMS)] }));
const req = (i: number, extra: Partial<SearchRequest>): SearchRequest => ({
  sparse: { indices: [...queries[i].sparse.indices], values: [...queries[i].sparse.values] },
  dense: queries[i].dense,
  ...extra,
});
const ids = (hits: SearchHit[]): string[] => hits.map((h) => h.id);

beforeAll(async () => {
  dataDir = tempDir();
  manager = await EngineManager.open({ dataDir });
  col = await manager.create('hyb', { ...CONFIG, index: { ...DEFAULT_INDEX, mutableMaxDocs: 150 } });
  for (let start = 0; start < N; start += 50) {
    const batch = Array.from({ length: 50 }, (_, j) => {
      const i = start + j;
      const sparse = randomSparse(rand, 25, VOCAB);
      sparseTruth.set(`d${i}`, toVector(sparse));
      // every 10th document has no dense vector: it can only come from the sparse side
      const dense = i % 10 === 9 ? undefined : [...VECTORS.subarray(i * DIMS, (i + 1) * DIMS)];
      if (dense) denseTruth.set(`d${i}`, Float32Array.from(dense));
      return { id: `d${i}`, sparse, dense, metadata: { even: i % 2 === 0 } };
    });
    await col.upsert(batch);
  }
  await col.flush(); // sealed segments and a mutable one both take part
  const late = randomSparse(rand, 25, VOCAB);
  await col.upsert([{ id: 'late', sparse: late, dense: queries[0].dense }]);
  sparseTruth.set('late', toVector(late));
  denseTruth.set('late', Float32Array.from(queries[0].dense));
});

afterAll(async () => {
  await manager?.close();
});

describe('mode "dense"', () => {
  it('returns the brute-force cosine ranking, with explain', async () => {
    for (let i = 0; i < queries.length; i++) {
      const res = await col.search({ dense: queries[i].dense, mode: 'dense', k: 10, include: ['explain'] });
      const want = denseBrute(queries[i].dense, 10);
      expect(sameRanking(res.hits.map((h) => ({ id: h.id, score: h.score })), want)).toBe(true);
      expect(res.hits[0].explain?.dense?.raw).toBeCloseTo(want[0].score, 5);
    }
    expect(ids((await col.search({ dense: queries[0].dense, mode: 'dense', k: 1 })).hits)).toEqual(['late']);
  });

  it('applies filters', async () => {
    const res = await col.search({ dense: queries[1].dense, mode: 'dense', k: 10, filter: { field: 'even', eq: true } });
    const want = denseBrute(queries[1].dense, 10, [...denseTruth.keys()].filter((id) => id !== 'late' && Number(id.slice(1)) % 2 === 0));
    expect(ids(res.hits)).toEqual(want.map((h) => h.id));
  });
});

describe('mode "hybrid"', () => {
  /** The candidates as each side alone returns them (exact). */
  async function candidates(i: number, n: number): Promise<{ sparse: string[]; dense: string[]; union: string[] }> {
    const sparse = ids((await col.search(req(i, { mode: 'sparse', k: n, exact: true }))).hits);
    const dense = ids((await col.search(req(i, { mode: 'dense', k: n, exact: true }))).hits);
    return { sparse, dense, union: [...new Set([...sparse, ...dense])] };
  }

  it('convex alpha = 1 is the exact sparse ranking over the candidates; alpha = 0 the dense ranking', async () => {
    for (let i = 0; i < 4; i++) {
      const { union } = await candidates(i, 30);
      const bySparse = union.map((id) => ({ id, score: sparseDotOf(queries[i].sparse, id) })).sort((a, b) => b.score - a.score);
      const byDense = union.filter((id) => denseTruth.has(id)).map((id) => ({ id, score: cosine(queries[i].dense, denseTruth.get(id)!) })).sort((a, b) => b.score - a.score);
      for (const normalization of ['min_max', 'l2', 'z_score'] as const) {
        const one = await col.search(req(i, { mode: 'hybrid', k: 10, exact: true, include: ['explain'], hybrid: { method: 'convex', alpha: 1, normalization, candidates: 30 } }));
        const gotSparse = one.hits.map((h) => ({ id: h.id, score: h.explain!.sparse!.raw }));
        expect(sameRanking(gotSparse, bySparse.slice(0, 10)), `${normalization} α=1`).toBe(true);
        const zero = await col.search(req(i, { mode: 'hybrid', k: 10, exact: true, include: ['explain'], hybrid: { method: 'convex', alpha: 0, normalization, candidates: 30 } }));
        const gotDense = zero.hits.map((h) => ({ id: h.id, score: h.explain!.dense!.raw }));
        expect(sameRanking(gotDense, byDense.slice(0, 10)), `${normalization} α=0`).toBe(true);
      }
    }
  });

  it('convex explain carries both raw scores (missing sides scored exactly) and min_max values in [0, 1]', async () => {
    const res = await col.search(req(2, { mode: 'hybrid', k: 20, exact: true, include: ['explain'], hybrid: { method: 'convex', alpha: 0.5, normalization: 'min_max', candidates: 40 } }));
    for (const h of res.hits) {
      // Sealed segments score binary16 weights: within 2^-10 (relative) of the float32 product.
      const want = sparseDotOf(queries[2].sparse, h.id);
      expect(Math.abs(h.explain!.sparse!.raw - want)).toBeLessThanOrEqual(Math.max(1e-3, want * 2 ** -10));
      if (denseTruth.has(h.id)) expect(h.explain!.dense!.raw).toBeCloseTo(cosine(queries[2].dense, denseTruth.get(h.id)!), 5);
      for (const side of [h.explain!.sparse!, h.explain!.dense!]) {
        expect(side.normalized).toBeGreaterThanOrEqual(0);
        expect(side.normalized).toBeLessThanOrEqual(1);
      }
      expect(h.score).toBeCloseTo(0.5 * h.explain!.sparse!.normalized + 0.5 * h.explain!.dense!.normalized, 6);
    }
  });

  it('RRF sums 1/(60 + rank) over the sides that returned a candidate', async () => {
    for (let i = 0; i < 4; i++) {
      const { sparse, dense, union } = await candidates(i, 25);
      const rrf = (id: string): number => [sparse, dense].reduce((s, list) => s + (list.includes(id) ? 1 / (60 + list.indexOf(id) + 1) : 0), 0);
      const want = union.map((id) => ({ id, score: rrf(id) })).sort((a, b) => b.score - a.score).slice(0, 10);
      const res = await col.search(req(i, { mode: 'hybrid', k: 10, exact: true, hybrid: { method: 'rrf', candidates: 25 } }));
      expect(sameRanking(res.hits.map((h) => ({ id: h.id, score: h.score })), want)).toBe(true);
    }
  });

  it('never returns deleted documents from either side, and finds the new version of an updated one', async () => {
    const first = await col.search(req(3, { mode: 'hybrid', k: 6, hybrid: { method: 'convex', alpha: 0.5 } }));
    const gone = ids(first.hits);
    for (const id of gone.slice(0, 3)) await col.delete(id);
    // the fourth is updated: new dense vector far from the query, new sparse vector
    const moved = gone[3];
    const far = queries[3].dense.map((x) => -x);
    const movedSparse = randomSparse(rand, 25, VOCAB);
    await col.upsert([{ id: moved, sparse: movedSparse, dense: far }]);
    sparseTruth.set(moved, toVector(movedSparse));
    denseTruth.set(moved, Float32Array.from(far));
    for (const mode of ['dense', 'hybrid'] as const) {
      for (const method of ['convex', 'rrf'] as const) {
        const res = await col.search(req(3, { mode, k: 50, hybrid: { method, candidates: 100 } }));
        for (const id of gone.slice(0, 3)) expect(ids(res.hits), `${mode} ${method}`).not.toContain(id);
        expect(ids(res.hits).filter((id) => id === moved).length).toBeLessThanOrEqual(1);
      }
    }
    const near = await col.search({ dense: far, mode: 'dense', k: 1 });
    expect(ids(near.hits)).toEqual([moved]);
    for (const id of gone.slice(0, 3)) {
      denseTruth.delete(id);
      sparseTruth.delete(id);
    }
  });

  it('rejects bad input with stable codes and changes nothing', async () => {
    await expect(col.search({ dense: [1, 2, 3], mode: 'dense' })).rejects.toMatchObject({ code: 'INVALID_DENSE_VECTOR', status: 400 });
    const nan = [...queries[0].dense];
    nan[3] = Number.NaN;
    await expect(col.search({ dense: nan, mode: 'dense' })).rejects.toMatchObject({ code: 'INVALID_DENSE_VECTOR' });
    await expect(col.search({ dense: new Array(DIMS).fill(0), mode: 'dense' })).rejects.toMatchObject({ code: 'INVALID_DENSE_VECTOR' });
    await expect(col.search(req(0, { mode: 'dense', dense: undefined }))).rejects.toMatchObject({ code: 'INVALID_DENSE_VECTOR' });
    await expect(col.search(req(0, { mode: 'hybrid', hybrid: { method: 'borda' as 'rrf' } }))).rejects.toMatchObject({ code: 'UNKNOWN_FUSION_METHOD', status: 400 });
    await expect(col.search(req(0, { mode: 'hybrid', hybrid: { method: 'convex', alpha: 2 } }))).rejects.toMatchObject({ code: 'VALIDATION_ERROR' });
    await expect(col.upsert([{ id: 'bad', sparse: { indices: [1], values: [1] }, dense: [1, 2] }])).rejects.toMatchObject({ code: 'INVALID_DENSE_VECTOR' });
    expect(col.get('bad')).toBeUndefined();
    const plain = await manager.create('plain', { encoder: { kind: 'splade' } });
    await plain.upsert([{ id: 'a', sparse: { indices: [1], values: [1] } }]);
    for (const mode of ['dense', 'hybrid'] as const) {
      await expect(plain.search({ sparse: { indices: [1], values: [1] }, dense: [1], mode })).rejects.toMatchObject({ code: 'DENSE_NOT_CONFIGURED', status: 400 });
    }
  });

  it('answers the same after a restart (dense vectors reloaded from SQLite)', async () => {
    // exact: the sparse side's approximate answer may change when segments merge; the dense side must not
    const before = await col.search(req(5, { mode: 'hybrid', k: 10, exact: true, hybrid: { method: 'rrf' } }));
    await manager.close();
    manager = await EngineManager.open({ dataDir });
    col = manager.get('hyb');
    const after = await col.search(req(5, { mode: 'hybrid', k: 10, exact: true, hybrid: { method: 'rrf' } }));
    expect(ids(after.hits)).toEqual(ids(before.hits));
    const dense = await col.search({ dense: queries[5].dense, mode: 'dense', k: 10 });
    expect(sameRanking(dense.hits.map((h) => ({ id: h.id, score: h.score })), denseBrute(queries[5].dense, 10))).toBe(true);
  });
});
