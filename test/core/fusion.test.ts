import { describe, expect, it } from 'vitest';
import { candidateUnion, fuseConvex, fuseRrf, normalize, resolveFusionOptions, type ScoredCandidate } from '../../src/core/fusion.js';
import type { Hit } from '../../src/core/types.js';
import { AppError } from '../../src/errors.js';

// Four candidates, both raw scores known (the missing sides already scored exactly).
// Values below were computed by hand (and checked with a calculator), not by the code under test.
const CANDIDATES: ScoredCandidate[] = [
  { docno: 1, sparse: 10, dense: 0.2 },
  { docno: 2, sparse: 6, dense: 0.8 },
  { docno: 3, sparse: 2, dense: 0.6 },
  { docno: 4, sparse: 4, dense: 0.4 },
];
const SPARSE = CANDIDATES.map((c) => c.sparse);
const DENSE = CANDIDATES.map((c) => c.dense);

function expectClose(actual: ArrayLike<number>, expected: number[]): void {
  expect(actual.length).toBe(expected.length);
  expected.forEach((e, i) => expect(actual[i], `index ${i}`).toBeCloseTo(e, 5));
}

describe('normalize', () => {
  it('min_max maps to [0, 1]', () => {
    // sparse: min 2, max 10 → (s − 2) / 8; dense: min 0.2, max 0.8 → (d − 0.2) / 0.6
    expectClose(normalize(SPARSE, 'min_max'), [1, 0.5, 0, 0.25]);
    expectClose(normalize(DENSE, 'min_max'), [0, 1, 2 / 3, 1 / 3]);
  });

  it('l2 divides by the euclidean norm', () => {
    // ‖sparse‖ = √156 = 12.48999; ‖dense‖ = √1.2 = 1.095445
    expectClose(normalize(SPARSE, 'l2'), [0.800641, 0.480384, 0.160128, 0.320256]);
    expectClose(normalize(DENSE, 'l2'), [0.182574, 0.730297, 0.547723, 0.365148]);
  });

  it('z_score uses the population standard deviation', () => {
    // sparse: mean 5.5, σ = √8.75 = 2.958040; dense: mean 0.5, σ = √0.05 = 0.223607
    expectClose(normalize(SPARSE, 'z_score'), [1.521278, 0.169031, -1.183216, -0.507093]);
    expectClose(normalize(DENSE, 'z_score'), [-1.341641, 1.341641, 0.447214, -0.447214]);
  });

  it('handles degenerate sets without NaN', () => {
    expectClose(normalize([3, 3, 3], 'min_max'), [1, 1, 1]);
    expectClose(normalize([0, 0], 'l2'), [0, 0]);
    expectClose(normalize([5, 5], 'z_score'), [0, 0]);
    expect(normalize([], 'min_max').length).toBe(0);
    expectClose(normalize([7], 'min_max'), [1]);
  });
});

describe('fuseConvex', () => {
  const cases: Array<[string, 'min_max' | 'l2' | 'z_score', number, number[], number[]]> = [
    // [name, normalization, alpha, fused score of docnos 1..4, expected ranking]
    ['min_max α=0.5', 'min_max', 0.5, [0.5, 0.75, 0.333333, 0.291667], [2, 1, 3, 4]],
    ['min_max α=0.3', 'min_max', 0.3, [0.3, 0.85, 0.466667, 0.308333], [2, 3, 4, 1]],
    ['l2 α=0.5', 'l2', 0.5, [0.491607, 0.605341, 0.353925, 0.342702], [2, 1, 3, 4]],
    ['l2 α=0.3', 'l2', 0.3, [0.367994, 0.655323, 0.431444, 0.351681], [2, 3, 1, 4]],
    ['z_score α=0.5', 'z_score', 0.5, [0.089818, 0.755336, -0.368001, -0.477153], [2, 1, 3, 4]],
    ['z_score α=0.3', 'z_score', 0.3, [-0.482765, 0.989858, -0.041915, -0.465177], [2, 3, 4, 1]],
  ];
  for (const [name, norm, alpha, scores, ranking] of cases) {
    it(`${name} matches the hand-computed scores and ranking`, () => {
      const fused = fuseConvex(CANDIDATES, alpha, norm, 10);
      expect(fused.map((h) => h.docno)).toEqual(ranking);
      for (const h of fused) expect(h.score).toBeCloseTo(scores[h.docno - 1], 5);
    });
  }

  it('alpha = 1 returns the sparse ranking and alpha = 0 the dense ranking, for every normalisation', () => {
    const sparseOrder = [...CANDIDATES].sort((a, b) => b.sparse - a.sparse).map((c) => c.docno);
    const denseOrder = [...CANDIDATES].sort((a, b) => b.dense - a.dense).map((c) => c.docno);
    expect(sparseOrder).toEqual([1, 2, 4, 3]);
    expect(denseOrder).toEqual([2, 3, 4, 1]);
    for (const norm of ['min_max', 'l2', 'z_score'] as const) {
      expect(fuseConvex(CANDIDATES, 1, norm, 10).map((h) => h.docno), norm).toEqual(sparseOrder);
      expect(fuseConvex(CANDIDATES, 0, norm, 10).map((h) => h.docno), norm).toEqual(denseOrder);
    }
  });

  it('keeps raw and normalised scores of both sides, ranks when given, and cuts to k', () => {
    const sparseHits: Hit[] = [{ docno: 1, score: 10 }, { docno: 2, score: 6 }];
    const denseHits: Hit[] = [{ docno: 2, score: 0.8 }, { docno: 3, score: 0.6 }];
    const fused = fuseConvex(CANDIDATES, 0.5, 'min_max', 2, { sparseHits, denseHits });
    expect(fused).toHaveLength(2);
    expect(fused[0]).toMatchObject({ docno: 2, sparse: { raw: 6, normalized: 0.5, rank: 2 }, dense: { raw: 0.8, normalized: 1, rank: 1 } });
    expect(fused[1].docno).toBe(1);
    expect(fused[1].dense.rank).toBeUndefined();
    expect(fused[1].dense.raw).toBe(0.2);
  });

  it('breaks ties by docno ascending', () => {
    const tied: ScoredCandidate[] = [
      { docno: 9, sparse: 1, dense: 1 },
      { docno: 3, sparse: 1, dense: 1 },
    ];
    expect(fuseConvex(tied, 0.5, 'min_max', 10).map((h) => h.docno)).toEqual([3, 9]);
  });
});

