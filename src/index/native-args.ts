/**
 * Argument validation for the native boundary: every check the C++ side repeats cheaply, done
 * first in TS so a bad call fails with a TypeError naming the argument before any native work.
 */
import type { CsrBatch } from '../core/types.js';
import type { SearchOptions } from './native-types.js';

export const MAX_K = 10_000;

export function checkTypedArray(value: unknown, ctor: typeof Uint32Array | typeof Float32Array, name: string): void {
  if (!(value instanceof ctor)) throw new TypeError(`${name} must be a ${ctor.name}`);
}

/** A CSR batch: indptr from 0, never decreasing, ending at indices.length == values.length;
 * term ids strictly increasing per row; weights finite and >= 0. */
export function checkCsr(batch: CsrBatch, name: string): void {
  if (batch === null || typeof batch !== 'object') throw new TypeError(`${name} must be an object {indptr, indices, values}`);
  const { indptr, indices, values } = batch;
  checkTypedArray(indptr, Uint32Array, `${name}.indptr`);
  checkTypedArray(indices, Uint32Array, `${name}.indices`);
  checkTypedArray(values, Float32Array, `${name}.values`);
  if (indptr.length === 0 || indptr[0] !== 0) throw new TypeError(`${name}.indptr must start with 0`);
  if (indices.length !== values.length) {
    throw new TypeError(`${name}.indices and ${name}.values must have the same length (${indices.length} != ${values.length})`);
  }
  if (indptr[indptr.length - 1] !== indices.length) throw new TypeError(`${name}.indptr must end at indices.length`);
  for (let r = 0; r + 1 < indptr.length; r++) {
    const begin = indptr[r];
    const end = indptr[r + 1];
    if (end < begin) throw new TypeError(`${name}.indptr must never decrease (row ${r})`);
    for (let j = begin; j < end; j++) {
      if (j > begin && indices[j] <= indices[j - 1]) {
        throw new TypeError(`${name}.indices must be strictly increasing within a row: no unsorted or duplicate term ids (row ${r})`);
      }
      const w = values[j];
      if (!Number.isFinite(w) || w < 0) throw new TypeError(`${name}.values must be finite and >= 0 (row ${r}: ${w})`);
    }
  }
}

export function checkK(k: unknown, name = 'options.k'): void {
  if (typeof k !== 'number' || !Number.isInteger(k) || k < 1 || k > MAX_K) {
    throw new TypeError(`${name} must be an integer in [1, ${MAX_K}], got ${String(k)}`);
  }
}

export function checkSearchOptions(options: SearchOptions): void {
  if (options === null || typeof options !== 'object') throw new TypeError('options must be an object');
  checkK(options.k);
  if (options.threshold !== undefined && (typeof options.threshold !== 'number' || !Number.isFinite(options.threshold))) {
    throw new TypeError('options.threshold must be a finite number');
  }
}

/** Row docnos: a Uint32Array with one entry per row. */
export function checkDocnos(docnos: Uint32Array, rows: number): void {
  checkTypedArray(docnos, Uint32Array, 'docnos');
  if (docnos.length !== rows) throw new TypeError(`docnos must have one entry per row (${docnos.length} != ${rows})`);
}

export function checkPath(path: unknown, name = 'path'): asserts path is string {
  if (typeof path !== 'string' || path.length === 0) throw new TypeError(`${name} must be a non-empty string`);
}
