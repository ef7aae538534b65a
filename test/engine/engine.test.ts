import fs from 'node:fs';
import path from 'node:path';
import { DEFAULT_INDEX } from '../../src/config.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SparseVector } from '../../src/core/types.js';
import { EngineManager } from '../../src/engine/manager.js';
import type { Collection, CollectionConfig, Filter, SearchRequest } from '../../src/engine/types.js';
import { AppError } from '../../src/errors.js';
import { bruteForce, randomSparse, rng, sameRanking, tempDir, toVector, UNIQUE_BASE } from './helpers.js';

const N = 2_000;
const VOCAB = 3_000;
const CONFIG: Partial<CollectionConfig> = {
  encoder: { kind: 'splade' },
  filterable: { bucket: 'number', color: 'keyword', even: 'boolean' },
  index: {
    ...DEFAULT_INDEX,
    mutableMaxDocs: 250,
    maxUnsealedDocs: 5_000,
    mergeFactor: 3,
    maxSegmentDocs: 100_000,
    reclaimDeletedFraction: 0.3,
    exactFilterSelectivity: 0.01,
  },
};

let dataDir: string;
let manager: EngineManager;
let col: Collection;
const truth = new Map<string, SparseVector>();
const rand = rng(7);

async function exactIds(c: Collection, q: SparseVector, k: number, extra: Partial<SearchRequest> = {}) {
  const res = await c.search({ sparse: { indices: [...q.indices], values: [...q.values] }, k, exact: true, ...extra });
  return res.hits.map((h) => ({ id: h.id, score: h.score }));
}

const queries = Array.from({ length: 30 }, () => toVector(randomSparse(rand, 12, VOCAB)));

async function expectMatchesBruteForce(c: Collection): Promise<void> {
  for (const q of queries) {
    const got = await exactIds(c, q, 10);
    const want = bruteForce(truth, q, 10);
    expect(sameRanking(got, want), JSON.stringify({ got, want })).toBe(true);
  }
}

beforeAll(async () => {
  dataDir = tempDir();
  manager = await EngineManager.open({ dataDir });
  col = await manager.create('docs', CONFIG);
  for (let start = 0; start < N; start += 100) {
    const batch = Array.from({ length: 100 }, (_, j) => {
      const i = start + j;
      const sparse = randomSparse(rand, 30, VOCAB, i);
      truth.set(`d${i}`, toVector(sparse));
      return { id: `d${i}`, title: `doc ${i}`, text: `text ${i}`, metadata: { bucket: i % 1000, color: ['red', 'green', 'blue'][i % 3], even: i % 2 === 0 }, sparse };
    });
    await col.upsert(batch);
  }
});

afterAll(async () => {
  await manager?.close();
  fs.rmSync(dataDir, { recursive: true, force: true });
});

