/**
 * In-memory index of the declared filterable metadata fields, so that a filter resolves without
 * reading any row: keyword/boolean value → its docnos, number field → (docno, value) pairs, all in
 * docno order (documents are added in docno order, and a docno's metadata never changes: an update
 * is a new docno). A leaf predicate is answered over a docno range [lo, hi] — a segment's, or the
 * unsealed rows' — by binary search, so a part is resolved without touching the rest of the
 * collection's postings of that value (number ranges scan the part's docno range). Append-only:
 * deleted documents stay and are removed by the deleted rows at search time. Rebuilt from SQLite at
 * open. Per-segment results: segment-filter.ts.
 */
import type { DocNo } from '../../core/types.js';
import { AppError } from '../../errors.js';
import type { FieldType, Filter } from '../types.js';

/** Set bits of 32-bit words. */
export function popcount(words: Uint32Array): number {
  let n = 0;
  for (let w of words) {
    w -= (w >>> 1) & 0x55555555;
    w = (w & 0x33333333) + ((w >>> 2) & 0x33333333);
    n += (((w + (w >>> 4)) & 0x0f0f0f0f) * 0x01010101) >>> 24;
  }
  return n;
}

/** A predicate on one field (eq, in or range): what a filter's and/or/not combine. */
export type LeafFilter = Extract<Filter, { field: string }>;
type Range = { gt?: number; gte?: number; lt?: number; lte?: number };

/** Docnos (ascending) with one number each (number fields) or none (a keyword value's list), grown by doubling. */
class DocnoColumn {
  docnos = new Uint32Array(8);
  values: Float64Array | undefined;
  n = 0;
  constructor(numbers: boolean) {
    if (numbers) this.values = new Float64Array(8);
  }
  push(docno: DocNo, value = 0): void {
    if (this.n === this.docnos.length) {
      const docnos = new Uint32Array(this.n * 2);
      docnos.set(this.docnos);
      this.docnos = docnos;
      if (this.values) {
        const values = new Float64Array(this.n * 2);
        values.set(this.values);
        this.values = values;
      }
    }
    this.docnos[this.n] = docno;
    if (this.values) this.values[this.n] = value;
    this.n++;
  }
  /** First index whose docno is >= lo. */
  from(lo: DocNo): number {
    let a = 0;
    let b = this.n;
    while (a < b) {
      const mid = (a + b) >>> 1;
      if (this.docnos[mid] < lo) a = mid + 1;
      else b = mid;
    }
    return a;
  }
}

export class FilterIndex {
  private readonly terms = new Map<string, Map<string, DocnoColumn>>();
  private readonly numbers = new Map<string, DocnoColumn>();
  private lastDocno = 0;

  constructor(readonly fields: Record<string, FieldType>) {
    for (const [name, type] of Object.entries(fields)) {
      if (type === 'number') this.numbers.set(name, new DocnoColumn(true));
      else this.terms.set(name, new Map());
    }
  }

  /** The newest docno added (0 when none): every docno up to it is in the index, or has no metadata. */
  get maxDocno(): DocNo {
    return this.lastDocno;
  }

  get hasFields(): boolean {
    return Object.keys(this.fields).length > 0;
  }

  /** Throws VALIDATION_ERROR when a declared field has a value of the wrong type. */
  validate(metadata: Record<string, unknown> | undefined, what: string): void {
    if (!metadata) return;
    for (const [name, type] of Object.entries(this.fields)) {
      const v = metadata[name];
      if (v === undefined || v === null) continue;
      const values = Array.isArray(v) ? v : [v];
      for (const x of values) {
        const ok = type === 'keyword' ? typeof x === 'string' : type === 'number' ? typeof x === 'number' && Number.isFinite(x) : typeof x === 'boolean';
        if (!ok) throw new AppError('VALIDATION_ERROR', `${what}.metadata.${name} must be a ${type} (or an array of them): it is a filterable field`);
      }
    }
  }

