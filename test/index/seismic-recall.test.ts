// Seismic defaults on 20k synthetic documents: high recall while really pruning; builds run
// beside searches. Synthetic documents (test/bench/SYNTHETIC.md): no real SPLADE documents here.
import { describe, expect, it } from 'vitest';
import { buildSeismic, DEFAULT_SEISMIC_QUERY } from '../../src/index/native.js';
import { recallAtK } from '../bench/recall.js';
import { generateDocs, generateQueries } from '../bench/synthetic.js';
import { BLOCKED_PARAMS } from './blocked-params.js';

describe('Seismic defaults on 20k synthetic documents', () => {
  it('reach recall@10 >= 0.9 scoring well under half the blocks, within the footprint bound', async () => {
    const N = 20_000;
    const docs = generateDocs(N);
    const queries = generateQueries(200, { set: 'tune' });
    const index = await buildSeismic(docs, Uint32Array.from({ length: N }, (_, i) => i), BLOCKED_PARAMS);
    const exact = await index.searchExact(queries, { k: 10 });
    const approx = await index.search(queries, { k: 10, ...DEFAULT_SEISMIC_QUERY, stats: true });
    expect(recallAtK(exact, approx, 10)).toBeGreaterThanOrEqual(0.9);
    // At 20k documents every list is within maxFraction x nPostings (6,000): nothing is pruned.
    expect(index.postings).toBe(index.forward.nnz);
    let scored = 0;
    let skipped = 0;
    for (const s of approx.stats!) {
      scored += s.blocksScored;
      skipped += s.blocksSkipped;
    }
    expect(scored / (scored + skipped)).toBeLessThan(0.5);
    // Forward rows: 16-bit local ids and binary16 weights (4 bytes per non-zero, plus offsets and
    // docnos); the index: postings (4), summaries (at most 3 x summaryCap) and block offsets.
    expect(index.forwardBytes).toBeLessThan(4.2 * index.forward.nnz);
    expect(index.indexBytes).toBeLessThan((4 + 3 * BLOCKED_PARAMS.summaryCap + 3) * index.forward.nnz);
    index.close();
  });

  it('answers searches correctly while another segment is being built', async () => {
    const small = generateDocs(2_000, { seed: 5 });
    const queries = generateQueries(20, { seed: 5, set: 'tune' });
    const index = await buildSeismic(small, Uint32Array.from({ length: 2_000 }, (_, i) => i), BLOCKED_PARAMS);
    const expected = await index.search(queries, { k: 10, ...DEFAULT_SEISMIC_QUERY });
    const big = generateDocs(10_000, { seed: 6 });
    let done = false;
    const building = buildSeismic(big, Uint32Array.from({ length: 10_000 }, (_, i) => i), BLOCKED_PARAMS).then((b) => {
      done = true;
      return b;
    });
    let duringBuild = 0;
    while (!done) {
      const got = await index.search(queries, { k: 10, ...DEFAULT_SEISMIC_QUERY });
      expect(got).toEqual(expected);
      if (!done) duringBuild++;
    }
    expect(duringBuild).toBeGreaterThan(0);
    (await building).close();
    index.close();
  }, 180_000); // searches compete with the build for the 2 cores
});