describe('fuseRrf', () => {
  // sparse returned 1 (10), 2 (6), 4 (4); dense returned 2 (0.8), 3 (0.6), 4 (0.4)
  const sparseHits: Hit[] = [{ docno: 4, score: 4 }, { docno: 1, score: 10 }, { docno: 2, score: 6 }];
  const denseHits: Hit[] = [{ docno: 2, score: 0.8 }, { docno: 3, score: 0.6 }, { docno: 4, score: 0.4 }];

  it('sums 1/(60 + rank) over the sides that returned a candidate', () => {
    const fused = fuseRrf(sparseHits, denseHits, 60, 10);
    // 2: 1/62 + 1/61 = 0.0325225; 4: 1/63 + 1/63 = 0.0317460; 1: 1/61 = 0.0163934; 3: 1/62 = 0.0161290
    expect(fused.map((h) => h.docno)).toEqual([2, 4, 1, 3]);
    expectClose(fused.map((h) => h.score), [0.0325225, 0.031746, 0.0163934, 0.016129]);
    const one = fused.find((h) => h.docno === 1)!;
    expect(one.dense).toMatchObject({ normalized: 0, rank: undefined });
    expect(one.sparse).toMatchObject({ raw: 10, rank: 1 });
    expect(one.sparse.normalized).toBeCloseTo(1 / 61, 9);
  });

  it('uses the rank constant', () => {
    const fused = fuseRrf(sparseHits, denseHits, 0, 10);
    // 2: 1/2 + 1/1 = 1.5; 1: 1/1 = 1; 4: 1/3 + 1/3 = 0.6667; 3: 1/2
    expect(fused.map((h) => h.docno)).toEqual([2, 1, 4, 3]);
    expectClose(fused.map((h) => h.score), [1.5, 1, 2 / 3, 0.5]);
  });

  it('reports an exactly scored missing side for explain without changing the score', () => {
    const fused = fuseRrf(sparseHits, denseHits, 60, 10, { dense: new Map([[1, 0.2]]), sparse: new Map([[3, 2]]) });
    const one = fused.find((h) => h.docno === 1)!;
    expect(one.dense.raw).toBe(0.2);
    expect(one.score).toBeCloseTo(1 / 61, 9);
    expect(fused.find((h) => h.docno === 3)!.sparse.raw).toBe(2);
  });
});

describe('candidateUnion', () => {
  it('lists each docno once, sparse side first', () => {
    expect(candidateUnion([{ docno: 5, score: 1 }, { docno: 2, score: 0 }], [{ docno: 2, score: 3 }, { docno: 7, score: 1 }])).toEqual([5, 2, 7]);
  });
});

describe('resolveFusionOptions', () => {
  it('fills defaults (convex, min_max, alpha 0.5, rank constant 60, candidates >= k)', () => {
    expect(resolveFusionOptions(undefined, 10)).toEqual({ method: 'convex', alpha: 0.5, normalization: 'min_max', rankConstant: 60, candidates: 100 });
    expect(resolveFusionOptions({ method: 'rrf', candidates: 5 }, 20).candidates).toBe(20);
  });

  it('rejects an unknown method with UNKNOWN_FUSION_METHOD', () => {
    const bad = { method: 'borda' } as unknown as { method: 'rrf' };
    expect(() => resolveFusionOptions(bad, 10)).toThrow(expect.objectContaining({ code: 'UNKNOWN_FUSION_METHOD', status: 400 }) as AppError);
  });

  it('rejects bad alpha, normalisation, rank constant and candidates with VALIDATION_ERROR', () => {
    const bads: object[] = [{ alpha: 1.5 }, { alpha: Number.NaN }, { normalization: 'max' }, { rankConstant: -1 }, { candidates: 0 }, { candidates: 2.5 }];
    for (const b of bads) {
      expect(() => resolveFusionOptions(b as never, 10), JSON.stringify(b)).toThrow(expect.objectContaining({ code: 'VALIDATION_ERROR' }) as AppError);
    }
  });
});