  /** Documents come in docno order (new docnos only ever grow; open reads them ORDER BY docno). */
  add(docno: DocNo, metadata: Record<string, unknown> | undefined): void {
    if (docno <= this.lastDocno) throw new Error(`filter index: docno ${docno} is not above ${this.lastDocno}`);
    this.lastDocno = docno;
    if (!metadata) return;
    for (const [name, type] of Object.entries(this.fields)) {
      const v = metadata[name];
      if (v === undefined || v === null) continue;
      for (const x of Array.isArray(v) ? v : [v]) {
        if (type === 'number') this.numbers.get(name)!.push(docno, x as number);
        else {
          const m = this.terms.get(name)!;
          const key = String(x);
          let list = m.get(key);
          if (!list) m.set(key, (list = new DocnoColumn(false)));
          if (list.n === 0 || list.docnos[list.n - 1] !== docno) list.push(docno);
        }
      }
    }
  }

  /** Validates a filter against the declared fields: INVALID_FILTER naming the first bad part. */
  check(f: Filter, path = 'filter'): void {
    if (f === null || typeof f !== 'object' || Array.isArray(f)) throw invalid(`${path} must be an object`);
    if ('and' in f || 'or' in f) {
      const op = 'and' in f ? 'and' : 'or';
      const list = (f as Record<string, unknown>)[op];
      if (!Array.isArray(list) || list.length === 0) throw invalid(`${path}.${op} must be a non-empty array`);
      list.forEach((g, i) => this.check(g as Filter, `${path}.${op}[${i}]`));
      return;
    }
    if ('not' in f) return this.check(f.not, `${path}.not`);
    if (!('field' in f) || typeof f.field !== 'string') throw invalid(`${path} needs field with eq, in or range, or and/or/not`);
    const type = this.fields[f.field];
    if (type === undefined) throw invalid(`${path}.field "${f.field}" is not a declared filterable field`);
    if ('eq' in f || 'in' in f) {
      const values = 'eq' in f ? [f.eq] : f.in;
      if (!Array.isArray(values)) throw invalid(`${path}.in must be an array`);
      for (const v of values) {
        const ok = type === 'keyword' ? typeof v === 'string' : type === 'number' ? typeof v === 'number' && Number.isFinite(v) : typeof v === 'boolean';
        if (!ok) throw invalid(`${path}: "${f.field}" is a ${type} field, got ${JSON.stringify(v)}`);
      }
      return;
    }
    if ('range' in f) {
      if (type !== 'number') throw invalid(`${path}: range needs a number field, "${f.field}" is ${type}`);
      if (f.range === null || typeof f.range !== 'object') throw invalid(`${path}.range must be an object`);
      for (const [k, v] of Object.entries(f.range)) {
        if (!['gt', 'gte', 'lt', 'lte'].includes(k) || typeof v !== 'number' || Number.isNaN(v)) {
          throw invalid(`${path}.range.${k} must be one of gt/gte/lt/lte with a number`);
        }
      }
      return;
    }
    throw invalid(`${path} needs eq, in or range`);
  }

  /** Calls visit(docno) for every docno in [lo, hi] matching a checked leaf (ascending per value; a docno may come twice). */
  visitLeaf(f: LeafFilter, lo: DocNo, hi: DocNo, visit: (docno: DocNo) => void): void {
    if ('range' in f) return this.visitRange(f.field, f.range, lo, hi, visit);
    for (const v of 'eq' in f ? [f.eq] : f.in) {
      if (this.fields[f.field] === 'number') {
        this.visitRange(f.field, { gte: v as number, lte: v as number }, lo, hi, visit);
        continue;
      }
      const list = this.terms.get(f.field)!.get(String(v));
      if (!list) continue;
      for (let i = list.from(lo); i < list.n && list.docnos[i] <= hi; i++) visit(list.docnos[i]);
    }
  }

  private visitRange(field: string, range: Range, lo: DocNo, hi: DocNo, visit: (docno: DocNo) => void): void {
    const col = this.numbers.get(field)!;
    const values = col.values!;
    const ok = (x: number): boolean =>
      (range.gt === undefined || x > range.gt) && (range.gte === undefined || x >= range.gte) && (range.lt === undefined || x < range.lt) && (range.lte === undefined || x <= range.lte);
    for (let i = col.from(lo); i < col.n && col.docnos[i] <= hi; i++) if (ok(values[i])) visit(col.docnos[i]);
  }
}

function invalid(message: string): AppError {
  return new AppError('INVALID_FILTER', message);
}
