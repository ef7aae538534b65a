// Static pruning with Seismic's budget (nPostings per non-empty list, each list capped at
// maxFraction × nPostings), and the exhaustive layout of small segments.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { CsrBatch } from '../../src/core/types.js';
import { buildSeismic, DEFAULT_SEISMIC_PARAMS, loadSeismic } from '../../src/index/native.js';
import type { SeismicParams } from '../../src/index/native-types.js';
import { storedWeights } from '../bench/recall.js';
import { generateDocs, generateQueries } from '../bench/synthetic.js';

const dir = mkdtempSync(path.join(tmpdir(), 'sparrow-pruning-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const N = 2_000;
const docs = generateDocs(N, { seed: 11, topics: 40 });
const docnos = Uint32Array.from({ length: N }, (_, i) => i);
const BLOCKED: SeismicParams = { ...DEFAULT_SEISMIC_PARAMS, exhaustiveBelow: 0 };

/** term -> [(row, weight)] of the whole segment. */
function postingLists(b: CsrBatch): Map<number, Array<{ row: number; w: number }>> {
  const lists = new Map<number, Array<{ row: number; w: number }>>();
  for (let r = 0; r + 1 < b.indptr.length; r++) {
    for (let i = b.indptr[r]; i < b.indptr[r + 1]; i++) {
      const t = b.indices[i];
      if (!lists.has(t)) lists.set(t, []);
      lists.get(t)!.push({ row: r, w: b.values[i] });
    }
  }
  return lists;
}

function oneTerm(t: number): CsrBatch {
  return { indptr: Uint32Array.of(0, 1), indices: Uint32Array.of(t), values: Float32Array.of(1) };
}

describe('static pruning', () => {
  it('keeps every posting of a list within its share and the largest postings of the others, capped', async () => {
    const nPostings = 40;
    const maxFraction = 2;
    const index = await buildSeismic(docs, docnos, { ...BLOCKED, nPostings, maxFraction });
    // Pruning ranks the stored (binary16) weights; ties among them go to the smaller row.
    const lists = postingLists(storedWeights(docs));
    const short = [...lists].filter(([, l]) => l.length <= nPostings);
    const long = [...lists].filter(([, l]) => l.length > nPostings);
    expect(short.length).toBeGreaterThan(50);
    expect(long.length).toBeGreaterThan(20);
    // The budget: nPostings per non-empty list at most (ties at the threshold aside), and less
    // than every posting (long lists were cut).
    expect(index.postings).toBeLessThanOrEqual(nPostings * lists.size);
    expect(index.postings).toBeLessThan(docs.indices.length);
    // A one-term query that scores every block returns exactly the list's kept postings.
    for (const [t, list] of [...short.slice(0, 60), ...long]) {
      const got = await index.search(oneTerm(t), { k: 10_000, heapFactor: 1e-6, queryCut: 0 });
      const kept = new Set(got.docnos);
      const positive = list.filter((p) => p.w > 0);
      if (list.length <= nPostings) {
        expect(kept.size, `term ${t} (${list.length} postings)`).toBe(positive.length);
        continue;
      }
      expect(kept.size, `term ${t}`).toBeGreaterThanOrEqual(Math.min(nPostings, positive.length));
      expect(kept.size, `term ${t}`).toBeLessThanOrEqual(maxFraction * nPostings);
      // The largest weights are the ones kept.
      const minKept = Math.min(...positive.filter((p) => kept.has(p.row)).map((p) => p.w));
      const maxDropped = Math.max(0, ...positive.filter((p) => !kept.has(p.row)).map((p) => p.w));
      expect(minKept, `term ${t}`).toBeGreaterThanOrEqual(maxDropped);
    }
    index.close();
  });

  it('keeps every posting when every list is within its share', async () => {
    const index = await buildSeismic(docs, docnos, { ...BLOCKED, nPostings: N });
    expect(index.postings).toBe(docs.indices.length);
    index.close();
  });

  it('refuses a budget under one posting per list and a cap under the budget', async () => {
    await expect(buildSeismic(docs, docnos, { ...BLOCKED, nPostings: 0.5 })).rejects.toThrow(/nPostings/);
    await expect(buildSeismic(docs, docnos, { ...BLOCKED, maxFraction: 0.9 })).rejects.toThrow(/maxFraction/);
    await expect(buildSeismic(docs, docnos, { ...BLOCKED, exhaustiveBelow: -1 })).rejects.toThrow(/exhaustiveBelow/);
  });
});

describe('exhaustive layout', () => {
  it('a segment under exhaustiveBelow non-zeros has no blocks and answers exactly, whatever the knobs', async () => {
    const queries = generateQueries(30, { seed: 11, topics: 40, set: 'tune' });
    const index = await buildSeismic(docs, docnos, { ...DEFAULT_SEISMIC_PARAMS, exhaustiveBelow: docs.indices.length + 1 });
    expect([index.layout, index.postings, index.blocks]).toEqual(['exhaustive', 0, 0]);
    expect(index.indexBytes).toBeLessThan(64); // three one-entry offset arrays
    const exact = await index.searchExact(queries, { k: 10 });
    expect(await index.search(queries, { k: 10, queryCut: 3, heapFactor: 0.5 })).toEqual(exact);
    expect(index.searchSync(queries, { k: 10 })).toEqual(exact);
    const file = path.join(dir, 'exhaustive.seg');
    await index.save(file);
    const loaded = loadSeismic(file);
    expect(loaded.layout).toBe('exhaustive');
    expect(await loaded.search(queries, { k: 10 })).toEqual(exact);
    loaded.close();
    index.close();
    const blocked = await buildSeismic(docs, docnos, { ...DEFAULT_SEISMIC_PARAMS, exhaustiveBelow: docs.indices.length });
    expect(blocked.layout).toBe('blocked');
    expect(blocked.blocks).toBeGreaterThan(0);
    blocked.close();
  });
});
