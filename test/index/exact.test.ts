import { describe, expect, it } from 'vitest';
import type { CsrBatch } from '../../src/core/types.js';
import { buildInvertedIndex, createBitmap, createForwardIndex } from '../../src/index/native.js';
import type { SearchOptions } from '../../src/index/native-types.js';
import { csr, hitsOf, randomRows, referenceTopK, shuffledDocnos } from './native-fixtures.js';

/** Exact and exhaustive results, asserted identical (ids and scores, in order) for every query. */
async function searchBoth(rows: CsrBatch, docnos: Uint32Array, queries: CsrBatch, options: SearchOptions) {
  const forward = createForwardIndex(rows, docnos);
  const inverted = buildInvertedIndex(forward);
  const [exact, exhaustive] = await Promise.all([forward.searchExact(queries, options), inverted.search(queries, options)]);
  expect(Array.from(exhaustive.offsets)).toEqual(Array.from(exact.offsets));
  expect(Array.from(exhaustive.docnos)).toEqual(Array.from(exact.docnos));
  expect(Array.from(exhaustive.scores)).toEqual(Array.from(exact.scores));
  forward.close();
  inverted.close();
  return exact;
}

describe('exact search and the exhaustive inverted index', () => {
  it.each([
    ['small vocabulary', 30_522, 1],
    ['a 2^32 vocabulary', 2 ** 32, 2],
    ['a tiny vocabulary (long lists)', 50, 3],
  ])('agree exactly with each other and with a JS reference on random rows (%s)', async (_name, vocab, seed) => {
    const rows = randomRows(seed, { rows: 1500, vocab, minLen: 0, maxLen: 60 });
    const docnos = shuffledDocnos(1500, seed);
    const queries = randomRows(seed + 100, { rows: 25, vocab, minLen: 1, maxLen: 30 });
    const result = await searchBoth(rows, docnos, queries, { k: 20 });
    for (let q = 0; q < 25; q++) {
      const got = hitsOf(result, q);
      const want = referenceTopK(rows, docnos, queries, q, 20);
      expect(got.length).toBe(want.length);
      got.forEach(([, s], i) => expect(s).toBeCloseTo(want[i][1], 4));
    }
  });

  it('breaks ties by docno ascending (repeated weights)', async () => {
    const rows = randomRows(7, { rows: 800, vocab: 40, minLen: 1, maxLen: 4, weightLevels: 2 });
    const docnos = shuffledDocnos(800, 7);
    const queries = csr([[[1, 1], [2, 1], [3, 1]], [[5, 0.5]]]);
    const result = await searchBoth(rows, docnos, queries, { k: 100 });
    for (let q = 0; q < 2; q++) {
      const hits = hitsOf(result, q);
      expect(hits).toEqual(referenceTopK(rows, docnos, queries, q, 100));
      for (let i = 1; i < hits.length; i++) {
        const [d0, s0] = hits[i - 1];
        const [d1, s1] = hits[i];
        expect(s0 > s1 || (s0 === s1 && d0 < d1)).toBe(true);
      }
    }
  });

  it('handles empty rows, one huge row, empty queries, unknown terms and k above the document count', async () => {
    const huge: Array<[number, number]> = Array.from({ length: 20_000 }, (_, i) => [i * 7, 0.01 + (i % 13) / 100]);
    const rows = csr([[], huge, [], [[7, 2]], [[0, 1], [2 ** 32 - 1, 5]], []]);
    const docnos = Uint32Array.from([10, 11, 12, 13, 14, 15]);
    const queries = csr([[[7, 1], [14, 1], [2 ** 32 - 1, 2]], [], [[3, 1]], [[0, 0]]]);
    const result = await searchBoth(rows, docnos, queries, { k: 10_000 });
    expect(hitsOf(result, 0).map(([d]) => d)).toEqual([14, 13, 11]);
    expect(hitsOf(result, 1)).toEqual([]); // empty query
    expect(hitsOf(result, 2)).toEqual([]); // term in no document
    expect(hitsOf(result, 3)).toEqual([]); // zero weight: no positive score
    const empty = await searchBoth(csr([]), new Uint32Array(0), queries, { k: 3 });
    expect(Array.from(empty.offsets)).toEqual([0, 0, 0, 0, 0]);
  });

  it('never returns tombstoned docnos, only allowed ones, and honours the threshold floor', async () => {
    const rows = randomRows(11, { rows: 2000, vocab: 300, minLen: 5, maxLen: 40 });
    const docnos = shuffledDocnos(2000, 11);
    const queries = randomRows(12, { rows: 10, vocab: 300, minLen: 5, maxLen: 20 });
    const tombstones = createBitmap();
    const allow = createBitmap();
    docnos.forEach((d, i) => {
      if (i % 3 === 0) tombstones.set(d);
      if (i % 2 === 0) allow.set(d);
    });
    const accept = (d: number) => !tombstones.has(d) && allow.has(d);
    const result = await searchBoth(rows, docnos, queries, { k: 15, tombstones, allow });
    for (let q = 0; q < 10; q++) {
      const hits = hitsOf(result, q);
      expect(hits.length).toBe(15);
      for (const [d] of hits) expect(accept(d)).toBe(true);
      expect(hits.map(([d]) => d)).toEqual(referenceTopK(rows, docnos, queries, q, 15, accept).map(([d]) => d));
    }
    const full = await searchBoth(rows, docnos, queries, { k: 15 });
    const floor = full.scores[full.offsets[0] + 4]; // 5th best of query 0
    const floored = await searchBoth(rows, docnos, queries, { k: 15, threshold: floor });
    const hits = hitsOf(floored, 0);
    expect(hits.length).toBeGreaterThanOrEqual(5);
    for (const [, s] of hits) expect(s).toBeGreaterThanOrEqual(floor);
    expect(hits.slice(0, 5)).toEqual(hitsOf(full, 0).slice(0, 5));
  });

  it('reads bitmaps through a snapshot: writes after the call do not affect a running search', async () => {
    const rows = randomRows(21, { rows: 3000, vocab: 200, minLen: 5, maxLen: 40 });
    const docnos = shuffledDocnos(3000, 21);
    const queries = randomRows(22, { rows: 30, vocab: 200, minLen: 5, maxLen: 20 });
    const forward = createForwardIndex(rows, docnos);
    const tombstones = createBitmap();
    const pending = forward.searchExact(queries, { k: 10, tombstones });
    docnos.forEach((d) => tombstones.set(d)); // after the call: must not be seen
    const result = await pending;
    expect(result.docnos.length).toBe(300);
    const none = await forward.searchExact(queries, { k: 10, tombstones });
    expect(none.docnos.length).toBe(0);
  });

  it('reports per-query stats when asked', async () => {
    const rows = randomRows(31, { rows: 500, vocab: 100, minLen: 1, maxLen: 10 });
    const forward = createForwardIndex(rows, shuffledDocnos(500, 31));
    const inverted = buildInvertedIndex(forward);
    const queries = csr([[[1, 1], [2, 1]]]);
    const exact = await forward.searchExact(queries, { k: 5, stats: true });
    expect(exact.stats?.[0].docsScored).toBe(500);
    const exhaustive = await inverted.search(queries, { k: 5, stats: true });
    const s = exhaustive.stats?.[0];
    expect(s?.listsVisited).toBeGreaterThan(0);
    expect(s?.postingsTotal).toBeGreaterThanOrEqual(s?.docsScored ?? Infinity);
    expect((await inverted.search(queries, { k: 5 })).stats).toBeUndefined();
  });
});
