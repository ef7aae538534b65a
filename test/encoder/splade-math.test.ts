import { describe, expect, it } from 'vitest';
import { denseToSparse, logSaturate, maxPoolLogits, pruneSparse, validatePrune } from '../../src/encoder/splade-math.js';

const v = (pairs: Array<[number, number]>) => ({ indices: Uint32Array.from(pairs.map((p) => p[0])), values: Float32Array.from(pairs.map((p) => p[1])) });
const ids = (x: { indices: Uint32Array }) => [...x.indices];
const SAMPLE = v([[1, 0.5], [4, 4], [6, 2], [9, 1], [12, 2.5]]); // total 10

describe('SPLADE pooling', () => {
  it('max of log(1 + relu) over the first `length` positions only', () => {
    // batch 1, tokens 3, vocab 2; the third position is padding
    const logits = Float32Array.from([1, -2, 3, 0.5, 100, 100]);
    const acc = new Float32Array(2);
    maxPoolLogits(acc, logits, 0, 3, 2);
    logSaturate(acc);
    expect(acc[0]).toBeCloseTo(Math.log1p(3), 6);
    expect(acc[1]).toBeCloseTo(Math.log1p(0.5), 6);
  });

  it('zeroes the given ids and keeps positives', () => {
    expect(ids(denseToSparse(Float32Array.from([0, 1, 0, 2, 3]), [4]))).toEqual([1, 3]);
  });
});

describe('pruning (OpenSearch semantics)', () => {
  it('top_k keeps the k largest, ties by lower id', () => {
    expect(ids(pruneSparse(SAMPLE, { top_k: 2 }))).toEqual([4, 12]);
    expect(ids(pruneSparse(v([[3, 1], [1, 1], [2, 1]]), { top_k: 2 }))).toEqual([1, 2]);
  });
  it('abs_value keeps weights >= the value', () => {
    expect(ids(pruneSparse(SAMPLE, { abs_value: 2 }))).toEqual([4, 6, 12]);
  });
  it('max_ratio keeps weights >= ratio × max', () => {
    expect(ids(pruneSparse(SAMPLE, { max_ratio: 0.5 }))).toEqual([4, 6, 12]);
    expect(ids(pruneSparse(SAMPLE, { max_ratio: 0.6 }))).toEqual([4, 12]);
  });
  it('alpha_mass keeps the largest while the running sum <= alpha × total', () => {
    expect(ids(pruneSparse(SAMPLE, { alpha_mass: 0.65 }))).toEqual([4, 12]);
    expect(ids(pruneSparse(SAMPLE, { alpha_mass: 0.85 }))).toEqual([4, 6, 12]);
    expect(ids(pruneSparse(SAMPLE, { alpha_mass: 1 }))).toEqual([1, 4, 6, 9, 12]);
  });
  it('options combine as an intersection; none changes nothing', () => {
    expect(ids(pruneSparse(SAMPLE, { top_k: 3, abs_value: 2.2 }))).toEqual([4, 12]);
    expect(pruneSparse(SAMPLE, {})).toBe(SAMPLE);
  });
  it('bad options are INVALID_CONFIG naming the option', () => {
    expect(() => validatePrune({ top_k: 0 })).toThrow(/encoder\.prune\.top_k/);
    expect(() => validatePrune({ alpha_mass: 1.5 })).toThrow(/encoder\.prune\.alpha_mass/);
    expect(() => validatePrune({ abs_value: -1 })).toThrow(/encoder\.prune\.abs_value/);
    expect(() => validatePrune({ max_ratio: 2 })).toThrow(/encoder\.prune\.max_ratio/);
    expect(() => validatePrune({ ratio: 1 } as never)).toThrow(/encoder\.prune\.ratio is not a pruning option/);
    expect(() => validatePrune({ top_k: 0 })).toThrow(expect.objectContaining({ code: 'INVALID_CONFIG' }));
  });
});