describe('collections engine', () => {
  it('finds every one of 2,000 inserted documents (approximate search, unique term)', async () => {
    await col.flush();
    expect(col.stats().segments.filter((s) => s.sealed).length).toBeGreaterThan(1);
    expect(col.stats().segments.filter((s) => !s.sealed).map((s) => s.documents)).toEqual([0]); // flush waited for every seal
    for (let i = 0; i < N; i++) {
      const res = await col.search({ sparse: { indices: [UNIQUE_BASE + i], values: [1] }, k: 1 });
      expect(res.hits[0]?.id).toBe(`d${i}`);
    }
    expect(col.stats().documents).toBe(N);
  });

  it('answers exact: true like a brute-force reference, across sealed and merged segments', async () => {
    await expectMatchesBruteForce(col);
    await col.optimize();
    expect(col.stats().segments.filter((s) => s.sealed).length).toBe(1);
    await expectMatchesBruteForce(col);
  });

  it('makes updates and deletes visible at once', async () => {
    const sparse = randomSparse(rand, 30, VOCAB, 5);
    await col.upsert([{ id: 'd5', sparse, metadata: { bucket: 5, color: 'red', even: false } }]);
    truth.set('d5', toVector(sparse));
    expect((await col.search({ sparse: { indices: [UNIQUE_BASE + 5], values: [1] }, k: 5, exact: true })).hits.map((h) => h.id)).toEqual(['d5']);
    expect(col.get('d5')!.sparse.indices.length).toBe(31);
    expect(await col.delete('d7')).toBe(true);
    expect(await col.delete('d7')).toBe(false);
    truth.delete('d7');
    expect((await col.search({ sparse: { indices: [UNIQUE_BASE + 7], values: [1] }, k: 5 })).hits).toEqual([]);
    expect(col.get('d7')).toBeUndefined();
    await expectMatchesBruteForce(col);
    await col.flush();
    await expectMatchesBruteForce(col);
  });

  it('searchMany answers what search answers, request by request; a bad request fails alone', async () => {
    await col.upsert([{ id: 'fresh', sparse: randomSparse(rand, 30, VOCAB, 4_999) }]); // one row in the mutable segment
    expect(await col.delete('d11')).toBe(true);
    truth.delete('d11');
    const plain = (q: SparseVector): SearchRequest => ({ sparse: { indices: [...q.indices], values: [...q.values] }, k: 10 });
    const reqs: SearchRequest[] = [
      ...queries.slice(0, 8).map(plain),
      ...queries.slice(0, 4).map((q) => ({ ...plain(q), exact: true })),
      { ...plain(queries[0]), k: 3, stats: true },
      { ...plain(queries[1]), filter: { field: 'bucket', range: { lt: 500 } } },
      { ...plain(queries[2]), k: 0 },
      { ...plain(queries[3]), filter: { field: 'nope', eq: 1 } },
    ];
    const many = await col.searchMany(reqs);
    expect(many).toHaveLength(reqs.length);
    for (let i = 0; i < reqs.length; i++) {
      const one = await col.search(reqs[i]).catch((e: unknown) => e as Error);
      const got = many[i];
      if (one instanceof Error) {
        expect(got, `request ${i}`).toBeInstanceOf(AppError);
        expect((got as AppError).code).toBe((one as AppError).code);
        continue;
      }
      if (got instanceof Error) throw got;
      expect(got.hits, `request ${i}`).toEqual(one.hits);
      expect(got.stats?.docsScored).toBe(one.stats?.docsScored);
    }
    expect((many[14] as AppError).code).toBe('INVALID_K');
    expect((many[15] as AppError).code).toBe('INVALID_FILTER');
    await col.delete('fresh');
  });

  it('resolves filters at 50/10/1/0.1% selectivity like the exact reference', async () => {
    const meta = (id: string) => Number(id.slice(1)) % 1000;
    const cases: Array<[Filter, (id: string) => boolean]> = [
      [{ field: 'bucket', range: { lt: 500 } }, (id: string) => meta(id) < 500],
      [{ field: 'bucket', range: { gte: 100, lt: 200 } }, (id: string) => meta(id) >= 100 && meta(id) < 200],
      [{ field: 'bucket', range: { gte: 10, lt: 20 } }, (id: string) => meta(id) >= 10 && meta(id) < 20],
      [{ field: 'bucket', eq: 42 }, (id: string) => meta(id) === 42],
      [{ and: [{ field: 'color', eq: 'red' }, { not: { field: 'even', eq: true } }] }, (id: string) => Number(id.slice(1)) % 3 === 0 && Number(id.slice(1)) % 2 === 1],
    ];
    for (const [filter, pred] of cases) {
      for (const q of queries.slice(0, 10)) {
        const got = await exactIds(col, q, 10, { filter });
        const want = bruteForce(truth, q, 10, pred);
        expect(sameRanking(got, want), JSON.stringify({ filter, got, want })).toBe(true);
      }
    }
    // Below exactFilterSelectivity (0.01 here) the default (non-exact) search is exact over the allowed set.
    const [rare, rarePred] = cases[3];
    for (const q of queries.slice(0, 10)) {
      const got = (await col.search({ sparse: { indices: [...q.indices], values: [...q.values] }, k: 10, filter: rare })).hits;
      expect(sameRanking(got, bruteForce(truth, q, 10, rarePred))).toBe(true);
    }
  });

  it('returns text, metadata and explain on request, and honours minScore', async () => {
    const q = truth.get('d10')!;
    const res = await col.search({ sparse: { indices: [...q.indices], values: [...q.values] }, k: 3, include: ['text', 'metadata', 'explain'], exact: true });
    const top = res.hits[0];
    expect(top.id).toBe('d10');
    expect(top.text).toBe('text 10');
    expect(top.metadata).toEqual({ bucket: 10, color: 'green', even: true });
    const sum = top.explain!.terms!.reduce((s, t) => s + t.contribution, 0);
    expect(sum).toBeCloseTo(top.score, 2);
    const min = await col.search({ sparse: { indices: [...q.indices], values: [...q.values] }, k: 10, minScore: top.score - 1e-3 });
    expect(min.hits.map((h) => h.id)).toEqual(['d10']);
  });

  it('restarts on the same directory with identical exact results', async () => {
    const before = await Promise.all(queries.map((q) => exactIds(col, q, 10)));
    await manager.close();
    manager = await EngineManager.open({ dataDir });
    col = manager.get('docs');
    const after = await Promise.all(queries.map((q) => exactIds(col, q, 10)));
    expect(after).toEqual(before);
  });

  it('restores a backup into a new data directory with identical results', async () => {
    await col.upsert([{ id: 'fresh', sparse: randomSparse(rand, 30, VOCAB, 9_999) }]); // in the mutable segment
    const target = tempDir('sparrow-backup-');
    await col.backup(path.join(target, 'docs'));
    await expect(col.backup(path.join(target, 'docs'))).rejects.toThrow(/not empty/);
    const other = await EngineManager.open({ dataDir: target });
    try {
      for (const q of [...queries, toVector({ indices: [UNIQUE_BASE + 9_999], values: [1] })]) {
        expect(await exactIds(other.get('docs'), q, 10)).toEqual(await exactIds(col, q, 10));
      }
    } finally {
      await other.close();
      fs.rmSync(target, { recursive: true, force: true });
    }
  });

  it('reports stable error codes for bad input and changes nothing', async () => {
    const codeOf = async (p: Promise<unknown>) => p.then(() => 'ok', (e: unknown) => (e instanceof AppError ? e.code : String(e)));
    const docs = col.stats().documents;
    expect(await codeOf(col.upsert([{ id: 'x1', sparse: { indices: [1, 1], values: [1, 1] } }]))).toBe('INVALID_SPARSE_VECTOR');
    expect(await codeOf(col.upsert([{ id: 'x1', title: 'no vector, no encoder' }]))).toBe('INVALID_CONFIG');
    expect(await codeOf(col.upsert([{ id: 'x1' }]))).toBe('MISSING_CONTENT');
    expect(await codeOf(col.upsert([{ id: 'x1', sparse: { indices: [1], values: [1] }, dense: [1] }]))).toBe('DENSE_NOT_CONFIGURED');
    expect(await codeOf(col.upsert([{ id: 'x1', sparse: { indices: [1], values: [1] }, metadata: { bucket: 'x' } }]))).toBe('VALIDATION_ERROR');
    expect(await codeOf(col.upsert([{ id: 'x1', sparse: { indices: [1], values: [1] } }, { id: 'x1', sparse: { indices: [1], values: [1] } }]))).toBe('VALIDATION_ERROR');
    expect(await codeOf(col.search({ sparse: { indices: [1], values: [1] }, k: 0 }))).toBe('INVALID_K');
    expect(await codeOf(col.search({ query: '  ' }))).toBe('EMPTY_QUERY');
    expect(await codeOf(col.search({ sparse: { indices: [1], values: [1] }, mode: 'hybrid' }))).toBe('DENSE_NOT_CONFIGURED');
    expect(await codeOf(col.search({ sparse: { indices: [1], values: [1] }, filter: { field: 'nope', eq: 1 } }))).toBe('INVALID_FILTER');
    expect(await codeOf(manager.create('docs', {}))).toBe('COLLECTION_EXISTS');
    expect(await codeOf(manager.create('Bad Name', {}))).toBe('INVALID_COLLECTION_NAME');
    expect(await codeOf(manager.create('ok', { durability: 'never' as never }))).toBe('INVALID_CONFIG');
    expect(() => manager.get('missing')).toThrow(expect.objectContaining({ code: 'COLLECTION_NOT_FOUND' }));
    expect(col.stats().documents).toBe(docs);
    expect(manager.list()).toEqual(['docs']);
  });

  it('pushes back with BACKPRESSURE beyond maxUnsealedDocs, and refuses a batch that can never fit with BATCH_TOO_LARGE', async () => {
    const c2 = await manager.create('capped', { ...CONFIG, index: { ...CONFIG.index!, mutableMaxDocs: 50, maxUnsealedDocs: 50 } });
    const docs = (from: number, n: number) => Array.from({ length: n }, (_, i) => ({ id: `b${from + i}`, sparse: { indices: [from + i + 1], values: [1] } }));
    const tooBig = await c2.upsert(docs(0, 51)).then(() => undefined, (e: unknown) => e as AppError);
    expect(tooBig?.code).toBe('BATCH_TOO_LARGE');
    expect(tooBig?.status).toBe(413);
    expect(tooBig?.retryAfter).toBeUndefined();
    await c2.upsert(docs(0, 40));
    const err = await c2.upsert(docs(40, 11)).then(() => undefined, (e: unknown) => e as AppError);
    expect(err?.code).toBe('BACKPRESSURE');
    expect(err?.retryAfter).toBeGreaterThan(0);
    expect(c2.stats().documents).toBe(40);
    await manager.drop('capped');
    expect(fs.existsSync(path.join(dataDir, 'capped'))).toBe(false);
    expect(manager.list()).toEqual(['docs']);
  });
});

