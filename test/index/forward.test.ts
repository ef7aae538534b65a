import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  buildInvertedIndex,
  buildInvertedIndexAsync,
  createForwardIndex,
  createForwardIndexAsync,
  loadForwardIndex,
  loadInvertedIndex,
} from '../../src/index/native.js';
import { csr, randomRows, shuffledDocnos } from './native-fixtures.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sparrow-forward-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('ForwardIndex', () => {
  it('keeps rows, docnos and counts (global term ids up to 2^32 - 1)', () => {
    const rows = csr([[[5, 1], [2 ** 32 - 1, 0.5]], [], [[5, 2], [9, 3]]]);
    const f = createForwardIndex(rows, Uint32Array.from([7, 8, 9]));
    expect([f.numDocs, f.nnz, f.vocabSize]).toEqual([3, 4, 3]);
    expect(f.bytes).toBeGreaterThan(0);
    expect(Array.from(f.docnos)).toEqual([7, 8, 9]);
    expect(Array.from(f.row(0).indices)).toEqual([5, 2 ** 32 - 1]);
    expect(Array.from(f.row(0).values)).toEqual([1, 0.5]);
    expect(f.row(1).indices.length).toBe(0);
    expect(Array.from(f.row(2).indices)).toEqual([5, 9]);
    expect(() => f.row(3)).toThrow(/r must be a row/);
    f.close();
    expect(() => f.numDocs).toThrow(/closed/);
  });

  it('save -> load (mmap) gives identical rows and identical search results, for both indexes', async () => {
    const rows = randomRows(41, { rows: 3000, vocab: 2 ** 32, minLen: 0, maxLen: 50 });
    const docnos = shuffledDocnos(3000, 41);
    const queries = randomRows(42, { rows: 20, vocab: 2 ** 32, minLen: 1, maxLen: 20 });
    // Queries that certainly hit: reuse document rows.
    const hitting = randomRows(41, { rows: 20, vocab: 2 ** 32, minLen: 0, maxLen: 50 });
    const forward = createForwardIndex(rows, docnos);
    const inverted = buildInvertedIndex(forward);
    const fwdFile = path.join(dir, 'rows.fwd');
    const invFile = path.join(dir, 'lists.inv');
    await Promise.all([forward.save(fwdFile), inverted.save(invFile)]);
    expect(fs.readdirSync(dir).filter((f) => f.includes('.tmp'))).toEqual([]);
    const forward2 = loadForwardIndex(fwdFile);
    const inverted2 = loadInvertedIndex(invFile);
    expect([forward2.numDocs, forward2.nnz, forward2.vocabSize]).toEqual([forward.numDocs, forward.nnz, forward.vocabSize]);
    expect(Array.from(forward2.docnos)).toEqual(Array.from(docnos));
    for (const r of [0, 1, 1234, 2999]) expect(forward2.row(r)).toEqual(forward.row(r));
    for (const q of [queries, hitting]) {
      const before = await forward.searchExact(q, { k: 10 });
      expect(await forward2.searchExact(q, { k: 10 })).toEqual(before);
      expect(await inverted2.search(q, { k: 10 })).toEqual(before);
    }
    // The loaded index outlives the file name (mapping): unlinking does not break it.
    fs.rmSync(fwdFile);
    const after = await forward2.searchExact(hitting, { k: 3 });
    expect(after.docnos.length).toBeGreaterThanOrEqual(15); // the non-empty rows find themselves
    expect(after).toEqual(await forward.searchExact(hitting, { k: 3 }));
    for (const ix of [forward, inverted, forward2, inverted2]) ix.close();
  });

  it('async builds (background thread) equal the sync ones; the input may change once the call returns', async () => {
    const rows = randomRows(45, { rows: 3000, vocab: 800, minLen: 0, maxLen: 50 });
    const docnos = shuffledDocnos(3000, 45);
    const queries = randomRows(46, { rows: 20, vocab: 800, minLen: 1, maxLen: 20 });
    const sync = createForwardIndex(rows, docnos);
    const pending = createForwardIndexAsync(rows, docnos);
    rows.values.fill(0); // copied at the call: must not affect the build
    docnos.fill(0);
    const forward = await pending;
    const inverted = await buildInvertedIndexAsync(forward);
    const expected = await sync.searchExact(queries, { k: 10 });
    expect(expected.docnos.length).toBeGreaterThan(100);
    expect(await forward.searchExact(queries, { k: 10 })).toEqual(expected);
    expect(await inverted.search(queries, { k: 10 })).toEqual(expected);
    await expect(createForwardIndexAsync(csr([[[2, 1]]]), new Uint32Array(2))).rejects.toThrow(/docnos must have one entry per row/);
    await expect(buildInvertedIndexAsync({} as never)).rejects.toThrow(/forward must be a ForwardIndex/);
  });

  it('closing an index during a search does not break the search', async () => {
    const rows = randomRows(43, { rows: 5000, vocab: 500, minLen: 10, maxLen: 40 });
    const forward = createForwardIndex(rows, shuffledDocnos(5000, 43));
    const pending = forward.searchExact(randomRows(44, { rows: 50, vocab: 500, minLen: 5, maxLen: 10 }), { k: 5 });
    forward.close();
    expect((await pending).docnos.length).toBe(250);
    expect(() => forward.searchExact(csr([[[1, 1]]]), { k: 1 })).toThrow(/closed/);
  });
});

