import { describe, expect, it } from 'vitest';
import { currentSeismicParams, resolveCollectionConfig } from '../../src/engine/collection-config.js';
import { DEFAULT_SEISMIC } from '../../src/config.js';
import { FilterIndex } from '../../src/engine/segments/filter-index.js';
import { canonicalJson, evaluateFilter, FilterCache, FilterCost } from '../../src/engine/segments/segment-filter.js';
import { findMerges, planOptimize, type MergePolicyParams } from '../../src/engine/segments/merge-policy.js';
import { MutableSegment } from '../../src/engine/write/mutable-segment.js';
import { parseSparseInput, sparseDot } from '../../src/engine/write/sparse-input.js';
import type { Filter } from '../../src/engine/types.js';
import { AppError } from '../../src/errors.js';

const vocab = new Map([
  ['apple', 7],
  ['pear', 3],
]);
const tokenToId = (t: string): number | undefined => vocab.get(t);

function code(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (e) {
    return e instanceof AppError ? e.code : `not AppError: ${String(e)}`;
  }
  return undefined;
}

describe('parseSparseInput', () => {
  it('sorts indices and drops zero weights', () => {
    const v = parseSparseInput({ indices: [9, 2, 5], values: [1, 0.5, 0] }, tokenToId);
    expect([...v.indices]).toEqual([2, 9]);
    expect([...v.values]).toEqual([0.5, 1]);
  });
  it.each([
    [{ indices: [1, 1], values: [1, 2] }],
    [{ indices: [1], values: [Number.NaN] }],
    [{ indices: [1], values: [-1] }],
    [{ indices: [1, 2], values: [1] }],
    [{ indices: [1.5], values: [1] }],
    [{ indices: [-1], values: [1] }],
    [{ indices: [2 ** 32], values: [1] }],
    [{ indices: 'x', values: [] }],
  ])('rejects %j with INVALID_SPARSE_VECTOR', (input) => {
    expect(code(() => parseSparseInput(input as never, tokenToId))).toBe('INVALID_SPARSE_VECTOR');
  });
  it('resolves tokens through the vocabulary and names an unknown one', () => {
    const v = parseSparseInput({ tokens: { apple: 2, pear: 1 } }, tokenToId);
    expect([...v.indices]).toEqual([3, 7]);
    expect(code(() => parseSparseInput({ tokens: { kiwi: 1 } }, tokenToId))).toBe('UNKNOWN_TOKEN');
    expect(code(() => parseSparseInput({ tokens: { apple: -1 } }, tokenToId))).toBe('INVALID_SPARSE_VECTOR');
  });
  it('computes sparse dot products', () => {
    const a = parseSparseInput({ indices: [1, 2, 3], values: [1, 2, 3] }, tokenToId);
    const b = parseSparseInput({ indices: [2, 3, 4], values: [1, 1, 1] }, tokenToId);
    expect(sparseDot(a, b)).toBe(5);
  });
});

describe('MutableSegment', () => {
  const vec = (pairs: Array<[number, number]>) => ({ indices: Uint32Array.from(pairs.map((p) => p[0])), values: Float32Array.from(pairs.map((p) => p[1])) });
  it('scores term-at-a-time, ranks by score then docno, honours deletes, allow and threshold', () => {
    const m = new MutableSegment();
    m.add({ docno: 1, vector: vec([[1, 1], [2, 1]]), tf: false, length: 0, seq: 1 });
    m.add({ docno: 2, vector: vec([[2, 2]]), tf: false, length: 0, seq: 2 });
    m.add({ docno: 3, vector: vec([[1, 2]]), tf: false, length: 0, seq: 3 });
    m.add({ docno: 4, vector: vec([[9, 5]]), tf: false, length: 0, seq: 4 });
    const q = vec([[1, 1], [2, 1]]);
    expect(m.search(q, { k: 10 }).map((h) => h.docno)).toEqual([1, 2, 3]);
    expect(m.search(q, { k: 1 })).toEqual([{ docno: 1, score: 2 }]);
    expect(m.delete(1)).toBe(true);
    expect(m.delete(1)).toBe(false);
    expect(m.search(q, { k: 10 }).map((h) => h.docno)).toEqual([2, 3]);
    expect(m.search(q, { k: 10, allow: (d) => d === 3 }).map((h) => h.docno)).toEqual([3]);
    expect(m.search(q, { k: 10, threshold: 2 })).toEqual([]);
    expect(m.liveRows().map((r) => r.docno)).toEqual([2, 3, 4]);
    expect(() => m.add({ docno: 4, vector: vec([]), tf: false, length: 0, seq: 5 })).toThrow(/not above/);
    m.freeze();
    expect(() => m.add({ docno: 9, vector: vec([]), tf: false, length: 0, seq: 5 })).toThrow(/frozen/);
  });
  it('weights term-frequency rows with the given BM25 function', () => {
    const m = new MutableSegment();
    m.add({ docno: 1, vector: vec([[1, 3]]), tf: true, length: 10, seq: 1 });
    const hits = m.search(vec([[1, 2]]), { k: 1, tfWeight: (tf, len) => tf / len });
    expect(hits[0].score).toBeCloseTo(0.6);
  });
});

