/**
 * The output line of `sparrow encode`, `{"id","indices","values"}`, and the compact form a batch
 * of vectors takes on the queue. Weights are written with the fewest digits that read back as the
 * same float32, so a line parsed and stored again is bit-identical to what the encoder produced.
 */
import type { SparseVector } from '../core/types.js';

/** The shortest decimal that Math.fround maps back to `v` (a float32 value). */
export function float32Text(v: number): string {
  for (let digits = 1; digits < 9; digits++) {
    const text = v.toPrecision(digits);
    if (Math.fround(Number(text)) === v) return String(Number(text));
  }
  return String(Number(v.toPrecision(9)));
}

export function vectorLine(id: string, vector: SparseVector): string {
  const values = Array.from(vector.values, float32Text).join(',');
  return `{"id":${JSON.stringify(id)},"indices":[${vector.indices.join(',')}],"values":[${values}]}\n`;
}

/** A batch of vectors as CSR arrays in base64 (exact, and a third the size of JSON numbers). */
export interface PackedVectors {
  indptr: string;
  indices: string;
  values: string;
}

const base64 = (a: Uint32Array | Float32Array) => Buffer.from(a.buffer, a.byteOffset, a.byteLength).toString('base64');

export function packVectors(vectors: readonly SparseVector[]): PackedVectors {
  const indptr = new Uint32Array(vectors.length + 1);
  vectors.forEach((v, i) => (indptr[i + 1] = indptr[i] + v.indices.length));
  const indices = new Uint32Array(indptr[vectors.length]);
  const values = new Float32Array(indptr[vectors.length]);
  vectors.forEach((v, i) => {
    indices.set(v.indices, indptr[i]);
    values.set(v.values, indptr[i]);
  });
  return { indptr: base64(indptr), indices: base64(indices), values: base64(values) };
}

function typed<T extends Uint32Array | Float32Array>(text: string, make: (b: ArrayBuffer) => T): T {
  const bytes = Buffer.from(text, 'base64');
  if (bytes.byteLength % 4 !== 0) throw new TypeError('packed vectors: a base64 array is not a whole number of 4-byte values');
  const copy = new ArrayBuffer(bytes.byteLength);
  new Uint8Array(copy).set(bytes);
  return make(copy);
}

export function unpackVectors(p: PackedVectors, expected: number): SparseVector[] {
  const indptr = typed(p.indptr, (b) => new Uint32Array(b));
  const indices = typed(p.indices, (b) => new Uint32Array(b));
  const values = typed(p.values, (b) => new Float32Array(b));
  if (indptr.length !== expected + 1 || indptr[expected] !== indices.length || indices.length !== values.length) {
    throw new TypeError(`packed vectors: expected ${expected} rows, got a malformed batch`);
  }
  const out: SparseVector[] = [];
  for (let i = 0; i < expected; i++) out.push({ indices: indices.subarray(indptr[i], indptr[i + 1]), values: values.subarray(indptr[i], indptr[i + 1]) });
  return out;
}
