/**
 * SPLADE pooling and pruning (pure). Pooling: weight_j = max over the non-padding positions of
 * log(1 + relu(logit_j)), [CLS] and [SEP] included; long texts are cut into chunks and pooled with
 * the same max across chunks. Pruning uses OpenSearch's names and semantics.
 */
import { AppError } from '../errors.js';
import type { SparseVector } from '../core/types.js';

/** Max-pools rows [row, 0 .. length) of logits [batch, tokens, vocab] into acc (length vocab,
 * starting at 0), keeping raw logits: log(1 + relu(x)) is increasing in x, so the max is taken
 * first and logSaturate applies the transform once per term instead of once per position. */
export function maxPoolLogits(acc: Float32Array, logits: Float32Array, row: number, tokens: number, length: number): void {
  const vocab = acc.length;
  for (let t = 0; t < length; t++) {
    const base = (row * tokens + t) * vocab;
    for (let j = 0; j < vocab; j++) {
      const x = logits[base + j];
      if (x > acc[j]) acc[j] = x;
    }
  }
}

/** Special positions in attribution: the [CLS] and [SEP] of a chunk. */
export const CLS_POSITION = -1;
export const SEP_POSITION = -2;

/**
 * maxPoolLogits that also records, per term, where its max came from: `arg[j]` is the token
 * index in the text (`offset` + position in the chunk − 1), or CLS_POSITION / SEP_POSITION.
 */
export function maxPoolLogitsArg(acc: Float32Array, arg: Int32Array, logits: Float32Array, row: number, tokens: number, length: number, offset: number): void {
  const vocab = acc.length;
  for (let t = 0; t < length; t++) {
    const base = (row * tokens + t) * vocab;
    const position = t === 0 ? CLS_POSITION : t === length - 1 ? SEP_POSITION : offset + t - 1;
    for (let j = 0; j < vocab; j++) {
      const x = logits[base + j];
      if (x > acc[j]) {
        acc[j] = x;
        arg[j] = position;
      }
    }
  }
}

/** acc[j] = log(1 + acc[j]) for the max-pooled (non-negative) logits of maxPoolLogits. */
export function logSaturate(acc: Float32Array): Float32Array {
  for (let j = 0; j < acc.length; j++) if (acc[j] > 0) acc[j] = Math.log1p(acc[j]);
  return acc;
}

/** Max-pools row `row` of an already pooled [batch, vocab] output into acc; values <= 0 are dropped. */
export function maxPoolRow(acc: Float32Array, pooled: Float32Array, row: number): void {
  const vocab = acc.length;
  for (let j = 0; j < vocab; j++) {
    const w = pooled[row * vocab + j];
    if (w > acc[j]) acc[j] = w;
  }
}

/** The non-zero entries of a dense accumulator, ids ascending, with the given ids zeroed. */
export function denseToSparse(acc: Float32Array, zeroIds: Iterable<number> = []): SparseVector {
  for (const id of zeroIds) if (id < acc.length) acc[id] = 0;
  let nnz = 0;
  for (let j = 0; j < acc.length; j++) if (acc[j] > 0) nnz++;
  const indices = new Uint32Array(nnz);
  const values = new Float32Array(nnz);
  for (let j = 0, k = 0; j < acc.length; j++) {
    if (acc[j] > 0) {
      indices[k] = j;
      values[k++] = acc[j];
    }
  }
  return { indices, values };
}

/** OpenSearch's pruning options; each given one applies (together: the intersection). */
export interface PruneOptions {
  /** keep the k largest weights */
  top_k?: number;
  /** keep the largest weights while their running sum stays <= alpha_mass × the total */
  alpha_mass?: number;
  /** keep weights >= abs_value */
  abs_value?: number;
  /** keep weights >= max_ratio × the largest weight */
  max_ratio?: number;
}

export function validatePrune(prune: PruneOptions | undefined): PruneOptions {
  if (prune === undefined) return {};
  const bad = (what: string): never => {
    throw new AppError('INVALID_CONFIG', `encoder.prune.${what}`);
  };
  if (typeof prune !== 'object' || prune === null) bad('must be an object');
  for (const key of Object.keys(prune)) if (!['top_k', 'alpha_mass', 'abs_value', 'max_ratio'].includes(key)) bad(`${key} is not a pruning option (top_k, alpha_mass, abs_value, max_ratio)`);
  const { top_k, alpha_mass, abs_value, max_ratio } = prune;
  if (top_k !== undefined && !(Number.isInteger(top_k) && top_k >= 1)) bad('top_k must be an integer >= 1');
  if (alpha_mass !== undefined && !(typeof alpha_mass === 'number' && alpha_mass > 0 && alpha_mass <= 1)) bad('alpha_mass must be in (0, 1]');
  if (abs_value !== undefined && !(typeof abs_value === 'number' && Number.isFinite(abs_value) && abs_value >= 0)) bad('abs_value must be a finite number >= 0');
  if (max_ratio !== undefined && !(typeof max_ratio === 'number' && max_ratio >= 0 && max_ratio <= 1)) bad('max_ratio must be in [0, 1]');
  return { ...prune };
}

export function pruneSparse(v: SparseVector, prune: PruneOptions): SparseVector {
  const n = v.values.length;
  if (n === 0 || Object.keys(prune).length === 0) return v;
  // Positions by weight descending, ties by id ascending (deterministic top_k).
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => v.values[b] - v.values[a] || v.indices[a] - v.indices[b]);
  const keep = new Uint8Array(n).fill(1);
  if (prune.top_k !== undefined) for (let r = prune.top_k; r < n; r++) keep[order[r]] = 0;
  if (prune.abs_value !== undefined) for (let i = 0; i < n; i++) if (v.values[i] < prune.abs_value) keep[i] = 0;
  if (prune.max_ratio !== undefined) {
    const cut = v.values[order[0]] * prune.max_ratio;
    for (let i = 0; i < n; i++) if (v.values[i] < cut) keep[i] = 0;
  }
  if (prune.alpha_mass !== undefined) {
    let total = 0;
    for (const i of order) total += v.values[i]; // same order as the running sum: alpha 1 keeps all
    let running = 0;
    for (const i of order) {
      running += v.values[i];
      if (running > prune.alpha_mass * total) keep[i] = 0;
    }
  }
  const indices: number[] = [];
  const values: number[] = [];
  for (let i = 0; i < n; i++) {
    if (keep[i] === 1) {
      indices.push(v.indices[i]);
      values.push(v.values[i]);
    }
  }
  return { indices: Uint32Array.from(indices), values: Float32Array.from(values) };
}
