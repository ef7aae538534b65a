// searchSegments: every sealed segment in one native call (shared threshold, merged top-k), tested
// against exact search over one segment holding every document, and RowBitmap's copy-on-write.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CsrBatch } from '../../src/core/types.js';
import { buildSeismic, createBitmap, createRowBitmap, SEARCH_PLACEMENT, searchSegments } from '../../src/index/native.js';
import type { RowBitmap, SearchResult, SeismicIndex, SegmentPart } from '../../src/index/native-types.js';
import { recallAtK } from '../bench/recall.js';
import { generateDocs, generateQueries } from '../bench/synthetic.js';
import { rng } from './native-fixtures.js';
import { BLOCKED_PARAMS } from './blocked-params.js';
import { sliceRows } from '../bench/csr-builder.js';

const SIZES = [800, 400, 240, 100, 60]; // five segments, built out of size order below

interface Fixture {
  parts: SegmentPart[];
  all: SeismicIndex;
  deletedDocnos: number[];
  /** each part's row -> docno */
  rowDocnos: Uint32Array[];
  n: number;
  close(): void;
}

/** Five segments (docnos interleaved across them, as merges leave them) and one holding everything. */
async function fixture(params = BLOCKED_PARAMS, deleteShare = 0.1, scale = 1): Promise<Fixture> {
  const sizes = SIZES.map((s) => Math.round(s * scale));
  const N = sizes.reduce((a, b) => a + b, 0);
  const docs = generateDocs(N);
  const docnos = Uint32Array.from({ length: N }, (_, i) => 1 + i * 3); // sparse docnos
  const next = rng(7);
  const parts: SegmentPart[] = [];
  const deletedDocnos: number[] = [];
  const rowDocnos: Uint32Array[] = [];
  let at = 0;
  for (const size of [sizes[2], sizes[0], sizes[4], sizes[1], sizes[3]]) {
    const segment = await buildSeismic(sliceRows(docs, at, at + size), docnos.slice(at, at + size), params);
    const deleted = createRowBitmap(size);
    for (let r = 0; r < size; r++) {
      if (next() < deleteShare) {
        deleted.set(r);
        deletedDocnos.push(docnos[at + r]);
      }
    }
    parts.push({ segment, deleted });
    rowDocnos.push(docnos.slice(at, at + size));
    at += size;
  }
  const all = await buildSeismic(docs, docnos, BLOCKED_PARAMS); // only its exact search is used
  return { parts, all, deletedDocnos, rowDocnos, n: N, close: () => [all, ...parts.map((p) => p.segment)].forEach((s) => s.close()) };
}

function hitsOf(r: SearchResult, q: number): Array<[number, number]> {
  return Array.from({ length: r.offsets[q + 1] - r.offsets[q] }, (_, i) => [r.docnos[r.offsets[q] + i], r.scores[r.offsets[q] + i]]);
}

function single(queries: CsrBatch, q: number): CsrBatch {
  return sliceRows(queries, q, q + 1);
}

