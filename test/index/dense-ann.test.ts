import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ANN_MANIFEST, AnnIndex } from '../../src/index/ann.js';
import { clusteredVectors, exactTopK, tempDirs } from '../helpers/dense-data.js';

const DIMS = 32;
const open: AnnIndex[] = [];
const dirs = tempDirs('sparrow-ann-');
afterEach(async () => {
  await Promise.all(open.splice(0).map((i) => i.close()));
  dirs.cleanup();
});

const tempDir = (): string => dirs.make();

async function make(metric: 'dot' | 'cosine' = 'cosine'): Promise<AnnIndex> {
  const ann = await AnnIndex.create({ dims: DIMS, metric });
  open.push(ann);
  return ann;
}

function docnosFrom(start: number, n: number): Uint32Array {
  return Uint32Array.from({ length: n }, (_, i) => start + i);
}

describe('AnnIndex (usearch HNSW in a worker)', () => {
  it('finds the exact nearest neighbours on clustered data (recall@10 >= 0.9 before exact rescoring)', async () => {
    const n = 3000;
    const data = clusteredVectors(n, DIMS, 30, 1);
    const queries = clusteredVectors(20, DIMS, 30, 2);
    const docnos = docnosFrom(0, n);
    for (const metric of ['cosine', 'dot'] as const) {
      const ann = await make(metric);
      await ann.add(docnos, data);
      expect(await ann.size()).toBe(n);
      let found = 0;
      for (let q = 0; q < 20; q++) {
        const query = queries.subarray(q * DIMS, (q + 1) * DIMS);
        const truth = new Set(exactTopK(data, docnos, DIMS, query, 10, metric).map((h) => h.docno));
        const got = await ann.search(query, 10);
        expect(got.docnos.length).toBe(10);
        found += [...got.docnos].filter((d) => truth.has(d)).length;
      }
      expect(found / 200, metric).toBeGreaterThanOrEqual(0.9); // cosine: 8-bit codes
    }
  });

  it('honours removals and replaces a re-added docno', async () => {
    const data = clusteredVectors(200, DIMS, 5, 3);
    const ann = await make();
    await ann.add(docnosFrom(0, 200), data);
    const query = data.slice(7 * DIMS, 8 * DIMS);
    expect((await ann.search(query, 1)).docnos[0]).toBe(7);
    await ann.remove(Uint32Array.of(7));
    expect([...(await ann.search(query, 200)).docnos]).not.toContain(7);
    expect(await ann.size()).toBe(199);
    // docno 8 gets docno 7's vector: it becomes the nearest, once
    await ann.add(Uint32Array.of(8), query);
    const after = await ann.search(query, 200);
    expect(after.docnos[0]).toBe(8);
    expect([...after.docnos].filter((d) => d === 8)).toHaveLength(1);
  });

  it('saves a snapshot and loads it back with its sequence number', async () => {
    const dir = tempDir();
    const data = clusteredVectors(500, DIMS, 10, 4);
    const ann = await make();
    await ann.add(docnosFrom(100, 500), data);
    await ann.saveSnapshot(dir, 41, docnosFrom(100, 500));
    await ann.add(Uint32Array.of(9999), data.slice(0, DIMS)); // after the snapshot: not in it
    await ann.saveSnapshot(dir, 42, Uint32Array.from([...docnosFrom(100, 500), 9999])); // replaces the first files
    expect(fs.readdirSync(dir).sort()).toEqual(['dense-ann-42.docnos', 'dense-ann-42.usearch', ANN_MANIFEST]);
    const loaded = await AnnIndex.openSnapshot(dir, { dims: DIMS, metric: 'cosine' });
    expect(loaded).toBeDefined();
    open.push(loaded!.index);
    expect(loaded!.seq).toBe(42);
    expect(loaded!.docnos.length).toBe(501);
    expect(await loaded!.index.size()).toBe(501);
    const q = data.slice(3 * DIMS, 4 * DIMS);
    expect([...(await loaded!.index.search(q, 5)).docnos]).toEqual([...(await ann.search(q, 5)).docnos]);
  });

  it('reports an absent, foreign or damaged snapshot as absent', async () => {
    const dir = tempDir();
    expect(await AnnIndex.openSnapshot(dir, { dims: DIMS, metric: 'cosine' })).toBeUndefined();
    const ann = await make();
    await ann.add(docnosFrom(0, 50), clusteredVectors(50, DIMS, 3, 5));
    await ann.saveSnapshot(dir, 1, docnosFrom(0, 50));
    expect(await AnnIndex.openSnapshot(dir, { dims: DIMS + 1, metric: 'cosine' })).toBeUndefined();
    expect(await AnnIndex.openSnapshot(dir, { dims: DIMS, metric: 'dot' })).toBeUndefined();
    const file = path.join(dir, 'dense-ann-1.usearch');
    const bytes = fs.readFileSync(file);
    bytes[bytes.length >> 1] ^= 0xff; // one flipped byte, same size
    fs.writeFileSync(file, bytes);
    expect(await AnnIndex.openSnapshot(dir, { dims: DIMS, metric: 'cosine' })).toBeUndefined();
    fs.writeFileSync(file, 'not an index');
    expect(await AnnIndex.openSnapshot(dir, { dims: DIMS, metric: 'cosine' })).toBeUndefined();
    fs.writeFileSync(path.join(dir, ANN_MANIFEST), '{"format":1,');
    expect(await AnnIndex.openSnapshot(dir, { dims: DIMS, metric: 'cosine' })).toBeUndefined();
  });

  it('rejects bad arguments with a TypeError naming them', async () => {
    const ann = await make();
    expect(() => ann.add(Uint32Array.of(1), new Float32Array(DIMS - 1))).toThrow(/vectors/);
    expect(() => ann.add([1] as unknown as Uint32Array, new Float32Array(DIMS))).toThrow(/docnos/);
    expect(() => ann.search(new Float32Array(3), 1)).toThrow(/query/);
    expect(() => ann.search(new Float32Array(DIMS), 0)).toThrow(/k must/);
    await expect(AnnIndex.create({ dims: 0, metric: 'dot' })).rejects.toThrow(/dims/);
    await expect(AnnIndex.create({ dims: 4, metric: 'l2' as 'dot' })).rejects.toThrow(/metric/);
    await expect(ann.saveSnapshot(tempDir(), -1, new Uint32Array(0))).rejects.toThrow(/seq/);
  });

  it('rejects calls after close', async () => {
    const ann = await AnnIndex.create({ dims: DIMS, metric: 'dot' });
    await ann.close();
    await expect(ann.size()).rejects.toMatchObject({ code: 'SHUTTING_DOWN' });
  });
});
