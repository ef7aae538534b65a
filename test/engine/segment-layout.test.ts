/**
 * Exhaustive segments: a small segment is built without blocks, is not calibrated, and its default
 * search (term at a time over its term lists) returns what `exact: true` (the forward scan) returns,
 * scores included, while scoring only the rows its query terms reach. A segment whose calibration
 * finds no approximate setting reaching the target is rebuilt in the exhaustive layout (blocks
 * dropped, no calibration stored) and answers exactly; one whose calibration passes keeps its blocks.
 */
import fs from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { DEFAULT_INDEX, DEFAULT_SEISMIC } from '../../src/config.js';
import { EngineManager } from '../../src/engine/manager.js';
import type { EngineCollection } from '../../src/engine/write/collection.js';
import { calibrationOf } from '../../src/engine/scoring/calibrate.js';
import { pseudoQueries, QUERY_LENGTHS } from '../../src/engine/scoring/pseudo-queries.js';
import { buildSegment, type BuildRow } from '../../src/engine/segments/segment-build.js';
import { generateDocBatch, generateQueries } from '../bench/synthetic.js';
import { tempDir } from './helpers.js';

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => fs.rmSync(d, { recursive: true, force: true })));

function rowsOf(n: number): BuildRow[] {
  const b = generateDocBatch(0, n);
  return Array.from({ length: n }, (_, r) => ({
    docno: r,
    vector: { indices: b.indices.slice(b.indptr[r], b.indptr[r + 1]), values: b.values.slice(b.indptr[r], b.indptr[r + 1]) },
    tf: false,
    length: 0,
  }));
}

describe('exhaustive segments', () => {
  it('a small sealed segment is exhaustive, uncalibrated, and its default search equals exact: true', async () => {
    const dir = tempDir();
    dirs.push(dir);
    const m = await EngineManager.open({ dataDir: dir });
    try {
      const c = (await m.create('small', { encoder: { kind: 'splade' }, index: { ...DEFAULT_INDEX, mutableMaxDocs: 1_000, recentQueries: false } })) as EngineCollection;
      const rows = rowsOf(800);
      await c.upsert(rows.map((r) => ({ id: `d${r.docno}`, sparse: { indices: [...r.vector.indices], values: [...r.vector.values] } })));
      await c.flush();
      expect(c.sealed).toHaveLength(1);
      const seg = c.sealed[0];
      expect(seg.index.layout).toBe('exhaustive');
      expect(seg.calibration).toBeUndefined();
      await c.delete('d3');
      await c.delete('d10');
      await c.delete('d500'); // deleted rows of the segment are never returned
      const q = generateQueries(40, { set: 'tune' });
      let scoredFewer = 0;
      for (let i = 0; i + 1 < q.indptr.length; i++) {
        const sparse = { indices: [...q.indices.subarray(q.indptr[i], q.indptr[i + 1])], values: [...q.values.subarray(q.indptr[i], q.indptr[i + 1])] };
        for (const k of [10, 100, 1_000]) {
          const byDefault = await c.search({ sparse, k, stats: true });
          const exact = await c.search({ sparse, k, exact: true });
          expect(byDefault.hits.map((h) => [h.id, h.score])).toEqual(exact.hits.map((h) => [h.id, h.score]));
          expect(byDefault.hits.some((h) => ['d3', 'd10', 'd500'].includes(h.id))).toBe(false);
          const s = byDefault.stats!;
          expect(s.segments[0]).toMatchObject({ from: 'uncalibrated', exact: true }); // term at a time: exact, whatever the settings
          expect(s.docsScored).toBeGreaterThanOrEqual(byDefault.hits.length);
          if (s.docsScored < 800) scoredFewer++;
        }
      }
      expect(scoredFewer).toBeGreaterThan(0); // term lists: only the rows the query's terms reach
      // Their searches are exact already: the recall monitor, sampling every search, checks none.
      c.monitor.options = { rate: 1, maxShare: 1, window: 100 };
      await c.search({ sparse: { indices: [...rows[0].vector.indices], values: [...rows[0].vector.values] }, k: 10 });
      await c.monitor.idle();
      expect(c.stats().recall.checks).toBe(0);
    } finally {
      await m.close();
    }
  }, 120_000);

  it('a segment whose calibration finds no passing setting is rebuilt exhaustive; a passing one keeps its blocks', async () => {
    const dir = tempDir();
    dirs.push(dir);
    const rows = rowsOf(1_500);
    const plan = (target: number) => ({ target, queries: (csr: Parameters<typeof pseudoQueries>[0], docnos: Uint32Array) => pseudoQueries(csr, docnos, { lengths: [...QUERY_LENGTHS.siamese], weighting: 'document' }, 100) });
    // Blocks at every size and a pruning budget of 2 postings per list: no setting reaches recall 1.
    const params = { ...DEFAULT_SEISMIC, exhaustiveBelow: 0, nPostings: 2, maxFraction: 1 };
    const failed = await buildSegment(rows, dir, params, 2, 'seal-build', 0, plan(1));
    expect(failed.index.layout).toBe('exhaustive');
    expect(failed.index.blocks).toBe(0);
    expect(calibrationOf(failed.index)).toBeUndefined();
    const queries = generateQueries(30, { set: 'tune' });
    const exact = await failed.index.searchExact(queries, { k: 10 });
    expect(await failed.index.search(queries, { k: 10, queryCut: 3, heapFactor: 0.3 })).toEqual(exact);
    failed.index.close();

    const passed = await buildSegment(rows, dir, params, 2, 'seal-build', 0, plan(0.01));
    expect(passed.index.layout).toBe('blocked');
    expect(passed.index.blocks).toBeGreaterThan(0);
    expect(calibrationOf(passed.index)?.k10.exact).toBeUndefined();
    passed.index.close();
  }, 120_000);
});