describe('searchSegments (one native call over every sealed segment)', { timeout: 120_000 }, () => {
  let shared: Fixture;
  beforeAll(async () => {
    shared = await fixture();
  }, 120_000);
  afterAll(() => shared.close());

  /** The parts with each one's allowed rows: those whose docno `allowed` accepts (bit r = row r). */
  function filtered(f: Fixture, allowed: (docno: number) => boolean): SegmentPart[] {
    return f.parts.map((p, i) => {
      const words = new Uint32Array((f.rowDocnos[i].length + 31) >>> 5);
      f.rowDocnos[i].forEach((d, r) => {
        if (allowed(d)) words[r >>> 5] |= 1 << (r & 31);
      });
      return { ...p, allow: words };
    });
  }

  it('exact: equals exact search over one segment holding every document, with deleted rows and a filter', async () => {
    const f = shared;
    const queries = generateQueries(30, { set: 'tune' });
    const tombstones = createBitmap();
    f.deletedDocnos.forEach((d) => tombstones.set(d));
    const allowed = (d: number): boolean => ((d - 1) / 3) % 2 === 0;
    const allow = createBitmap();
    for (let i = 0; i < f.n; i++) if (allowed(1 + i * 3)) allow.set(1 + i * 3);
    const parts = filtered(f, allowed);
    for (const k of [1, 10, 100]) {
      const want = await f.all.searchExact(queries, { k, tombstones });
      const got = await searchSegments(f.parts, queries, { k, exact: true });
      for (let q = 0; q < 30; q++) expect(hitsOf(got, q), `k=${k} q=${q}`).toEqual(hitsOf(want, q));
      const wantF = await f.all.searchExact(queries, { k, tombstones, allow });
      for (const mode of ['inline', 'pool', 'parallel'] as const) {
        const gotF = await searchSegments(parts, queries, { k, exact: true, mode });
        for (let q = 0; q < 30; q++) expect(hitsOf(gotF, q), `filtered k=${k} q=${q} ${mode}`).toEqual(hitsOf(wantF, q));
      }
    }
  });

  it('approximate with a filter: returns only allowed rows, and every allowed exact hit it returns has its exact score', async () => {
    const f = shared;
    const queries = generateQueries(30, { set: 'tune' });
    const allowed = (d: number): boolean => d % 5 !== 0;
    const got = await searchSegments(filtered(f, allowed), queries, { k: 10 });
    const deleted = new Set(f.deletedDocnos);
    expect(got.docnos.length).toBeGreaterThan(0);
    for (const d of got.docnos) {
      expect(allowed(d), `docno ${d}`).toBe(true);
      expect(deleted.has(d)).toBe(false);
    }
    // nothing allowed: nothing found
    const none = await searchSegments(filtered(f, () => false), queries, { k: 10 });
    expect(none.docnos.length).toBe(0);
  });

  it('approximate with pruning disabled: equals exact; with default settings: scores are exact and recall matches per-segment search merged', async () => {
    const exactParams = await fixture({ ...BLOCKED_PARAMS, pruningDisabled: true }, 0.1, 0.5);
    const queries = generateQueries(30, { set: 'tune' });
    const tombstones = createBitmap();
    exactParams.deletedDocnos.forEach((d) => tombstones.set(d));
    const want = await exactParams.all.searchExact(queries, { k: 10, tombstones });
    const got = await searchSegments(exactParams.parts.map((p) => ({ ...p, queryCut: 0, heapFactor: 1 })), queries, { k: 10 });
    for (let q = 0; q < 30; q++) expect(hitsOf(got, q), `q=${q}`).toEqual(hitsOf(want, q));
    exactParams.close();

    const f = shared;
    const truth = await f.all.searchExact(queries, { k: 10, tombstones });
    const parts = f.parts.map((p) => ({ ...p, queryCut: 10, heapFactor: 0.9 }));
    const multi = await searchSegments(parts, queries, { k: 10 });
    // The per-segment searches merged (each segment alone, no shared threshold).
    const merged: SearchResult = { offsets: new Uint32Array(31), docnos: new Uint32Array(300), scores: new Float32Array(300) };
    let at = 0;
    for (let q = 0; q < 30; q++) {
      const hits: Array<[number, number]> = [];
      for (const p of parts) hits.push(...hitsOf(await searchSegments([p], single(queries, q), { k: 10 }), 0));
      hits.sort((a, b) => b[1] - a[1] || a[0] - b[0]);
      for (const [d, s] of hits.slice(0, 10)) {
        merged.docnos[at] = d;
        merged.scores[at++] = s;
      }
      merged.offsets[q + 1] = at;
    }
    const exactScore = new Map<number, number>();
    const everything = await f.all.searchExact(queries, { k: f.n });
    for (let q = 0; q < 30; q++) {
      exactScore.clear();
      for (const [d, s] of hitsOf(everything, q)) exactScore.set(d, s);
      for (const [d, s] of hitsOf(multi, q)) {
        expect(exactScore.get(d), `q=${q} docno ${d}`).toBe(s);
        expect(f.deletedDocnos.includes(d)).toBe(false);
      }
    }
    expect(recallAtK(truth, multi, 10)).toBeGreaterThanOrEqual(recallAtK(truth, merged, 10) - 0.02);
    expect(recallAtK(truth, multi, 10)).toBeGreaterThan(0.9);
  });

  it('a batch answers what single calls answer, wherever it runs', async () => {
    const f = shared;
    const queries = generateQueries(20, { set: 'report' });
    const parts = f.parts.map((p) => ({ ...p, queryCut: 10, heapFactor: 0.9 }));
    for (const exact of [false, true]) {
      const batch = await searchSegments(parts, queries, { k: 10, exact, stats: true });
      expect(batch.ran).toBe('pool');
      expect(batch.stats).toHaveLength(20);
      for (let q = 0; q < 20; q++) {
        const one = single(queries, q);
        const modes = exact ? (['inline', 'pool', 'parallel'] as const) : (['inline', 'pool'] as const);
        for (const mode of modes) {
          const r = await searchSegments(parts, one, { k: 10, exact, mode, stats: true });
          expect(r.ran).toBe(mode);
          expect(hitsOf(r, 0), `exact=${exact} ${mode} q=${q}`).toEqual(hitsOf(batch, q));
          expect(r.stats![0].docsScored).toBeGreaterThan(0);
        }
      }
    }
  });

  it('reports one query\'s estimated work (exact: proportional to forward entries), and auto placement follows it', async () => {
    const f = shared;
    const queries = generateQueries(20, { set: 'report' });
    const ran = new Set<string>();
    const smallest = f.parts.reduce((a, b) => (a.segment.forward.numDocs <= b.segment.forward.numDocs ? a : b));
    for (const parts of [f.parts, [smallest]]) {
      for (const exact of [false, true]) {
        for (let q = 0; q < 20; q++) {
          const r = await searchSegments(parts, single(queries, q), { k: 10, exact });
          const est = r.estimate!;
          expect(est).toBeGreaterThanOrEqual(0);
          // placed by the busy or the quiet limit (LoopQuiet), and it says which
          expect([SEARCH_PLACEMENT.inlinePostings, SEARCH_PLACEMENT.quietInlinePostings]).toContain(r.inlineLimit);
          const want = est <= r.inlineLimit! ? 'inline' : parts.length > 1 && est >= SEARCH_PLACEMENT.parallelPostings ? 'parallel' : 'pool';
          expect(r.ran, `q=${q} exact=${exact} estimate ${est}`).toBe(want);
          ran.add(r.ran);
        }
      }
    }
    // both sides of the inline limit were met (exact searches over every part may also spread: parallel)
    expect(ran.has('inline') && ran.has('pool')).toBe(true);
    // Exact: a fixed cost a part plus the same work per forward entry in every segment (entries,
    // not rows, are counted), summed over the parts.
    const q0 = single(queries, 0);
    const est = await Promise.all(f.parts.map(async (p) => (await searchSegments([p], q0, { k: 10, exact: true })).estimate!));
    const nnz = f.parts.map((p) => p.segment.forward.nnz);
    const rowCount = f.parts.map((p) => p.segment.forward.numDocs);
    const perEntry = est.slice(1).map((e, i) => (e - est[0]) / (nnz[i + 1] - nnz[0]));
    for (const x of perEntry) expect(x / perEntry[0]).toBeCloseTo(1, 9);
    const perRow = est.slice(1).map((e, i) => (e - est[0]) / (rowCount[i + 1] - rowCount[0]));
    expect(Math.max(...perRow) / Math.min(...perRow)).toBeGreaterThan(1.001); // a count of rows would give one slope here
    const all = await searchSegments(f.parts, q0, { k: 10, exact: true });
    expect(all.estimate! / est.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12);
    // A batch runs one pool task per query: no estimate.
    expect((await searchSegments(f.parts, queries, { k: 10 })).estimate).toBeUndefined();
  });

  it('the deleted rows are snapshotted at the call: a delete right after it is not seen, the next search sees it', async () => {
    const f = await fixture(BLOCKED_PARAMS, 0, 0.25);
    const queries = single(generateQueries(1, { set: 'report' }), 0);
    const before = await searchSegments(f.parts, queries, { k: 1, exact: true });
    const top = before.docnos[0];
    const part = f.parts.find((p) => p.segment.forward.docnos.includes(top))!;
    const row = part.segment.forward.docnos.indexOf(top);
    const running = searchSegments(f.parts, queries, { k: 1, exact: true, mode: 'pool' });
    part.deleted!.set(row);
    expect((await running).docnos[0]).toBe(top);
    expect((await searchSegments(f.parts, queries, { k: 1, exact: true })).docnos[0]).not.toBe(top);
    f.close();
  });

  it('rejects bad arguments with a TypeError naming them', async () => {
    const f = shared;
    const q = single(generateQueries(1, { set: 'report' }), 0);
    expect(() => searchSegments([{ segment: {} as SeismicIndex }], q, { k: 10 })).toThrow(/parts\[0\]\.segment/);
    expect(() => searchSegments(f.parts, q, { k: 0 })).toThrow(/options\.k/);
    expect(() => searchSegments([{ ...f.parts[0], heapFactor: 2 }], q, { k: 1 })).toThrow(/heapFactor/);
    expect(() => searchSegments([{ ...f.parts[0], deleted: createRowBitmap(3) }], q, { k: 1 })).toThrow(/one row per segment row/);
    expect(() => searchSegments([{ ...f.parts[0], allow: new Uint32Array(1) }], q, { k: 1 })).toThrow(/parts\[0\]\.allow must hold one bit per segment row/);
    expect(() => searchSegments([{ ...f.parts[0], allow: [1] as never }], q, { k: 1 })).toThrow(/parts\[0\]\.allow must be a Uint32Array/);
    expect(() => searchSegments(f.parts, q, { k: 1, allow: new Uint32Array(8) } as never)).toThrow(/options\.allow/);
    expect(() => searchSegments(f.parts, q, { k: 1, mode: 'fast' as 'auto' })).toThrow(/options\.mode/);
    const none = await searchSegments([], q, { k: 5 });
    expect(none.docnos.length).toBe(0);
  });

  it('the addon itself refuses malformed positional arguments with a TypeError (no crash, nothing searched)', async () => {
    const { addon } = await import('../../src/index/native.js');
    const raw = addon.searchSegments as (...args: unknown[]) => Promise<unknown>;
    const q = single(generateQueries(1, { set: 'report' }), 0);
    const seg = (shared.parts[0].segment as unknown as { native(): unknown }).native(); // the addon's handle
    // [k, exact, stats, avgdl, threshold, inlinePostings, parallelPostings, mode], then [queryCut, heapFactor, nKnn, exact] per segment
    const numbers = (over: Record<number, number> = {}, length = 12): Float64Array => {
      const x = Float64Array.from({ length }, (_, i) => [10, 0, 0, Number.NaN, Number.NaN, 1e9, 1e9, 1, 0, 1, 0, 0][i] ?? 0);
      for (const [i, v] of Object.entries(over)) x[Number(i)] = v;
      return x;
    };
    const call = (...args: unknown[]): unknown => raw(...args);
    const args = (n: Float64Array, extra: unknown[] = []): unknown[] => [[seg], undefined, undefined, n, q.indptr, q.indices, q.values, ...extra];
    const ok = (await raw(...args(numbers()))) as [Uint32Array, Uint32Array];
    expect(ok[1].length).toBe(10);
    expect(() => call(...args(numbers({}, 11)))).toThrow(/numbers must hold 8 options and 4 per segment/);
    expect(() => call(...args(numbers({ 0: Number.NaN })))).toThrow(/options\.k must be an integer/);
    expect(() => call(...args(numbers({ 0: 10_001 })))).toThrow(/options\.k must be an integer/);
    expect(() => call(...args(numbers({ 9: 0 })))).toThrow(/parts\[0\]\.heapFactor/);
    expect(() => call(...args(numbers({ 8: 0.5 })))).toThrow(/parts\[0\]\.queryCut/);
    expect(() => call(...args(numbers({ 10: 257 })))).toThrow(/parts\[0\]\.nKnn/);
    expect(() => call(...args(numbers({ 7: 4 })))).toThrow(/options\.mode/);
    expect(() => call(...args(numbers({ 3: -1 })))).toThrow(/options\.avgdl/);
    expect(() => call(...args(numbers({ 4: Number.POSITIVE_INFINITY })))).toThrow(/options\.threshold/);
    expect(() => call(...args(numbers({ 7: 0, 5: Number.NaN })))).toThrow(/inlinePostings/);
    expect(() => call(...args(numbers(), [new Float32Array(2)]))).toThrow(/options\.thresholds must hold one number per query/);
    expect(() => call([seg], [undefined, undefined], undefined, numbers(), q.indptr, q.indices, q.values)).toThrow(/deleted must be undefined or an array of one entry per segment/);
    expect(() => call([seg], undefined, [new Uint32Array(1)], numbers(), q.indptr, q.indices, q.values)).toThrow(/parts\[0\]\.allow must hold one bit per segment row/);
    expect(() => call([{}], undefined, undefined, numbers(), q.indptr, q.indices, q.values)).toThrow(/segments\[0\]/);
    expect(() => call([seg], undefined, undefined, numbers(), q.indptr, q.indices, new Float32Array(q.values.length + 1))).toThrow(/queries\.indices and queries\.values/);
    expect(() => call([seg], undefined, undefined, [10], q.indptr, q.indices, q.values)).toThrow(/numbers/);
  });
});