describe('merge policy', () => {
  const p: MergePolicyParams = { mergeFactor: 3, maxSegmentDocs: 1000, reclaimDeletedFraction: 0.3, baseDocs: 100 };
  it('merges a tier once it holds mergeFactor segments, capped by maxSegmentDocs', () => {
    const segs = ['a', 'b', 'c', 'd'].map((id) => ({ id, docs: 100, deleted: 0 }));
    expect(findMerges(segs.slice(0, 2), p)).toEqual([]);
    expect(findMerges(segs, p)).toEqual([['a', 'b', 'c']]);
    const big = [400, 400, 400].map((docs, i) => ({ id: `b${i}`, docs, deleted: 0 }));
    expect(findMerges(big, p)).toEqual([['b0', 'b1']]); // a third would pass 1000
  });
  it('rewrites a segment with many deleted documents', () => {
    expect(findMerges([{ id: 'x', docs: 1000, deleted: 400 }], p)).toEqual([['x']]);
    expect(findMerges([{ id: 'x', docs: 1000, deleted: 200 }], p)).toEqual([]);
  });
  it('optimize packs segments up to maxSegmentDocs', () => {
    const segs = [300, 300, 300, 300].map((docs, i) => ({ id: `s${i}`, docs, deleted: 0 }));
    expect(planOptimize(segs, p)).toEqual([['s0', 's1', 's2']]);
    expect(planOptimize([{ id: 'x', docs: 10, deleted: 1 }], p)).toEqual([['x']]);
  });
});

describe('FilterIndex', () => {
  const f = new FilterIndex({ lang: 'keyword', year: 'number', open: 'boolean' });
  for (let d = 1; d <= 1000; d++) f.add(d, { lang: d % 2 ? 'en' : ['de', 'fr'][d % 4 === 0 ? 0 : 1], year: 1900 + (d % 100), open: d % 3 === 0 });
  f.add(1001, undefined);
  const brute = (pred: (d: number) => boolean): number[] => Array.from({ length: 1001 }, (_, i) => i + 1).filter(pred);
  const lang = (d: number): string => (d % 2 ? 'en' : d % 4 === 0 ? 'de' : 'fr');
  const cases: Array<[Filter, (d: number) => boolean]> = [
    [{ field: 'lang', eq: 'en' }, (d) => d <= 1000 && lang(d) === 'en'],
    [{ field: 'lang', in: ['de', 'fr'] }, (d) => d <= 1000 && lang(d) !== 'en'],
    [{ field: 'year', range: { gte: 1990, lt: 1995 } }, (d) => d <= 1000 && 1900 + (d % 100) >= 1990 && 1900 + (d % 100) < 1995],
    [{ field: 'year', eq: 1950 }, (d) => d <= 1000 && d % 100 === 50],
    [{ and: [{ field: 'open', eq: true }, { not: { field: 'lang', eq: 'en' } }] }, (d) => d <= 1000 && d % 3 === 0 && lang(d) !== 'en'],
    [{ or: [{ field: 'year', range: { gt: 1998 } }, { field: 'lang', eq: 'de' }] }, (d) => d <= 1000 && (d % 100 > 98 || lang(d) === 'de')],
    [{ not: { field: 'open', eq: true } }, (d) => d > 1000 || d % 3 !== 0],
  ];
  /** The filter over the docno window [lo, hi] (bit i = docno lo + i; by default every docno). */
  const resolve = (g: FilterIndex, filter: Filter, lo = 1, hi = 1001, cache?: FilterCache): { docnos: number[]; bytes: number } => {
    g.check(filter);
    const cost = new FilterCost();
    const part = { bits: hi - lo + 1, lo, hi, positionOf: (d: number) => (d >= lo && d <= hi ? d - lo : -1), cache };
    const got = evaluateFilter(g, filter, part, cost);
    const docnos = Array.from({ length: hi - lo + 1 }, (_, i) => lo + i).filter((d) => (got.words[(d - lo) >>> 5] >>> ((d - lo) & 31)) & 1);
    expect(got.count).toBe(docnos.length);
    return { docnos, bytes: cost.bytes };
  };
  it.each(cases.map((c, i) => [i, c] as const))('case %i equals brute force, on the whole range and on a window', (_, [filter, pred]) => {
    expect(resolve(f, filter).docnos).toEqual(brute(pred));
    // a part covering docnos 300..620 only (a segment's range): its own bits, `not` within it
    expect(resolve(f, filter, 300, 620).docnos).toEqual(brute(pred).filter((d) => d >= 300 && d <= 620));
  });
  it('sees documents added after a query (append-only, docno order)', () => {
    const g = new FilterIndex({ x: 'number' });
    for (let d = 1; d <= 5000; d++) g.add(d, { x: (d * 7919) % 1000 });
    expect(resolve(g, { field: 'x', range: { lt: 10 } }, 1, 5100).docnos.length).toBe(50);
    for (let d = 5001; d <= 5100; d++) g.add(d, { x: 3 });
    expect(resolve(g, { field: 'x', range: { lt: 10 } }, 1, 5100).docnos.length).toBe(150);
    expect(() => g.add(17, { x: 1 })).toThrow(/not above/);
  });
  it('a part with a cache answers a repeated leaf or filter from it (no new bitset), keys ignore key order, and keeps at most CAPACITY', () => {
    const cache = new FilterCache();
    const leaf: Filter = { field: 'year', range: { gte: 1990, lt: 1995 } };
    const first = resolve(f, leaf, 1, 1001, cache);
    expect(first.bytes).toBeGreaterThan(0);
    expect(cache.misses).toBe(1);
    const again = resolve(f, { range: { lt: 1995, gte: 1990 }, field: 'year' } as Filter, 1, 1001, cache);
    expect(again).toEqual({ docnos: first.docnos, bytes: 0 });
    expect(cache.hits).toBe(1);
    // a compound filter: its leaves and the whole filter are kept, its inner and/not nodes are not
    const compound: Filter = { and: [leaf, { not: { field: 'lang', eq: 'en' } }] };
    const c1 = resolve(f, compound, 1, 1001, cache);
    expect(c1.bytes).toBeGreaterThan(0);
    expect(cache.size).toBe(3); // year leaf, lang leaf, the compound
    expect(resolve(f, compound, 1, 1001, cache)).toEqual({ docnos: c1.docnos, bytes: 0 });
    for (let y = 0; y < FilterCache.CAPACITY + 5; y++) resolve(f, { field: 'year', eq: 1900 + y }, 1, 1001, cache);
    expect(cache.size).toBe(FilterCache.CAPACITY);
    expect(canonicalJson({ b: [1, { d: 2, c: 'x' }], a: true })).toBe('{"a":true,"b":[1,{"c":"x","d":2}]}');
  });
  it.each([
    [{ field: 'nope', eq: 1 }],
    [{ field: 'lang', eq: 3 }],
    [{ field: 'lang', range: { lt: 3 } }],
    [{ field: 'year', range: { below: 3 } }],
    [{ and: [] }],
    [{ field: 'lang' }],
    ['x'],
  ])('rejects %j with INVALID_FILTER', (filter) => {
    expect(code(() => f.check(filter as never))).toBe('INVALID_FILTER');
  });
  it('rejects metadata of the wrong type for a declared field', () => {
    expect(code(() => f.validate({ year: 'old' }, 'documents[0]'))).toBe('VALIDATION_ERROR');
    expect(code(() => f.validate({ other: 'anything', lang: ['en', 'de'] }, 'documents[0]'))).toBeUndefined();
  });
});

