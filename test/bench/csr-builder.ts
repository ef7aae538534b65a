/** Growable CSR arrays (no per-row objects), and a JSONL reader of sparse vectors into them. */
import { createReadStream, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import type { CsrBatch } from '../../src/core/types.js';

export class CsrBuilder {
  private indptr: Uint32Array;
  private indices: Uint32Array;
  private values: Float32Array;
  private rows = 0;
  private nnz = 0;

  constructor(rowsHint: number, nnzHint: number) {
    this.indptr = new Uint32Array(Math.max(1, rowsHint) + 1);
    this.indices = new Uint32Array(Math.max(16, nnzHint));
    this.values = new Float32Array(Math.max(16, nnzHint));
  }

  private reserve(rows: number, nnz: number): void {
    if (this.rows + rows + 1 > this.indptr.length) {
      const grown = new Uint32Array(Math.max(this.rows + rows + 1, Math.ceil(this.indptr.length * 1.5)));
      grown.set(this.indptr);
      this.indptr = grown;
    }
    if (this.nnz + nnz > this.indices.length) {
      const size = Math.max(this.nnz + nnz, Math.ceil(this.indices.length * 1.5));
      const indices = new Uint32Array(size);
      indices.set(this.indices.subarray(0, this.nnz));
      const values = new Float32Array(size);
      values.set(this.values.subarray(0, this.nnz));
      this.indices = indices;
      this.values = values;
    }
  }

  push(indices: ArrayLike<number>, values: ArrayLike<number>): void {
    this.reserve(1, indices.length);
    for (let i = 0; i < indices.length; i++) {
      this.indices[this.nnz + i] = indices[i];
      this.values[this.nnz + i] = values[i];
    }
    this.nnz += indices.length;
    this.indptr[++this.rows] = this.nnz;
  }

  append(batch: CsrBatch): void {
    const rows = batch.indptr.length - 1;
    const nnz = batch.indptr[rows];
    this.reserve(rows, nnz);
    this.indices.set(batch.indices.subarray(0, nnz), this.nnz);
    this.values.set(batch.values.subarray(0, nnz), this.nnz);
    for (let r = 1; r <= rows; r++) this.indptr[this.rows + r] = this.nnz + batch.indptr[r];
    this.rows += rows;
    this.nnz += nnz;
  }

  /** Views of exactly the rows pushed (no copy). */
  finish(): CsrBatch {
    return {
      indptr: this.indptr.subarray(0, this.rows + 1),
      indices: this.indices.subarray(0, this.nnz),
      values: this.values.subarray(0, this.nnz),
    };
  }
}

/**
 * Reads `{"id", "indices", "values"}` lines (blank lines skipped). Indices are sorted per row;
 * a duplicate index, a negative or non-finite value, or a malformed line is an error naming the line.
 */
export async function readSparseJsonl(path: string): Promise<{ ids: string[]; rows: CsrBatch }> {
  const lines = createInterface({ input: createReadStream(path), crlfDelay: Infinity });
  const out = new CsrBuilder(1024, 1 << 16);
  const ids: string[] = [];
  let lineNo = 0;
  for await (const line of lines) {
    lineNo++;
    if (line.trim() === '') continue;
    const fail = (why: string): never => {
      throw new TypeError(`${path}:${lineNo}: ${why}`);
    };
    let rec: { id?: unknown; indices?: unknown; values?: unknown };
    try {
      rec = JSON.parse(line) as typeof rec;
    } catch {
      return fail('not valid JSON');
    }
    const { id, indices, values } = rec;
    if (typeof id !== 'string' && typeof id !== 'number') fail('"id" must be a string or a number');
    if (!Array.isArray(indices) || !Array.isArray(values) || indices.length !== values.length) fail('"indices" and "values" must be arrays of equal length');
    const order = (indices as unknown[]).map((_, i) => i);
    const idx = indices as number[];
    const val = values as number[];
    for (let i = 0; i < idx.length; i++) {
      if (!Number.isInteger(idx[i]) || idx[i] < 0 || idx[i] > 0xffffffff) fail(`indices[${i}] is not a 32-bit unsigned integer`);
      if (typeof val[i] !== 'number' || !Number.isFinite(val[i]) || val[i] < 0) fail(`values[${i}] must be a finite number >= 0`);
    }
    order.sort((a, b) => idx[a] - idx[b]);
    for (let i = 1; i < order.length; i++) if (idx[order[i]] === idx[order[i - 1]]) fail(`duplicate index ${idx[order[i]]}`);
    out.push(
      order.map((i) => idx[i]),
      order.map((i) => val[i]),
    );
    ids.push(String(id));
  }
  return { ids, rows: out.finish() };
}

/** Writes a batch as three raw files `${stem}.indptr|indices|values` (a benchmark cache). */
export function saveCsr(stem: string, b: CsrBatch): void {
  writeFileSync(`${stem}.indptr`, b.indptr);
  writeFileSync(`${stem}.indices`, b.indices);
  writeFileSync(`${stem}.values`, b.values);
}

/** Reads what saveCsr wrote, or undefined when a file is missing. */
export function loadCsr(stem: string): CsrBatch | undefined {
  const parts = ['indptr', 'indices', 'values'].map((p) => `${stem}.${p}`);
  if (!parts.every((p) => existsSync(p))) return undefined;
  const [ip, ix, va] = parts.map((p) => readFileSync(p));
  const view = <T>(b: Buffer, C: new (a: ArrayBuffer) => T): T => new C(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer);
  return { indptr: view(ip, Uint32Array), indices: view(ix, Uint32Array), values: view(va, Float32Array) };
}

/** Every other row of a CSR batch, from `first`: the tune (0) and report (1) halves of a query file. */
export function everyOtherRow(b: CsrBatch, first: number): CsrBatch {
  const rows: number[] = [];
  for (let r = first; r + 1 < b.indptr.length; r += 2) rows.push(r);
  const indptr = new Uint32Array(rows.length + 1);
  rows.forEach((r, i) => (indptr[i + 1] = indptr[i] + b.indptr[r + 1] - b.indptr[r]));
  const indices = new Uint32Array(indptr[rows.length]);
  const values = new Float32Array(indptr[rows.length]);
  rows.forEach((r, i) => {
    indices.set(b.indices.subarray(b.indptr[r], b.indptr[r + 1]), indptr[i]);
    values.set(b.values.subarray(b.indptr[r], b.indptr[r + 1]), indptr[i]);
  });
  return { indptr, indices, values };
}

/** Rows [from, to) of a batch (the arrays are views into it, indptr rebased to 0). */
export function sliceRows(b: CsrBatch, from: number, to: number): CsrBatch {
  const base = b.indptr[from];
  return { indptr: b.indptr.slice(from, to + 1).map((x) => x - base), indices: b.indices.subarray(base, b.indptr[to]), values: b.values.subarray(base, b.indptr[to]) };
}
