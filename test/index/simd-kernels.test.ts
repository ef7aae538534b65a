// The vector (AVX2) and portable scoring loops must give the same answers: exact where pruning is
// disabled (bit-identical to the oracle), and the same top-k with pruning on this fixed case.
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { bruteForce, rowOf, storedWeights } from '../bench/recall.js';
import { DOCNOS, DOCS, QUERIES, runCase, type CaseResult } from './fixtures/simd-case.js';

const CASE = fileURLToPath(new URL('./fixtures/simd-case.ts', import.meta.url));

describe('SIMD scoring kernels', () => {
  it('pruning disabled equals the oracle over the stored (binary16) weights, and the portable loops answer exactly as the chosen ones', async () => {
    const here = await runCase();
    const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', CASE], { env: { ...process.env, SPARROW_SIMD: 'portable' }, maxBuffer: 1 << 26 });
    const portable = JSON.parse(stdout) as CaseResult;
    expect(portable.kernel).toBe('portable');
    expect(['avx2', 'portable']).toContain(here.kernel);

    const nq = QUERIES.indptr.length - 1;
    const oracle = Array.from({ length: nq }, (_, q) => bruteForce(storedWeights(DOCS), DOCNOS, rowOf(QUERIES, q), 10)).flat();
    expect(oracle.length).toBeGreaterThan(nq * 5);
    for (const r of [here, portable]) {
      expect(r.exact.docnos).toEqual(oracle.map((h) => h.docno));
      expect(r.exact.scores).toEqual(oracle.map((h) => h.score));
      expect(r.disabled).toEqual(r.exact);
    }
    expect(here.pruned).toEqual(portable.pruned);
    expect(here.pruned.docnos.length).toBeGreaterThan(0);
  });
});
