import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CollectionStore, type NewDocumentRow } from '../../src/store/collection-store.js';
import { GroupCommitter } from '../../src/store/group-commit.js';
import { SCHEMA_VERSION } from '../../src/store/schema.js';

let dir: string;
let store: CollectionStore;

function row(id: string, seq: number, terms: number[] = [1, 5]): NewDocumentRow {
  return {
    id,
    title: `t-${id}`,
    text: null,
    metadata: JSON.stringify({ n: seq }),
    vector: { indices: Uint32Array.from(terms), values: Float32Array.from(terms.map((t) => t / 10)) },
    tf: false,
    length: 0,
    encoderVersion: 'user',
    dense: null,
    seq,
  };
}

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sparrow-store-'));
  store = new CollectionStore(path.join(dir, 'collection.db'), 'process');
});
afterEach(() => {
  store.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('CollectionStore', () => {
  it('opens in WAL with the schema version and the durability pragma', () => {
    expect(store.db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(store.db.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION);
    expect(store.db.pragma('synchronous', { simple: true })).toBe(1); // NORMAL
    store.setDurability('fsync');
    expect(store.db.pragma('synchronous', { simple: true })).toBe(2); // FULL
  });

  it('round-trips a document row, vectors included, and never reuses a docno', () => {
    const a = store.insertDocument(row('a', 1));
    const b = store.insertDocument({ ...row('b', 2, [3]), dense: Float32Array.of(0.5, -1) });
    expect(b).toBeGreaterThan(a);
    const got = store.getById('b')!;
    expect([...got.vector.indices]).toEqual([3]);
    expect(got.vector.values[0]).toBeCloseTo(0.3);
    expect([...got.dense!]).toEqual([0.5, -1]);
    expect(store.deleteDocument('b', 3)).toBe(b);
    expect(store.getById('b')).toBeUndefined();
    expect(store.tombstonedId(b)).toBe('b');
    const c = store.insertDocument(row('c', 4));
    expect(c).toBeGreaterThan(b); // AUTOINCREMENT: the deleted max docno is not reused
    expect(store.deleteDocument('nope', 5)).toBeUndefined();
  });

  it('reads a page of hit fields (cached without body) and forgets a deleted row', () => {
    const a = store.insertDocument({ ...row('a', 1), text: 'body a' });
    const b = store.insertDocument(row('b', 2));
    const long = store.insertDocument({ ...row('c', 3), title: 'x'.repeat(600) });
    const first = store.hitFieldsOf([a, b, long, 999], false);
    expect([...first.keys()].sort()).toEqual([a, b, long].sort());
    expect(first.get(a)).toMatchObject({ id: 'a', title: 't-a', text: null, metadata: null });
    expect(store.hitFieldsOf([a], true).get(a)).toMatchObject({ id: 'a', text: 'body a', metadata: JSON.stringify({ n: 1 }) });
    // the same answer again, from the cache (a page read twice)
    expect(store.hitFieldsOf([b, a], false)).toEqual(new Map([[b, first.get(b)], [a, first.get(a)]]));
    expect(store.hitFieldsOf([long], false).get(long)!.title).toHaveLength(600);
    store.deleteDocument('a', 4);
    expect(store.hitFieldsOf([a, b], false).has(a)).toBe(false);
    // an update is a new docno: the old one is gone, the new one reads the new title
    store.deleteDocument('b', 5);
    const b2 = store.insertDocument({ ...row('b', 6), title: 'new b' });
    const after = store.hitFieldsOf([b, b2], false);
    expect(after.has(b)).toBe(false);
    expect(after.get(b2)!.title).toBe('new b');
  });

  it('rejects a second live row with the same id', () => {
    store.insertDocument(row('a', 1));
    expect(() => store.insertDocument(row('a', 2))).toThrow(/UNIQUE/);
  });

  it('lists rows after a sequence number and in docno ranges', () => {
    for (let i = 1; i <= 5; i++) store.insertDocument(row(`d${i}`, i * 10));
    expect([...store.rowsAfterSeq(30)].map((r) => r.id)).toEqual(['d4', 'd5']);
    expect(store.rowsInRange(2, 4, 2).map((r) => r.docno)).toEqual([2, 3]);
  });

  it('commits a manifest change atomically and bumps the generation', () => {
    store.insertDocument(row('a', 1));
    store.deleteDocument('a', 2);
    const seg = { file: 'x.seg', docs: 1, minDocno: 1, maxDocno: 1, avgdl: 0, bytes: 10, createdAt: 1 };
    expect(store.commitManifest({ add: [seg], remove: [], sealedSeq: 7, purgeTombstones: [] })).toBe(1);
    expect(store.commitManifest({ add: [{ ...seg, file: 'y.seg' }], remove: ['x.seg'], sealedSeq: 3, purgeTombstones: [1] })).toBe(2);
    expect(store.segments().map((s) => s.file)).toEqual(['y.seg']);
    expect(store.sealedSeq).toBe(7); // never decreases
    expect(store.tombstones()).toEqual([]);
    // A failing commit changes nothing.
    expect(() => store.commitManifest({ add: [{ ...seg, file: 'y.seg' }], remove: [], purgeTombstones: [] })).toThrow();
    expect(store.generation).toBe(2);
  });

  it('refuses a database from a newer Sparrow', () => {
    store.db.pragma(`user_version = ${SCHEMA_VERSION + 1}`);
    store.close();
    expect(() => new CollectionStore(path.join(dir, 'collection.db'), 'process')).toThrow(/schema version/);
  });
});

describe('GroupCommitter', () => {
  it('groups requests of one tick into one transaction and applies them after the commit, in order', async () => {
    const gc = new GroupCommitter(store);
    const applied: string[] = [];
    let commits = 0;
    const origTx = store.transaction.bind(store);
    store.transaction = <T>(fn: () => T): T => {
      if (!store.db.inTransaction) commits++;
      return origTx(fn);
    };
    const results = await Promise.all(
      ['a', 'b', 'c'].map((id, i) =>
        gc.submit({
          write: () => store.insertDocument(row(id, i + 1)),
          apply: () => applied.push(id),
        }),
      ),
    );
    expect(commits).toBe(1);
    expect(applied).toEqual(['a', 'b', 'c']);
    expect(results).toEqual([1, 2, 3]);
  });

  it('rolls back only the failing request of a group', async () => {
    const gc = new GroupCommitter(store);
    store.insertDocument(row('taken', 1));
    const applied: string[] = [];
    const ok = gc.submit({ write: () => store.insertDocument(row('x', 2)), apply: () => applied.push('x') });
    const bad = gc.submit({
      write: () => {
        store.insertDocument(row('y', 3));
        return store.insertDocument(row('taken', 4)); // UNIQUE violation: y must vanish too
      },
      apply: () => applied.push('bad'),
    });
    await expect(ok).resolves.toBeGreaterThan(0);
    await expect(bad).rejects.toThrow(/UNIQUE/);
    expect(applied).toEqual(['x']);
    expect(store.getById('y')).toBeUndefined();
    expect(store.getById('x')).toBeDefined();
  });

  it('refuses work once closed', async () => {
    const gc = new GroupCommitter(store);
    await gc.close();
    await expect(gc.submit({ write: () => 1, apply: () => undefined })).rejects.toThrow(/closed/);
  });
});
