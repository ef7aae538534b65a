// Seismic segments: exactness with pruning disabled, filters, threshold, kNN, bad input.
import { describe, expect, it } from 'vitest';
import type { CsrBatch } from '../../src/core/types.js';
import { buildSeismic, createBitmap } from '../../src/index/native.js';
import type { SeismicParams } from '../../src/index/native-types.js';
import { bruteForce, hitsOf, recallAtK, rowOf, storedWeights } from '../bench/recall.js';
import { generateDocs, generateQueries } from '../bench/synthetic.js';
import { BLOCKED_PARAMS } from './blocked-params.js';

const N = 4_000;
const docs = generateDocs(N, { seed: 7, topics: 100 });
const stored = storedWeights(docs); // what the segment keeps (binary16)
const queries = generateQueries(30, { seed: 7, topics: 100, set: 'tune' });
const docnos = Uint32Array.from({ length: N }, (_, i) => 10 + 3 * i); // collection docnos, not rows
const EXACT: SeismicParams = { ...BLOCKED_PARAMS, pruningDisabled: true };
/** every query term, and a block is skipped only when its (upper-bound) summary cannot enter the top k */
const ALL = { queryCut: 0, heapFactor: 1 };

function expectSameAsBrute(result: Awaited<ReturnType<Awaited<ReturnType<typeof buildSeismic>>['search']>>, rows: CsrBatch, ids: Uint32Array, k: number, accept?: (d: number) => boolean): void {
  for (let q = 0; q < queries.indptr.length - 1; q++) expect(hitsOf(result, q)).toEqual(bruteForce(rows, ids, rowOf(queries, q), k, accept));
}

describe('Seismic with pruning disabled', () => {
  it('returns exactly the exact top-k (ids and float32 scores), for several k', async () => {
    const index = await buildSeismic(docs, docnos, EXACT);
    expect(index.postings).toBe(docs.indices.length); // every posting kept
    for (const k of [1, 10, 57]) {
      expectSameAsBrute(await index.search(queries, { k, ...ALL }), stored, docnos, k);
      expect(await index.search(queries, { k, ...ALL })).toEqual(await index.searchExact(queries, { k }));
    }
    index.close();
  });

  it('is exact under tombstones and an allow bitmap too', async () => {
    const index = await buildSeismic(docs, docnos, EXACT);
    const tomb = new Set<number>();
    const allow = new Set<number>();
    docnos.forEach((d, i) => (i % 3 === 0 ? tomb.add(d) : i % 2 === 0 ? allow.add(d) : undefined));
    const t = createBitmap();
    const a = createBitmap();
    tomb.forEach((d) => t.set(d));
    allow.forEach((d) => a.set(d));
    const accept = (d: number): boolean => !tomb.has(d) && allow.has(d);
    expectSameAsBrute(await index.search(queries, { k: 10, ...ALL, tombstones: t, allow: a }), stored, docnos, 10, accept);
    // Approximate settings never return a tombstoned or disallowed document either.
    const approx = await buildSeismic(docs, docnos, BLOCKED_PARAMS);
    const res = await approx.search(queries, { k: 10, queryCut: 5, heapFactor: 0.8, tombstones: t, allow: a });
    expect(res.docnos.length).toBeGreaterThan(0);
    for (const d of res.docnos) expect(accept(d)).toBe(true);
    approx.close();
    index.close();
  });

  it('handles term ids up to 2^32 - 1 without per-term allocation', async () => {
    const spread = (b: CsrBatch): CsrBatch => ({ ...b, indices: b.indices.map((t) => 0xffffffff - 30_522 * 140_000 + t * 140_000) });
    const wideDocs = spread(docs);
    const wideQueries = spread(queries);
    const index = await buildSeismic(wideDocs, docnos, EXACT);
    const res = await index.search(wideQueries, { k: 10, ...ALL });
    for (let q = 0; q < 30; q++) expect(hitsOf(res, q)).toEqual(bruteForce(storedWeights(wideDocs), docnos, rowOf(wideQueries, q), 10));
    index.close();
  });
});

