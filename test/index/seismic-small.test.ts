// Small segments must behave: with the default parameters a segment of a few documents is
// searched exhaustively, and a blocked one whose lists are within their nPostings share keeps
// every posting, so its answers equal exact search.
import { describe, expect, it } from 'vitest';
import { buildSeismic, DEFAULT_SEISMIC_PARAMS, DEFAULT_SEISMIC_QUERY } from '../../src/index/native.js';
import { recallAtK } from '../bench/recall.js';
import { generateDocs, generateQueries } from '../bench/synthetic.js';

describe('Seismic on small segments with default parameters', () => {
  it('a five-document segment answers what exact search answers', async () => {
    const rows: Array<[number[], number[]]> = [
      [[1, 2, 3], [1, 1, 1]],
      [[2, 5], [0.5, 2]],
      [[7, 9], [1, 1]],
      [[1, 9], [0.2, 0.3]],
      [[3], [4]],
    ];
    const indptr = new Uint32Array(rows.length + 1);
    rows.forEach(([ids], i) => (indptr[i + 1] = indptr[i] + ids.length));
    const docs = { indptr, indices: Uint32Array.from(rows.flatMap(([ids]) => ids)), values: Float32Array.from(rows.flatMap(([, w]) => w)) };
    const index = await buildSeismic(docs, Uint32Array.from([10, 11, 12, 13, 14]), DEFAULT_SEISMIC_PARAMS);
    expect(index.layout).toBe('exhaustive');
    const query = { indptr: Uint32Array.of(0, 3), indices: Uint32Array.of(1, 2, 9), values: Float32Array.of(1, 1, 1) };
    for (const k of [1, 2, 3, 5]) {
      const approx = await index.search(query, { k, ...DEFAULT_SEISMIC_QUERY });
      const exact = await index.searchExact(query, { k });
      expect([...approx.docnos], `k=${k}`).toEqual([...exact.docnos]);
      expect([...approx.scores], `k=${k}`).toEqual([...exact.scores]);
    }
    index.close();
  });

  it('a 300-document blocked synthetic segment keeps every posting and answers (almost) what exact search answers', async () => {
    const N = 300;
    const docs = generateDocs(N);
    const queries = generateQueries(50, { set: 'tune' });
    // Summaries cut by energy only (no size bound), as the comment below assumes.
    const blocked = { ...DEFAULT_SEISMIC_PARAMS, exhaustiveBelow: 0, summaryCap: 1e6 };
    const index = await buildSeismic(docs, Uint32Array.from({ length: N }, (_, i) => i), blocked);
    expect(index.layout).toBe('blocked');
    expect(index.postings).toBe(docs.indices.length);
    const exact = await index.searchExact(queries, { k: 10 });
    // Every posting is there; only the default summaries (cut to summaryEnergy of their mass) can
    // still hide a block whose summary kept none of the query's terms. With summaryEnergy 1 the
    // summaries are complete and the answers exact.
    const approx = await index.search(queries, { k: 10, heapFactor: 1e-6, queryCut: 0 });
    expect(recallAtK(exact, approx, 10)).toBeGreaterThanOrEqual(0.99);
    const full = await buildSeismic(docs, Uint32Array.from({ length: N }, (_, i) => i), { ...blocked, summaryEnergy: 1 });
    const complete = await full.search(queries, { k: 10, heapFactor: 1e-6, queryCut: 0 });
    expect([...complete.docnos]).toEqual([...exact.docnos]);
    full.close();
    index.close();
  });
});
