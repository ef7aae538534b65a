// Seismic segment files: save -> load gives the same index; damaged or foreign files are refused.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { buildSeismic, DEFAULT_SEISMIC_QUERY, loadSeismic } from '../../src/index/native.js';
import type { SearchResult } from '../../src/index/native-types.js';
import { generateDocs, generateQueries } from '../bench/synthetic.js';
import { BLOCKED_PARAMS } from './blocked-params.js';

const dir = mkdtempSync(path.join(tmpdir(), 'sparrow-seismic-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const N = 3_000;
const docs = generateDocs(N, { seed: 3, topics: 60 });
const queries = generateQueries(20, { seed: 3, topics: 60, set: 'tune' });
const docnos = Uint32Array.from({ length: N }, (_, i) => 1_000 + i);
const built = buildSeismic(docs, docnos, { ...BLOCKED_PARAMS, nKnn: 4, seed: 9 });
const file = path.join(dir, 'a.seg');
const saved = built.then((index) => index.save(file));

function expectCorrupt(load: () => unknown): void {
  try {
    load();
  } catch (err) {
    expect((err as { code?: string }).code).toBe('INDEX_FILE_CORRUPT');
    return;
  }
  throw new Error('a damaged file was accepted');
}

describe('Seismic segment files', () => {
  it('loads exactly what was saved: parameters, sizes, rows and results', async () => {
    const index = await built;
    await saved;
    const loaded = loadSeismic(file);
    expect(loaded.params).toEqual({ ...BLOCKED_PARAMS, nKnn: 4, seed: 9, pruningDisabled: false });
    expect([loaded.numDocs, loaded.indexBytes, loaded.forwardBytes, loaded.postings, loaded.blocks]).toEqual([
      index.numDocs,
      index.indexBytes,
      index.forwardBytes,
      index.postings,
      index.blocks,
    ]);
    expect(loaded.forward.docnos).toEqual(docnos);
    expect(loaded.forward.row(17)).toEqual(index.forward.row(17));
    const opts = { k: 10, ...DEFAULT_SEISMIC_QUERY, nKnn: 4, stats: true };
    // Everything but each query's time (micros) must be identical.
    const withoutTime = (r: SearchResult): SearchResult => ({ ...r, stats: r.stats?.map((s) => ({ ...s, micros: 0 })) });
    expect(withoutTime(await loaded.search(queries, opts))).toEqual(withoutTime(await index.search(queries, opts)));
    expect(await loaded.searchExact(queries, { k: 10 })).toEqual(await index.searchExact(queries, { k: 10 }));
    loaded.close();
  });

  it('saves and loads a segment with 32-bit collection term ids (16-bit local ids) as exactly as any other', async () => {
    const wide = { ...docs, indices: docs.indices.map((t) => t * 100_000 + 7) };
    const wideQueries = { ...queries, indices: queries.indices.map((t) => t * 100_000 + 7) };
    const index = await buildSeismic(wide, docnos, BLOCKED_PARAMS);
    const narrow = await built;
    expect(index.sections.forwardIds).toBe(narrow.sections.forwardIds); // local ids: 2 bytes per non-zero either way
    const wideFile = path.join(dir, 'wide.seg');
    await index.save(wideFile);
    const loaded = loadSeismic(wideFile);
    expect(loaded.forward.row(5)).toEqual(index.forward.row(5));
    expect([...loaded.forward.row(5).indices]).toEqual([...docs.indices.subarray(docs.indptr[5], docs.indptr[6])].map((t) => t * 100_000 + 7));
    const opts = { k: 10, ...DEFAULT_SEISMIC_QUERY };
    const got = await loaded.search(wideQueries, opts);
    expect(got).toEqual(await index.search(wideQueries, opts));
    expect(got.docnos.length).toBeGreaterThan(0);
    loaded.close();
    index.close();
  });

  it('refuses a file of another kind, a flipped byte, a truncation and an empty file', async () => {
    await saved;
    const bytes = readFileSync(file);
    const write = (name: string, data: Uint8Array): string => {
      const p = path.join(dir, name);
      writeFileSync(p, data);
      return p;
    };
    expectCorrupt(() => loadSeismic(write('text.seg', Buffer.from('{"not": "a segment"}\n'))));
    const foreign = Buffer.from(bytes);
    foreign.write('SPRWFWD1', 0, 'latin1'); // another magic
    expectCorrupt(() => loadSeismic(write('foreign.seg', foreign)));
    const version = Buffer.from(bytes);
    version.writeUInt32LE(99, 12); // an unknown kind version
    expectCorrupt(() => loadSeismic(write('version.seg', version)));
    const flipped = Buffer.from(bytes);
    flipped[Math.floor(bytes.length * 0.6)] ^= 0x10;
    expectCorrupt(() => loadSeismic(write('flipped.seg', flipped)));
    expectCorrupt(() => loadSeismic(write('short.seg', bytes.subarray(0, bytes.length - 100))));
    expectCorrupt(() => loadSeismic(write('empty.seg', new Uint8Array(0))));
    expect(() => loadSeismic(path.join(dir, 'missing.seg'))).toThrow(/missing\.seg/);
    expect(() => loadSeismic('')).toThrow(TypeError);
  });

  it('stores the calibration set before save and returns it after load', async () => {
    const index = await buildSeismic(docs, docnos, BLOCKED_PARAMS);
    expect(index.calibration).toBeNull();
    const calibration = { k10: { queryCut: 7, heapFactor: 0.85 }, k100: { queryCut: 12, heapFactor: 0.9 }, note: 'rappel ≥ 0.95 ✓' };
    index.setCalibration(calibration);
    expect(index.calibration).toEqual(calibration);
    const withFile = path.join(dir, 'calibrated.seg');
    await index.save(withFile);
    const loaded = loadSeismic(withFile);
    expect(loaded.calibration).toEqual(calibration);
    // Replaced or cleared before the next save; searches are unchanged by it.
    const opts = { k: 10, ...DEFAULT_SEISMIC_QUERY };
    expect(await loaded.search(queries, opts)).toEqual(await index.search(queries, opts));
    loaded.setCalibration(null);
    const cleared = path.join(dir, 'cleared.seg');
    await loaded.save(cleared);
    expect(loadSeismic(cleared).calibration).toBeNull();
    expect(loadSeismic(withFile).calibration).toEqual(calibration);
    // Bad input is refused and changes nothing.
    expect(() => index.setCalibration([1, 2] as unknown as Record<string, unknown>)).toThrow(TypeError);
    expect(() => index.setCalibration({ big: 'x'.repeat(1 << 20) })).toThrow(/1 MiB/);
    expect(index.calibration).toEqual(calibration);
    loaded.close();
    index.close();
  });

  it('refuses a file of an older format version (the engine rebuilds such segments)', async () => {
    await saved;
    const old = Buffer.from(readFileSync(file));
    old.writeUInt32LE(3, 12); // the kind version field
    const p = path.join(dir, 'v3.seg');
    writeFileSync(p, old);
    expect(() => loadSeismic(p)).toThrow(/format version 3, expected 4/);
    expectCorrupt(() => loadSeismic(p));
  });

  it('refuses to save to an impossible path, leaving nothing behind', async () => {
    const index = await built;
    await expect(index.save(path.join(dir, 'no-such-dir', 'x.seg'))).rejects.toThrow(/no-such-dir/);
  });
});