describe('bad input: a TypeError naming the argument, nothing built', () => {
  const good = csr([[[1, 1], [2, 2]], [[3, 1]]]);
  const docnos = Uint32Array.from([0, 1]);
  const bad = (indices: number[], values: number[], indptr = [0, indices.length]) => ({
    indptr: Uint32Array.from(indptr),
    indices: Uint32Array.from(indices),
    values: Float32Array.from(values),
  });

  it.each([
    ['unsorted term ids', bad([2, 1], [1, 1]), /rows\.indices must be strictly increasing/],
    ['duplicate term ids', bad([1, 1], [1, 1]), /rows\.indices must be strictly increasing/],
    ['a NaN weight', bad([1, 2], [1, NaN]), /rows\.values must be finite and >= 0/],
    ['an infinite weight', bad([1, 2], [Infinity, 1]), /rows\.values must be finite/],
    ['a negative weight', bad([1, 2], [1, -0.5]), /rows\.values must be finite and >= 0/],
    ['indices/values length mismatch', bad([1, 2], [1]), /same length/],
    ['indptr not ending at nnz', bad([1, 2], [1, 1], [0, 1]), /indptr must end/],
    ['decreasing indptr', bad([1, 2], [1, 1], [0, 2, 1, 2]), /indptr must never decrease/],
    ['a plain array', { indptr: [0, 1], indices: [1], values: [1] }, /rows\.indptr must be a Uint32Array/],
    ['Float64 values', { ...good, values: Float64Array.from(good.values) }, /rows\.values must be a Float32Array/],
  ])('createForwardIndex rejects %s', (_name, rows, message) => {
    const d = new Uint32Array(rows.indptr.length - 1);
    expect(() => createForwardIndex(rows as never, d)).toThrow(TypeError);
    expect(() => createForwardIndex(rows as never, d)).toThrow(message);
  });

  it('rejects docnos of the wrong length or type', () => {
    expect(() => createForwardIndex(good, Uint32Array.from([1]))).toThrow(/docnos must have one entry per row/);
    expect(() => createForwardIndex(good, [0, 1] as never)).toThrow(/docnos must be a Uint32Array/);
  });

  it.each([
    [{ k: 0 }, /options\.k must be an integer in \[1, 10000\]/],
    [{ k: -1 }, /options\.k/],
    [{ k: 10_001 }, /options\.k/],
    [{ k: 2.5 }, /options\.k/],
    [{ k: NaN }, /options\.k/],
    [{ k: '5' }, /options\.k/],
    [{ k: 5, threshold: NaN }, /options\.threshold/],
    [{ k: 5, tombstones: {} }, /options\.tombstones must be a Bitmap/],
    [{ k: 5, allow: new Uint32Array(2) }, /options\.allow must be a Bitmap/],
  ])('searches reject options %o', async (options, message) => {
    const f = createForwardIndex(good, docnos);
    const inv = buildInvertedIndex(f);
    expect(() => f.searchExact(good, options as never)).toThrow(message);
    expect(() => inv.search(good, options as never)).toThrow(message);
  });

  it('searches reject malformed queries, naming `queries`', () => {
    const f = createForwardIndex(good, docnos);
    expect(() => f.searchExact(bad([3, 2], [1, 1]), { k: 1 })).toThrow(/queries\.indices must be strictly increasing/);
    expect(() => f.searchExact(bad([2, 3], [1, NaN]), { k: 1 })).toThrow(/queries\.values/);
    expect(() => buildInvertedIndex({} as never)).toThrow(/forward must be a ForwardIndex/);
  });

  it('the native layer re-checks on its own (TS validation bypassed)', async () => {
    const { addon } = await import('../../src/index/native.js');
    expect(() => addon.createForwardIndex(bad([2, 1], [1, 1]), new Uint32Array(1))).toThrow(/rows\.indices must be strictly increasing/);
    expect(() => addon.createForwardIndex(bad([1, 2], [1, -1]), new Uint32Array(1))).toThrow(/rows\.values/);
    expect(() => addon.createForwardIndex(good, new Uint32Array(5))).toThrow(/docnos/);
    const raw = addon.createForwardIndex(good, docnos);
    expect(() => raw.searchExact(good, { k: 0 })).toThrow(/options\.k/);
    expect(() => raw.searchExact(good, { k: 10_001 })).toThrow(/options\.k/);
    expect(() => raw.searchExact(bad([1, 2], [Infinity, 1]), { k: 1 })).toThrow(/queries\.values/);
    expect(() => raw.searchExact(good, { k: 1, allow: {} as never })).toThrow(/options\.allow must be a Bitmap/);
  });
});
