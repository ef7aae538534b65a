/**
 * User-supplied sparse vectors ({indices, values} or {tokens}) → a validated SparseVector.
 * Decision: indices may arrive in any order (they are sorted here), but a duplicate index, a
 * non-integer or out-of-range index, a NaN/infinite/negative weight or mismatched lengths is
 * INVALID_SPARSE_VECTOR. Weights are checked as they are stored, in float32: one beyond float32's
 * range (1e39) is rejected; zero weights, and weights too small to survive float32, are dropped. Tokens go through the vocabulary (UNKNOWN_TOKEN).
 */
import type { SparseVector, TermId } from '../../core/types.js';
import { AppError } from '../../errors.js';
import type { SparseInput } from '../types.js';

const MAX_TERM_ID = 0xffff_ffff;

export function parseSparseInput(input: SparseInput, tokenToId: (token: string) => TermId | undefined, what = 'sparse'): SparseVector {
  if (input === null || typeof input !== 'object') throw invalid(`${what} must be an object`);
  if ('tokens' in input) return fromTokens(input.tokens, tokenToId, what);
  if (!('indices' in input) || !('values' in input)) throw invalid(`${what} needs indices and values, or tokens`);
  const { indices, values } = input;
  if (!Array.isArray(indices) || !Array.isArray(values)) throw invalid(`${what}.indices and ${what}.values must be arrays`);
  if (indices.length !== values.length) {
    throw invalid(`${what}.indices has ${indices.length} entries but ${what}.values has ${values.length}`);
  }
  // One pass checks every pair and, for the usual form (ids increasing), builds the vector as well.
  const n = indices.length;
  const ids = new Uint32Array(n);
  const weights = new Float32Array(n);
  let kept = 0;
  let increasing = true;
  for (let i = 0; i < n; i++) {
    const id = indices[i];
    const w = values[i];
    if (typeof id !== 'number' || !Number.isInteger(id) || id < 0 || id > MAX_TERM_ID) {
      throw invalid(`${what}.indices[${i}] must be an integer in [0, 2^32)`);
    }
    checkWeight(w, `${what}.values[${i}]`);
    if (i > 0 && !(id > indices[i - 1])) increasing = false;
    if (Math.fround(w) > 0) {
      ids[kept] = id;
      weights[kept++] = w;
    }
  }
  if (increasing) return kept === n ? { indices: ids, values: weights } : { indices: ids.slice(0, kept), values: weights.slice(0, kept) };
  const pairs: Array<[number, number]> = indices.map((id, i) => [id as number, values[i] as number]);
  pairs.sort((a, b) => a[0] - b[0]);
  for (let i = 1; i < pairs.length; i++) {
    if (pairs[i][0] === pairs[i - 1][0]) throw invalid(`${what}.indices contains ${pairs[i][0]} twice`);
  }
  return pairsVector(pairs);
}

function fromTokens(tokens: Record<string, number>, tokenToId: (token: string) => TermId | undefined, what: string): SparseVector {
  if (tokens === null || typeof tokens !== 'object' || Array.isArray(tokens)) throw invalid(`${what}.tokens must be an object of token -> weight`);
  const byId = new Map<number, number>();
  for (const [token, w] of Object.entries(tokens)) {
    checkWeight(w, `${what}.tokens[${JSON.stringify(token)}]`);
    const id = tokenToId(token);
    if (id === undefined) throw new AppError('UNKNOWN_TOKEN', `token ${JSON.stringify(token)} is not in the vocabulary`, { extra: { token } });
    if (byId.has(id)) throw invalid(`${what}.tokens maps two tokens to term id ${id}`);
    byId.set(id, w);
  }
  return pairsVector([...byId].sort((a, b) => a[0] - b[0]));
}

function checkWeight(w: unknown, name: string): asserts w is number {
  if (typeof w !== 'number' || !Number.isFinite(w) || w < 0) throw invalid(`${name} must be a finite number >= 0`);
  if (!Number.isFinite(Math.fround(w))) throw invalid(`${name} = ${w} is beyond float32's range (the stored form): at most ${F32_MAX}`);
}

const F32_MAX = 3.4028234663852886e38;

/** The vector of checked ids in increasing order and their weights; weights that do not survive float32 are dropped. */
function toVector(ids: ArrayLike<number>, weights: ArrayLike<number>): SparseVector {
  let kept = 0;
  for (let i = 0; i < ids.length; i++) if (Math.fround(weights[i]) > 0) kept++;
  const indices = new Uint32Array(kept);
  const values = new Float32Array(kept);
  for (let i = 0, j = 0; i < ids.length; i++) {
    if (!(Math.fround(weights[i]) > 0)) continue;
    indices[j] = ids[i];
    values[j++] = weights[i];
  }
  return { indices, values };
}

function pairsVector(pairs: Array<[number, number]>): SparseVector {
  return toVector(pairs.map((p) => p[0]), pairs.map((p) => p[1]));
}

function invalid(message: string): AppError {
  return new AppError('INVALID_SPARSE_VECTOR', message);
}

/** Dot product of two sorted sparse vectors. */
export function sparseDot(a: SparseVector, b: SparseVector): number {
  let i = 0;
  let j = 0;
  let s = 0;
  while (i < a.indices.length && j < b.indices.length) {
    const x = a.indices[i];
    const y = b.indices[j];
    if (x === y) s += a.values[i++] * b.values[j++];
    else if (x < y) i++;
    else j++;
  }
  return s;
}
