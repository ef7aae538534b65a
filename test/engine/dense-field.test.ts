import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { DEFAULT_DENSE_INDEX, type DenseIndexConfig } from '../../src/config.js';
import { DenseField, type DenseRow } from '../../src/engine/segments/dense-field.js';
import { createBitmap, createRowBitmap } from '../../src/index/native.js';
import type { RowBitmap } from '../../src/index/native-types.js';
import { clusteredVectors, exactTopK, tempDirs } from '../helpers/dense-data.js';

const DIMS = 24;
const fields: DenseField[] = [];
const dirs = tempDirs('sparrow-dense-');
afterEach(async () => {
  await Promise.all(fields.splice(0).map((f) => f.close()));
  dirs.cleanup();
});

const tempDir = (): string => dirs.make();

/** A dense filter's set: bit d = docno d. */
function allowOf(docnos: number[]): RowBitmap {
  const allow = createRowBitmap(Math.max(0, ...docnos) + 1);
  allow.setMany(Uint32Array.from(docnos));
  return allow;
}

function rowsOf(data: Float32Array, docnos: Uint32Array): DenseRow[] {
  return [...docnos].map((docno, i) => ({ docno, dense: data.slice(i * DIMS, (i + 1) * DIMS) }));
}

async function openField(metric: 'dot' | 'cosine', rows: DenseRow[], options: Partial<DenseIndexConfig> = {}, dir = tempDir()): Promise<DenseField> {
  const f = await DenseField.open({ dims: DIMS, metric }, dir, rows, { ...DEFAULT_DENSE_INDEX, ...options });
  fields.push(f);
  return f;
}

const N = 2000;
const DATA = clusteredVectors(N, DIMS, 20, 11);
// docnos with gaps, as a collection with deletions has them
const DOCNOS = Uint32Array.from({ length: N }, (_, i) => 2 * i + 5);
const QUERIES = clusteredVectors(10, DIMS, 20, 12);
const query = (q: number): Float32Array => QUERIES.slice(q * DIMS, (q + 1) * DIMS);