describe('Seismic search options', () => {
  it('honours an initial threshold: only documents scoring at least it are returned', async () => {
    const index = await buildSeismic(docs, docnos, BLOCKED_PARAMS);
    const exact = await index.searchExact(queries, { k: 10 });
    for (let q = 0; q < 30; q++) {
      const kth = exact.scores[exact.offsets[q + 1] - 1];
      const one = rowOf(queries, q);
      const batch = { indptr: Uint32Array.of(0, one.indices.length), indices: one.indices, values: one.values };
      const res = await index.search(batch, { k: 10, threshold: kth, queryCut: 10, heapFactor: 0.9 });
      for (const s of res.scores) expect(s).toBeGreaterThanOrEqual(kth);
    }
    index.close();
  });

  it('reports per-query statistics consistent with the index', async () => {
    const index = await buildSeismic(docs, docnos, BLOCKED_PARAMS);
    const res = await index.search(queries, { k: 10, queryCut: 5, heapFactor: 0.9, stats: true });
    expect(res.stats).toHaveLength(30);
    for (const s of res.stats!) {
      expect(s.listsVisited).toBeLessThanOrEqual(5);
      expect(s.blocksScored + s.blocksSkipped).toBeLessThanOrEqual(index.blocks);
      expect(s.docsScored).toBeLessThanOrEqual(s.postingsTotal);
      expect(s.micros).toBeGreaterThan(0); // the query's own time on its native thread
      expect(s.micros).toBeLessThan(10_000_000);
    }
    expect((await index.search(queries, { k: 10 })).stats).toBeUndefined();
    index.close();
  });

  it('builds the same index on one or two threads', async () => {
    const one = await buildSeismic(docs, docnos, BLOCKED_PARAMS, { threads: 1 });
    const two = await buildSeismic(docs, docnos, BLOCKED_PARAMS, { threads: 2 });
    expect([two.postings, two.blocks, two.indexBytes]).toEqual([one.postings, one.blocks, one.indexBytes]);
    const opts = { k: 10, queryCut: 8, heapFactor: 0.8 };
    expect(await two.search(queries, opts)).toEqual(await one.search(queries, opts));
    one.close();
    two.close();
  });

  it('refines with the kNN graph: never worse than without it', async () => {
    const index = await buildSeismic(docs, docnos, { ...BLOCKED_PARAMS, nKnn: 8 });
    expect(index.params.nKnn).toBe(8);
    const exact = await index.searchExact(queries, { k: 10 });
    const opts = { k: 10, queryCut: 3, heapFactor: 0.7 };
    const plain = recallAtK(exact, await index.search(queries, opts), 10);
    const refined = recallAtK(exact, await index.search(queries, { ...opts, nKnn: 8 }), 10);
    expect(refined).toBeGreaterThanOrEqual(plain);
    expect(refined).toBeGreaterThan(0.5);
    index.close();
  });
});

describe('Seismic bad input', () => {
  it('names the bad build argument and builds nothing', async () => {
    await expect(buildSeismic(docs, docnos, { ...BLOCKED_PARAMS, nPostings: 0 })).rejects.toThrow(/nPostings/);
    await expect(buildSeismic(docs, docnos, { ...BLOCKED_PARAMS, summaryEnergy: 1.5 })).rejects.toThrow(/summaryEnergy/);
    await expect(buildSeismic(docs, docnos, { ...BLOCKED_PARAMS, docCut: Number.NaN })).rejects.toThrow(TypeError);
    await expect(buildSeismic(docs, docnos.subarray(1), BLOCKED_PARAMS)).rejects.toThrow(/docnos/);
    await expect(buildSeismic(docs, docnos, BLOCKED_PARAMS, { threads: 0 })).rejects.toThrow(/threads/);
    const unsorted = { ...docs, indices: docs.indices.slice() };
    [unsorted.indices[0], unsorted.indices[1]] = [unsorted.indices[1], unsorted.indices[0]];
    await expect(buildSeismic(unsorted, docnos, BLOCKED_PARAMS)).rejects.toThrow(/rows.indices/);
  });

  it('names the bad search option', async () => {
    const index = await buildSeismic(docs, docnos, BLOCKED_PARAMS);
    await expect(index.search(queries, { k: 10, heapFactor: 1.5 })).rejects.toThrow(/heapFactor/);
    await expect(index.search(queries, { k: 0 })).rejects.toThrow(/k/);
    await expect(index.search(queries, { k: 10, queryCut: -1 })).rejects.toThrow(/queryCut/);
    expect(() => index.searchSync(queries, { k: 10, heapFactor: 0 })).toThrow(/heapFactor/);
    expect(() => index.searchSync(queries, { k: 1001.5 })).toThrow(/k/);
    index.close();
    await expect(index.search(queries, { k: 10 })).rejects.toThrow(/closed/);
    expect(() => index.searchSync(queries, { k: 10 })).toThrow(/closed/);
  });

  it('answers on the calling thread (searchSync) exactly as on the search pool', async () => {
    const index = await buildSeismic(docs, docnos, BLOCKED_PARAMS);
    const tombstones = createBitmap();
    for (let d = 0; d < docnos.length; d += 3) tombstones.set(docnos[d]);
    for (const options of [{ k: 10, queryCut: 5, heapFactor: 0.9 }, { k: 7, tombstones }, { k: 10, queryCut: 0, heapFactor: 1, threshold: 0.5 }]) {
      const pooled = await index.search(queries, options);
      const sync = index.searchSync(queries, options);
      expect([...sync.offsets]).toEqual([...pooled.offsets]);
      expect([...sync.docnos]).toEqual([...pooled.docnos]);
      expect([...sync.scores]).toEqual([...pooled.scores]);
      expect(sync.docnos.length).toBeGreaterThan(0);
    }
    const withStats = index.searchSync(queries, { k: 10, stats: true });
    expect(withStats.stats).toHaveLength(queries.indptr.length - 1);
    index.close();
  });
});