describe('RowBitmap (chunked copy-on-write)', () => {
  it('a snapshot keeps its bits; a write after it copies only the one chunk it changes', () => {
    const b = createRowBitmap(300_000); // 5 chunks of 65,536 rows
    b.set(1);
    b.set(70_000);
    expect(b.copiedChunks).toBe(0);
    const s1: RowBitmap = b.snapshot();
    expect(s1.frozen).toBe(true);
    b.set(2); // chunk 0 is shared with s1: copied once
    expect(b.copiedChunks).toBe(1);
    b.set(3); // the copy is b's own now
    expect(b.copiedChunks).toBe(1);
    b.set(200_000); // a chunk no snapshot has seen (it was all zero): nothing to copy
    expect(b.copiedChunks).toBe(1);
    b.clear(70_000); // chunk 1 is shared with s1
    expect(b.copiedChunks).toBe(2);
    expect([1, 2, 3, 70_000, 200_000].map((r) => s1.has(r))).toEqual([true, false, false, true, false]);
    expect([1, 2, 3, 70_000, 200_000].map((r) => b.has(r))).toEqual([true, true, true, false, true]);
    expect(s1.count).toBe(2);
    expect(b.count).toBe(4);
    const s2 = b.snapshot();
    expect(b.snapshot().count).toBe(4); // no write in between: the same bits
    expect(b.copiedChunks).toBe(2);
    b.setMany(Uint32Array.of(4, 5, 299_999));
    expect(s2.has(4)).toBe(false);
    expect(b.has(299_999)).toBe(true);
  });

  it('set/clear report changes; bad rows and writes to a snapshot are TypeErrors that change nothing', () => {
    const b = createRowBitmap(10);
    expect(b.set(3)).toBe(true);
    expect(b.set(3)).toBe(false);
    expect(b.clear(3)).toBe(true);
    expect(b.clear(3)).toBe(false);
    expect(() => b.set(10)).toThrow(TypeError);
    expect(() => b.setMany(Uint32Array.of(1, 10))).toThrow(/rows\[1\]/);
    expect(b.has(1)).toBe(false);
    expect(() => b.snapshot().set(1)).toThrow(/read-only/);
    expect(() => createRowBitmap(-1)).toThrow(TypeError);
  });

  it('grows (a dense filter set by docno): setWords ORs a bitset in at a base row; a snapshot keeps its rows and bits; extending copies only the last chunk', () => {
    const b = createRowBitmap(0);
    b.grow(200_000); // 4 chunks
    // bits 0, 1 and 33 of the words, at base 70,000
    expect(b.setWords(Uint32Array.of(0b11, 0b10), 70_000)).toBe(3);
    expect(b.setWords(Uint32Array.of(0b1), 70_000)).toBe(0); // already set
    expect([69_999, 70_000, 70_001, 70_002, 70_033].map((r) => b.has(r))).toEqual([false, true, true, false, true]);
    b.setWords(Uint32Array.of(1 << 31), 199_968); // row 199,999: the last
    const s = b.snapshot();
    b.grow(400_000);
    expect(b.rows).toBe(400_000);
    expect(s.rows).toBe(200_000);
    b.setWords(Uint32Array.of(0b101), 199_998); // rows 199,998 (chunk 3, shared with s) and 200,000
    expect(b.copiedChunks).toBe(1);
    expect([199_998, 200_000].map((r) => b.has(r))).toEqual([true, true]);
    expect(s.has(199_998)).toBe(false);
    expect(s.count).toBe(4);
    expect(b.count).toBe(6);
    // a set bit past the rows: TypeError, nothing changed; rows never shrink
    expect(() => b.setWords(Uint32Array.of(1, 0, 1), 399_990)).toThrow(/past the bitmap's 400000 rows/);
    expect(b.has(399_990)).toBe(false);
    expect(() => b.grow(10)).toThrow(TypeError);
    expect(() => s.grow(500_000)).toThrow(/read-only/);
    expect(b.rows).toBe(400_000);
  });
});
