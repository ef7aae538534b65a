// Segment footprint: segment-local term ids (16 bits for hashed 32-bit collection ids), binary16
// forward weights within their exactness bound, summaries within their size bound.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { CsrBatch } from '../../src/core/types.js';
import { buildSeismic, createForwardIndex, DEFAULT_SEISMIC_QUERY, loadSeismic } from '../../src/index/native.js';
import { bruteForce, hitsOf, recallAtK, rowOf, storedWeights } from '../bench/recall.js';
import { generateDocs, generateQueries } from '../bench/synthetic.js';
import { BLOCKED_PARAMS } from './blocked-params.js';

const dir = mkdtempSync(path.join(tmpdir(), 'sparrow-footprint-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const N = 3_000;
const docs = generateDocs(N, { seed: 21, topics: 60 });
const queries = generateQueries(40, { seed: 21, topics: 60, set: 'tune' });
const docnos = Uint32Array.from({ length: N }, (_, i) => i);
const hash = (t: number): number => (Math.imul(t + 1, 0x9e3779b1) >>> 0) | 0x80000000; // 32-bit, order-scrambling
const hashed = (b: CsrBatch): CsrBatch => {
  const indices = new Uint32Array(b.indices.length);
  const values = new Float32Array(b.values.length);
  for (let r = 0; r + 1 < b.indptr.length; r++) {
    const row = [...b.indices.subarray(b.indptr[r], b.indptr[r + 1])].map((t, i) => [hash(t), b.values[b.indptr[r] + i]]).sort((x, y) => x[0] - y[0]);
    row.forEach(([t, v], i) => {
      indices[b.indptr[r] + i] = t;
      values[b.indptr[r] + i] = v;
    });
  }
  return { indptr: b.indptr, indices, values };
};

describe('segment-local term ids', () => {
  it('stores 32-bit hashed collection ids as 16-bit local ids, and answers in collection ids', async () => {
    const hdocs = hashed(docs);
    const hqueries = hashed(queries);
    const index = await buildSeismic(hdocs, docnos, { ...BLOCKED_PARAMS, pruningDisabled: true });
    expect(index.sections.forwardIds).toBe(2 * hdocs.indices.length);
    const file = path.join(dir, 'hashed.seg');
    await index.save(file);
    const loaded = loadSeismic(file);
    expect(loaded.sections).toEqual(index.sections);
    const r = 17;
    expect([...loaded.forward.row(r).indices]).toEqual([...hdocs.indices.subarray(hdocs.indptr[r], hdocs.indptr[r + 1])]);
    const res = await loaded.search(hqueries, { k: 10, queryCut: 0, heapFactor: 1 });
    const stored = storedWeights(hdocs);
    for (let q = 0; q < 40; q++) expect(hitsOf(res, q)).toEqual(bruteForce(stored, docnos, rowOf(hqueries, q), 10));
    // A query term the segment does not hold is ignored, not an error.
    const foreign = { indptr: Uint32Array.of(0, 2), indices: Uint32Array.of(5, 0xfffffff0), values: Float32Array.of(1, 1) };
    expect((await loaded.search(foreign, { k: 5 })).docnos.length).toBe(0);
    loaded.close();
    index.close();
  });

  it('uses 32-bit local ids past 65,536 distinct terms', async () => {
    const n = 70_000;
    const indptr = Uint32Array.from({ length: n + 1 }, (_, i) => 2 * i);
    const indices = new Uint32Array(2 * n);
    const values = new Float32Array(2 * n);
    for (let i = 0; i < n; i++) {
      indices[2 * i] = 3; // shared
      indices[2 * i + 1] = 10 + i * 7; // unique
      values[2 * i] = 0.5;
      values[2 * i + 1] = 1 + (i % 13);
    }
    const wide = { indptr, indices, values };
    const index = await buildSeismic(wide, Uint32Array.from({ length: n }, (_, i) => i), BLOCKED_PARAMS);
    expect(index.sections.forwardIds).toBe(4 * indices.length);
    const q = { indptr: Uint32Array.of(0, 2), indices: Uint32Array.of(3, 10 + 69_999 * 7), values: Float32Array.of(1, 1) };
    const res = await index.search(q, { k: 1, queryCut: 0, heapFactor: 1 });
    expect([...res.docnos]).toEqual([69_999]);
    expect(res.scores[0]).toBe(0.5 + 1 + (69_999 % 13));
    index.close();
  });
});

describe('binary16 forward weights', () => {
  it('exact search over the stored weights stays within binary16 rounding of float32 exact search', async () => {
    const index = await buildSeismic(docs, docnos, BLOCKED_PARAMS);
    expect(index.sections.forwardValues).toBe(2 * docs.indices.length);
    const f32 = createForwardIndex(docs, docnos);
    const want = await f32.searchExact(queries, { k: 10 });
    const got = await index.searchExact(queries, { k: 10 });
    expect(recallAtK(want, got, 10)).toBeGreaterThanOrEqual(0.99);
    // Each weight is within 2^-11 (relative) of its float32 value, so each score is too.
    const truth = new Map<string, number>();
    for (let q = 0; q < 40; q++) for (let i = want.offsets[q]; i < want.offsets[q + 1]; i++) truth.set(`${q}:${want.docnos[i]}`, want.scores[i]);
    let compared = 0;
    for (let q = 0; q < 40; q++) {
      for (let i = got.offsets[q]; i < got.offsets[q + 1]; i++) {
        const w = truth.get(`${q}:${got.docnos[i]}`);
        if (w === undefined) continue;
        compared++;
        expect(Math.abs(got.scores[i] - w)).toBeLessThanOrEqual(w * 2 ** -10);
      }
    }
    expect(compared).toBeGreaterThan(300);
    // A weight past the binary16 range is scaled, not lost.
    const big = { indptr: Uint32Array.of(0, 2, 3), indices: Uint32Array.of(1, 2, 1), values: Float32Array.of(1e9, 3e-3, 5e8) };
    const scaled = await buildSeismic(big, Uint32Array.of(0, 1), BLOCKED_PARAMS);
    const q = { indptr: Uint32Array.of(0, 1), indices: Uint32Array.of(1), values: Float32Array.of(1) };
    const top = await scaled.searchExact(q, { k: 2 });
    expect([...top.docnos]).toEqual([0, 1]);
    expect(Math.abs(top.scores[0] - 1e9) / 1e9).toBeLessThanOrEqual(2 ** -11);
    expect(scaled.forward.row(0).values[1]).toBeGreaterThan(0); // 3e-3 next to 1e9: still there (2^-24 x scale)
    scaled.close();
    f32.close();
    index.close();
  });
});

describe('summary size bound', () => {
  it('a block summary keeps at most max(1, summaryCap x its postings) entries (3 bytes each with 16-bit ids)', async () => {
    for (const summaryCap of [0.5, 2]) {
      const index = await buildSeismic(docs, docnos, { ...BLOCKED_PARAMS, exhaustiveBelow: 0, summaryCap });
      const entries = index.sections.summaries / 3;
      expect(entries).toBeLessThanOrEqual(summaryCap * index.postings + index.blocks);
      expect(entries).toBeGreaterThan(0.5 * summaryCap * index.postings);
      const exact = await index.searchExact(queries, { k: 10 });
      expect(recallAtK(exact, await index.search(queries, { k: 10, ...DEFAULT_SEISMIC_QUERY }), 10)).toBeGreaterThan(0.5);
      index.close();
    }
  });
});
