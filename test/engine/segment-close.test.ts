/**
 * Closing releases the segment files: once the engine's close has resolved, no sealed segment's file
 * is mapped by the process any more (its unmapping runs on a background thread, and close waits for
 * it), so a data directory can be unmounted or removed right after a shutdown.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEFAULT_INDEX } from '../../src/config.js';
import { EngineManager } from '../../src/engine/manager.js';
import type { EngineCollection } from '../../src/engine/write/collection.js';
import { buildSeismic, loadSeismicAsync } from '../../src/index/native.js';
import { generateDocBatch, sparseRows } from '../bench/synthetic.js';
import { BLOCKED_PARAMS } from '../index/blocked-params.js';
import { tempDir } from './helpers.js';

/** Lines of /proc/self/maps naming a file under `dir`. */
function mapped(dir: string): string[] {
  return fs
    .readFileSync('/proc/self/maps', 'utf8')
    .split('\n')
    .filter((line) => line.includes(dir));
}

describe.runIf(fs.existsSync('/proc/self/maps'))('closing a collection', () => {
  it('a segment file is unmapped once its close() resolves, with no wait after it', async () => {
    const dir = tempDir();
    try {
      const docs = generateDocBatch(0, 2_000);
      const built = await buildSeismic(docs, Uint32Array.from({ length: 2_000 }, (_, i) => i), BLOCKED_PARAMS, { threads: 1 });
      const file = path.join(dir, 'a.seg');
      await built.save(file);
      await built.close();
      for (let round = 0; round < 20; round++) {
        const seg = await loadSeismicAsync(file);
        expect(mapped(file).length).toBeGreaterThan(0);
        await seg.close();
        expect(mapped(file)).toEqual([]); // released on a background thread, which close waited for
      }
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);


  it('leaves no segment file mapped once close resolves (blocked and exhaustive segments)', async () => {
    const dataDir = tempDir();
    const m = await EngineManager.open({ dataDir });
    try {
      for (const [name, seismic] of [['blocked', BLOCKED_PARAMS], ['exhaustive', DEFAULT_INDEX.seismic]] as const) {
        const c = (await m.create(name, { encoder: { kind: 'splade' }, index: { ...DEFAULT_INDEX, seismic } })) as EngineCollection;
        await c.upsert(sparseRows(generateDocBatch(0, 1_500)).map((sparse, r) => ({ id: `d${r}`, sparse })));
        await c.flush();
        const dir = path.join(dataDir, name, 'segments');
        expect(mapped(dir).length).toBeGreaterThan(0); // its sealed segment is mapped from its file
        await c.close();
        expect(mapped(dir)).toEqual([]);
      }
    } finally {
      await m.close();
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  }, 120_000);
});