describe('resolveCollectionConfig', () => {
  it('fills defaults', () => {
    const c = resolveCollectionConfig({ filterable: { lang: 'keyword' } });
    expect(c.encoder.kind).toBe('lexical');
    expect(c.durability).toBe('process');
    expect(c.index.mergeFactor).toBeGreaterThan(1);
  });
  it('gives lexical and SPLADE collections the same build defaults, and the user the last word', () => {
    expect(resolveCollectionConfig({}).index.seismic).toEqual(DEFAULT_SEISMIC);
    expect(resolveCollectionConfig({ encoder: { kind: 'splade', model: 'm' } }).index.seismic).toEqual(DEFAULT_SEISMIC);
    const given = resolveCollectionConfig({ index: { seismic: { nPostings: 300 } } } as never);
    expect(given.index.seismic.nPostings).toBe(300);
    expect(given.index.seismic.summaryEnergy).toBe(DEFAULT_SEISMIC.summaryEnergy);
  });
  it('brings the Seismic parameters of a config stored by an older version up to date', () => {
    const old = { postingFraction: 1, maxFraction: 3, centroidFraction: 0.2, summaryEnergy: 0.6, docCut: 15, nKnn: 0, seed: 42 };
    expect(currentSeismicParams(old)).toEqual({ ...DEFAULT_SEISMIC, maxFraction: 3, centroidFraction: 0.2, summaryEnergy: 0.6 });
  });
  it.each([
    [{ durability: 'always' }],
    [{ encoder: { kind: 'dense' } }],
    [{ filterable: { lang: 'text' } }],
    [{ index: { mergeFactor: 1 } }],
    [{ index: { exactFilterSelectivity: 2 } }],
    [{ dense: { dims: 0, metric: 'dot' } }],
  ])('rejects %j with INVALID_CONFIG', (cfg) => {
    expect(code(() => resolveCollectionConfig(cfg as never))).toBe('INVALID_CONFIG');
  });
});
