/** The tiny model's math redone in plain TypeScript, independent of ONNX Runtime (test-only). */
import { HIDDEN, tinyWeights, type TinyWeights } from '../../scripts/make-tiny-model.js';

/** Logits [tokens, vocab] of one sequence (all positions real: no padding). */
export function referenceLogits(ids: number[], w: TinyWeights = tinyWeights()): Float64Array[] {
  const T = ids.length;
  const emb = ids.map((id, t) => {
    const e = new Float64Array(HIDDEN);
    for (let h = 0; h < HIDDEN; h++) e[h] = w.word[id * HIDDEN + h] + w.position[t * HIDDEN + h] + w.type[h];
    return e;
  });
  const ctx = new Float64Array(HIDDEN);
  for (const e of emb) for (let h = 0; h < HIDDEN; h++) ctx[h] += e[h] / T;
  return emb.map((e) => {
    const hidden = new Float64Array(HIDDEN);
    for (let o = 0; o < HIDDEN; o++) {
      let s = w.b1[o];
      for (let i = 0; i < HIDDEN; i++) s += e[i] * w.w1[i * HIDDEN + o] + ctx[i] * w.w2[i * HIDDEN + o];
      hidden[o] = Math.max(0, s);
    }
    const logits = new Float64Array(w.vocab);
    for (let j = 0; j < w.vocab; j++) {
      let s = w.bOut[j];
      for (let i = 0; i < HIDDEN; i++) s += hidden[i] * w.wOut[i * w.vocab + j];
      logits[j] = s;
    }
    return logits;
  });
}

/** SPLADE weights over several sequences (chunks): max of log(1 + relu) over every position. */
export function referenceWeights(sequences: number[][], zeroIds: number[] = [], w: TinyWeights = tinyWeights()): Map<number, number> {
  const best = new Float64Array(w.vocab);
  for (const seq of sequences) for (const row of referenceLogits(seq, w)) for (let j = 0; j < w.vocab; j++) best[j] = Math.max(best[j], Math.log1p(Math.max(0, row[j])));
  for (const id of zeroIds) best[id] = 0;
  const out = new Map<number, number>();
  best.forEach((v, j) => {
    if (v > 0) out.set(j, v);
  });
  return out;
}