describe('DenseField, exact path', () => {
  for (const metric of ['dot', 'cosine'] as const) {
    it(`returns the brute-force top-k (${metric}), filters by allow, never returns removed docnos`, async () => {
      // dot on unnormalised rows: scale rows so dot and cosine rank differently
      const data = DATA.map((x, i) => x * (1 + (Math.floor(i / DIMS) % 7)));
      const f = await openField(metric, rowsOf(data, DOCNOS));
      expect(f.size).toBe(N);
      for (let q = 0; q < 5; q++) {
        const { hits, path: used } = await f.search(query(q), { k: 10 });
        expect(used).toBe('exact');
        const want = exactTopK(data, DOCNOS, DIMS, query(q), 10, metric);
        expect(hits.map((h) => h.docno)).toEqual(want.map((h) => h.docno));
        hits.forEach((h, i) => expect(h.score).toBeCloseTo(want[i].score, 4));
      }
      const allow = allowOf([...DOCNOS].filter((_, i) => i % 3 === 0));
      const removed = (await f.search(query(0), { k: 3 })).hits.map((h) => h.docno);
      removed.forEach((d) => f.remove(d));
      expect(f.size).toBe(N - 3);
      const filtered = await f.search(query(0), { k: 10, allow });
      const want = exactTopK(data, DOCNOS, DIMS, query(0), 10, metric, (d) => d < allow.rows && allow.has(d) && !removed.includes(d));
      expect(filtered.hits.map((h) => h.docno)).toEqual(want.map((h) => h.docno));
      const all = await f.search(query(0), { k: N });
      expect(all.hits).toHaveLength(N - 3);
      for (const d of removed) expect(all.hits.some((h) => h.docno === d)).toBe(false);
    });
  }

  it('scores given docnos exactly; NaN for removed or absent ones', async () => {
    const f = await openField('cosine', rowsOf(DATA, DOCNOS));
    const want = exactTopK(DATA, DOCNOS, DIMS, query(1), N, 'cosine');
    const byDocno = new Map(want.map((h) => [h.docno, h.score]));
    f.remove(DOCNOS[1]);
    const scores = f.score(query(1), [DOCNOS[0], DOCNOS[1], 4, DOCNOS[N - 1]]);
    expect(scores[0]).toBeCloseTo(byDocno.get(DOCNOS[0])!, 5);
    expect(scores[1]).toBeNaN();
    expect(scores[2]).toBeNaN();
    expect(scores[3]).toBeCloseTo(byDocno.get(DOCNOS[N - 1])!, 5);
    // the native index tests a filter in the same call: NaN outside the allowed docnos and for tombstones
    const ids = Uint32Array.of(DOCNOS[0], DOCNOS[1], DOCNOS[2], DOCNOS[N - 1]);
    const filtered = f.exact.score(query(1), ids, { tombstones: f.removed, allow: allowOf([DOCNOS[0], DOCNOS[1], DOCNOS[N - 1]]) });
    expect([...filtered].map((x) => Number.isNaN(x))).toEqual([false, true, true, false]);
    expect(filtered[0]).toBeCloseTo(byDocno.get(DOCNOS[0])!, 5);
    // both are chunked RowBitmaps by docno (a flat Bitmap is refused): a delete after a search copies one chunk
    expect(() => f.exact.score(query(1), ids, { allow: createBitmap() as never })).toThrow(/filter\.allow must be a RowBitmap/);
    expect(() => f.exact.score(query(1), ids, { tombstones: createBitmap() as never })).toThrow(/filter\.tombstones must be a RowBitmap/);
    // deletes spread over several 65,536-docno chunks; a search's snapshot shares them all, and the
    // next delete copies only the chunk it writes
    const far = Uint32Array.of(100_000, 300_000);
    f.add(far, DATA.slice(0, 2 * DIMS));
    far.forEach((d) => f.remove(d));
    const before = f.removed.copiedChunks;
    const pending = f.search(query(2), { k: 5 });
    f.remove(DOCNOS[2]);
    await pending;
    expect(f.removed.copiedChunks - before).toBe(1);
    expect(f.isRemoved(DOCNOS[2]) && f.isRemoved(DOCNOS[1]) && !f.isRemoved(DOCNOS[0]) && !f.isRemoved(2 ** 31)).toBe(true);
  });

  it('rejects bad vectors with INVALID_DENSE_VECTOR and changes nothing', async () => {
    const f = await openField('cosine', rowsOf(DATA.slice(0, 10 * DIMS), DOCNOS.slice(0, 10)));
    expect(() => f.queryVector(new Array(DIMS - 1).fill(1))).toThrow(expect.objectContaining({ code: 'INVALID_DENSE_VECTOR' }));
    expect(() => f.queryVector([...new Array(DIMS - 1).fill(1), Number.NaN])).toThrow(expect.objectContaining({ code: 'INVALID_DENSE_VECTOR', message: expect.stringMatching(/dense\[23\]/) }));
    expect(() => f.queryVector(new Array(DIMS).fill(0))).toThrow(expect.objectContaining({ code: 'INVALID_DENSE_VECTOR', message: expect.stringMatching(/zero/) }));
    expect(() => f.queryVector('x')).toThrow(expect.objectContaining({ code: 'INVALID_DENSE_VECTOR' }));
    expect(f.queryVector(new Array(DIMS).fill(0.5))).toBeInstanceOf(Float32Array);
    const bad = new Float32Array(2 * DIMS).fill(1);
    bad[DIMS + 3] = Number.POSITIVE_INFINITY;
    expect(() => f.add(Uint32Array.of(900, 901), bad)).toThrow(expect.objectContaining({ code: 'INVALID_DENSE_VECTOR' }));
    expect(() => f.add(Uint32Array.of(DOCNOS[0]), new Float32Array(DIMS).fill(1))).toThrow(expect.objectContaining({ code: 'INVALID_DENSE_VECTOR' }));
    expect(f.size).toBe(10);
    expect(f.score(query(0), [900])[0]).toBeNaN();
  });
});