describe('reclaiming deleted documents', () => {
  it('rewrites a segment once its deleted share passes reclaimDeletedFraction', async () => {
    const dir = tempDir();
    const m = await EngineManager.open({ dataDir: dir });
    try {
      const c = await m.create('r', { ...CONFIG, index: { ...CONFIG.index!, mutableMaxDocs: 100, reclaimDeletedFraction: 0.3 } });
      await c.upsert(Array.from({ length: 100 }, (_, i) => ({ id: `r${i}`, sparse: { indices: [i + 1, 5000], values: [1, 1] } })));
      await c.flush();
      for (let i = 0; i < 31; i++) await c.delete(`r${i}`);
      await c.flush(); // waits for the queued rewrite too
      const sealed = c.stats().segments.filter((s) => s.sealed);
      expect(sealed.map((s) => [s.documents, s.deleted])).toEqual([[69, 0]]);
      const hits = (await c.search({ sparse: { indices: [5000], values: [1] }, k: 200, exact: true })).hits;
      expect(hits.length).toBe(69);
    } finally {
      await m.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('a damaged segment file', () => {
  it('is dropped at open and its documents are indexed again from collection.db', async () => {
    const dir = tempDir();
    let m = await EngineManager.open({ dataDir: dir });
    try {
      const c = await m.create('dmg', { ...CONFIG, index: { ...CONFIG.index!, mutableMaxDocs: 100 } });
      await c.upsert(Array.from({ length: 250 }, (_, i) => ({ id: `x${i}`, sparse: { indices: [UNIQUE_BASE + i, 7], values: [2, 1] } })));
      await c.flush();
      const victim = c.stats().segments.find((s) => s.sealed)!.id;
      await m.close();
      const file = path.join(dir, 'dmg', 'segments', victim);
      const bytes = fs.readFileSync(file);
      bytes[bytes.length >> 1] ^= 0xff;
      fs.writeFileSync(file, bytes);
      m = await EngineManager.open({ dataDir: dir });
      const again = m.get('dmg');
      expect(again.stats().segments.map((s) => s.id)).not.toContain(victim);
      for (let i = 0; i < 250; i++) {
        const hits = (await again.search({ sparse: { indices: [UNIQUE_BASE + i], values: [1] }, k: 3, exact: true })).hits;
        expect(hits.map((h) => h.id)).toEqual([`x${i}`]);
      }
      expect((await again.search({ sparse: { indices: [7], values: [1] }, k: 1000, exact: true })).hits.length).toBe(250);
      await again.flush();
      expect(again.stats().segments.filter((s) => !s.sealed).map((s) => s.documents)).toEqual([0]);
    } finally {
      await m.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
