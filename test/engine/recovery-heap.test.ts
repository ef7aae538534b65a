/**
 * Memory at start stays bounded whatever the collection's size: with every segment file deleted,
 * a process limited to a 40 MB V8 heap rebuilds 25,000 documents (about 3 million non-zeros, which
 * held in memory at once as the mutable segment would need well over that) from collection.db, in
 * segments of at most mutableMaxDocs, and answers exact searches as before. (Loading those rows into
 * the mutable segment instead, as before this rebuild existed, runs out of that heap: checked by hand.)
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { DEFAULT_INDEX } from '../../src/config.js';
import { EngineManager } from '../../src/engine/manager.js';
import type { DocumentInput } from '../../src/engine/types.js';
import { generateDocBatch, generateQueries, sparseRows } from '../bench/synthetic.js';
import { tempDir } from './helpers.js';

const CHILD = fileURLToPath(new URL('./fixtures/open-child.ts', import.meta.url));
const DOCS = 25_000;
const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => fs.rmSync(d, { recursive: true, force: true })));

describe('rebuilding lost segments under a small heap', () => {
  it('rebuilds 25,000 documents with a 40 MB V8 heap into bounded segments, exact answers identical', async () => {
    const root = tempDir('sparrow-heap-');
    dirs.push(root);
    const dataDir = path.join(root, 'data');
    const manager = await EngineManager.open({ dataDir });
    const c = await manager.create('c', { encoder: { kind: 'splade' }, index: { ...DEFAULT_INDEX, mutableMaxDocs: 5_000, maxUnsealedDocs: 10_000 } });
    for (let from = 0; from < DOCS; from += 1_000) {
      const docs: DocumentInput[] = sparseRows(generateDocBatch(from, 1_000)).map((sparse, i) => ({ id: `d${from + i}`, sparse }));
      for (;;) {
        try {
          await c.upsert(docs);
          break;
        } catch (e) {
          if ((e as { code?: string }).code !== 'BACKPRESSURE') throw e;
          await new Promise((r) => setTimeout(r, 100));
        }
      }
    }
    await c.flush();
    const queries = sparseRows(generateQueries(10, { set: 'report' }));
    const before = [];
    for (const sparse of queries) before.push((await c.search({ sparse, k: 10, exact: true })).hits);
    await manager.close();
    const segDir = path.join(dataDir, 'c', 'segments');
    for (const f of fs.readdirSync(segDir)) fs.rmSync(path.join(segDir, f));
    const queriesFile = path.join(root, 'queries.json');
    fs.writeFileSync(queriesFile, JSON.stringify(queries));

    const run = spawnSync(process.execPath, ['--max-old-space-size=40', '--import', 'tsx', CHILD, dataDir, queriesFile], { encoding: 'utf8', maxBuffer: 1 << 26 });
    expect(run.status, run.stderr.slice(-2_000)).toBe(0);
    const out = JSON.parse(run.stdout) as { stats: { documents: number; segments: Array<{ sealed: boolean; documents: number }> }; answers: unknown[] };
    expect(out.stats.documents).toBe(DOCS);
    const sealed = out.stats.segments.filter((s) => s.sealed);
    expect(sealed.reduce((n, s) => n + s.documents, 0)).toBe(DOCS);
    expect(Math.max(...sealed.map((s) => s.documents))).toBeLessThanOrEqual(5_000);
    expect(out.answers).toEqual(before);
  }, 240_000); // 25k documents sealed, then rebuilt in a child: about a minute on 2 busy cores
});