describe('DenseField, approximate path (usearch HNSW)', () => {
  it('answers with HNSW past the threshold: recall@10 >= 0.9, exact scores, removed docnos never returned', async () => {
    const f = await openField('cosine', rowsOf(DATA, DOCNOS), { annThreshold: 500 });
    // no snapshot: the index is built in the background, searches are exact until it is ready
    expect((await f.search(query(0), { k: 10 })).path).toBe('exact');
    await f.settled();
    expect(f.approximate).toBe(true);
    expect(f.annSource).toBe('build');
    let found = 0;
    for (let q = 0; q < 10; q++) {
      const approx = await f.search(query(q), { k: 10 });
      expect(approx.path).toBe('approximate');
      const exact = await f.search(query(q), { k: 10, exact: true });
      expect(exact.path).toBe('exact');
      const truth = new Set(exact.hits.map((h) => h.docno));
      found += approx.hits.filter((h) => truth.has(h.docno)).length;
      const rescored = f.score(query(q), approx.hits.map((h) => h.docno));
      approx.hits.forEach((h, i) => expect(h.score).toBe(rescored[i]));
    }
    expect(found / 100).toBeGreaterThanOrEqual(0.9);
    const top = (await f.search(query(0), { k: 5 })).hits.map((h) => h.docno);
    top.forEach((d) => f.remove(d));
    const after = await f.search(query(0), { k: 50 });
    expect(after.path).toBe('approximate');
    for (const d of top) expect(after.hits.some((h) => h.docno === d)).toBe(false);
    // a filter set covering the lower half of the docnos: HNSW candidates past its rows are not allowed
    const sorted = [...DOCNOS].sort((a, b) => a - b);
    const allow = allowOf(sorted.slice(0, sorted.length / 2).filter((d) => !top.includes(d)));
    const filtered = await f.search(query(0), { k: 10, allow });
    expect(filtered.path).toBe('approximate');
    expect(filtered.hits).toHaveLength(10);
    for (const h of filtered.hits) expect(h.docno < allow.rows && allow.has(h.docno)).toBe(true);
  });

  it('falls back to the exact scan when a filter leaves the approximate answer short', async () => {
    const f = await openField('cosine', rowsOf(DATA, DOCNOS), { annThreshold: 500, maxApproximateFetch: 100 });
    await f.settled();
    const allow = allowOf([DOCNOS[17], DOCNOS[1234]]);
    const res = await f.search(query(2), { k: 10, allow });
    expect(res.path).toBe('exact');
    expect(res.hits.map((h) => h.docno).sort((a, b) => a - b)).toEqual([DOCNOS[17], DOCNOS[1234]]);
  });

  it('builds the HNSW index in the background once adds cross the threshold', async () => {
    const f = await openField('dot', rowsOf(DATA.slice(0, 300 * DIMS), DOCNOS.slice(0, 300)), { annThreshold: 1000 });
    expect(f.approximate).toBe(false);
    f.add(DOCNOS.slice(300), DATA.slice(300 * DIMS));
    f.remove(DOCNOS[0]); // while the build runs
    await f.settled();
    expect(f.approximate).toBe(true);
    const res = await f.search(DATA.slice(0, DIMS), { k: 20 });
    expect(res.path).toBe('approximate');
    expect(res.hits.some((h) => h.docno === DOCNOS[0])).toBe(false);
  });

  it('reloads its snapshot and reconciles rows added and deleted after it', async () => {
    const dir = tempDir();
    const first = DOCNOS.slice(0, 1500);
    const f = await openField('cosine', rowsOf(DATA.slice(0, 1500 * DIMS), first), { annThreshold: 500 }, dir);
    await f.settled();
    f.remove(first[3]);
    await f.snapshot(77);
    // after the snapshot: 500 new rows, one more delete; then the process stops
    const later = DOCNOS.slice(1500);
    f.add(later, DATA.slice(1500 * DIMS));
    f.remove(first[4]);
    await f.close(); // no snapshot on close: the next open must replay from the rows
    fields.splice(fields.indexOf(f), 1);
    expect(fs.existsSync(path.join(dir, 'dense-ann-77.usearch'))).toBe(true);
    // SQLite's live rows at restart: all but the two deleted ones
    const liveRows = rowsOf(DATA, DOCNOS).filter((r) => r.docno !== first[3] && r.docno !== first[4]);
    const g = await openField('cosine', liveRows, { annThreshold: 500 }, dir);
    expect(g.approximate).toBe(true);
    expect(g.annSource).toBe('snapshot');
    expect(g.size).toBe(N - 2);
    // a row added after the snapshot is found by its own vector; deleted rows never come back
    const own = await g.search(DATA.slice(1900 * DIMS, 1901 * DIMS), { k: 1 });
    expect(own).toMatchObject({ path: 'approximate', hits: [{ docno: DOCNOS[1900] }] });
    for (const d of [first[3], first[4]]) {
      const near = await g.search(DATA.slice((d === first[3] ? 3 : 4) * DIMS, (d === first[3] ? 4 : 5) * DIMS), { k: 30 });
      expect(near.hits.some((h) => h.docno === d)).toBe(false);
    }
  });
});
