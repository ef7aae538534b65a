/** The dense ONNX encoder on the tiny fixture model (its per-token outputs taken as hidden states). */
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { defaultCpu } from '../../src/config.js';
import { DenseDocumentEncoder, DenseEncoder, l2Normalize, poolSequence } from '../../src/encoder/dense.js';
import { loadModelDir } from '../../src/encoder/model-dir.js';
import { closeEncoderPool, getEncoderPool } from '../../src/workers/pool.js';
import { referenceLogits } from './tiny-reference.js';

const TINY = path.resolve('test/fixtures/tiny-splade');
// different lengths, so batches carry padding; the last is longer than the 32-position window
const TEXTS = ['the cat', 'a b c d e f', 'protein folding of 42 enzymes', 'x '.repeat(60).trim()];

afterAll(async () => closeEncoderPool());

function reference(text: string, pooling: 'mean' | 'cls', normalize: boolean): number[] {
  const { tokenizer, maxLength } = loadModelDir(TINY);
  const ids = [tokenizer.clsId, ...tokenizer.encode(text, maxLength - 2), tokenizer.sepId];
  const rows = referenceLogits(ids);
  const hidden = rows[0].length;
  const v = pooling === 'cls' ? [...rows[0]] : Array.from({ length: hidden }, (_, j) => rows.reduce((s, r) => s + r[j], 0) / rows.length);
  const norm = Math.sqrt(v.reduce((s, x) => s + x * x, 0));
  return normalize ? v.map((x) => x / norm) : v;
}

function expectClose(got: Float32Array, want: number[]): void {
  expect(got.length).toBe(want.length);
  want.forEach((w, j) => expect(got[j], `dim ${j}`).toBeCloseTo(w, 4));
}

describe('pooling', () => {
  it('mean-pools the real positions and takes position 0 for cls (hand-computed)', () => {
    // batch row 1 of [2, 3, 2]: positions (1, 2), (3, 4), (pad 9, 9); length 2
    const data = Float32Array.of(0, 0, 0, 0, 0, 0, 1, 2, 3, 4, 9, 9);
    expect([...poolSequence(data, 1, 3, 2, 2, 'mean')]).toEqual([2, 3]);
    expect([...poolSequence(data, 1, 3, 2, 2, 'cls')]).toEqual([1, 2]);
    expectClose(l2Normalize(Float32Array.of(3, 4)), [0.6, 0.8]);
    expect([...l2Normalize(Float32Array.of(0, 0))]).toEqual([0, 0]);
  });
});

describe('DenseDocumentEncoder', () => {
  for (const [pooling, normalize] of [['mean', false], ['mean', true], ['cls', true]] as const) {
    it(`${pooling} pooling${normalize ? ', normalised' : ''} equals the model's math redone in TypeScript, padding and truncation included`, async () => {
      const enc = await DenseDocumentEncoder.open(TINY, { pooling, normalize });
      try {
        const got = await enc.encode(TEXTS);
        TEXTS.forEach((t, i) => expectClose(got[i], reference(t, pooling, normalize)));
        if (normalize) for (const v of got) expect(Math.hypot(...v)).toBeCloseTo(1, 5);
        const [alone] = await enc.encode([TEXTS[2]]);
        expectClose(alone, [...got[2]]);
        expect((await enc.encode(['']))[0].length).toBe(0);
      } finally {
        await enc.close();
      }
    });
  }
});

describe('DenseEncoder (worker pool)', () => {
  it('embeds in the pool exactly as in-thread, and learns the width', async () => {
    const pool = getEncoderPool({ ...defaultCpu(2), encoderWorkers: 1 });
    const enc = await DenseEncoder.open({ modelDir: TINY, pooling: 'mean', normalize: true, intraOpThreads: 1, pool });
    expect(enc.dims).toBe(133);
    expect(enc.version).toMatch(/^dense:.*:mean:norm$/);
    const got = await enc.embed(TEXTS);
    TEXTS.forEach((t, i) => expectClose(got[i], reference(t, 'mean', true)));
    expectClose(await enc.embedQuery(TEXTS[0]), reference(TEXTS[0], 'mean', true));
  });

  it('reports a missing model directory with MODEL_LOAD_FAILED', async () => {
    const pool = getEncoderPool({ ...defaultCpu(2), encoderWorkers: 1 });
    await expect(DenseEncoder.open({ modelDir: path.resolve('test/fixtures/nope'), pooling: 'cls', normalize: false, intraOpThreads: 1, pool })).rejects.toMatchObject({ code: 'MODEL_LOAD_FAILED' });
  });
});
