/**
 * In-memory index of the declared filterable metadata fields, so that a filter resolves to a docno
 * set without reading any row: keyword/boolean value → docno list, number → (value, docno) pairs
 * sorted by value (plus a small unsorted tail of recent inserts). Append-only: docnos are never
 * reused and deleted ones are removed by the tombstones at search time. Rebuilt from SQLite at open.
 */
import type { DocNo } from '../../core/types.js';
import { AppError } from '../../errors.js';
import type { FieldType, Filter } from '../types.js';

/** A docno set as a bitset of 32-bit words. */
export class DocSet {
  constructor(readonly words: Uint32Array) {}
  static empty(maxDocno: number): DocSet {
    return new DocSet(new Uint32Array((maxDocno >>> 5) + 1));
  }
  add(d: DocNo): void {
    this.words[d >>> 5] |= 1 << (d & 31);
  }
  has(d: DocNo): boolean {
    const w = d >>> 5;
    return w < this.words.length && (this.words[w] & (1 << (d & 31))) !== 0;
  }
  count(): number {
    let n = 0;
    for (let w of this.words) {
      w -= (w >>> 1) & 0x55555555;
      w = (w & 0x33333333) + ((w >>> 2) & 0x33333333);
      n += (((w + (w >>> 4)) & 0x0f0f0f0f) * 0x01010101) >>> 24;
    }
    return n;
  }
  toArray(): Uint32Array {
    const out = new Uint32Array(this.count());
    let j = 0;
    for (let i = 0; i < this.words.length; i++) {
      for (let w = this.words[i]; w !== 0; w &= w - 1) out[j++] = i * 32 + (31 - Math.clz32(w & -w));
    }
    return out;
  }
}

interface NumericField {
  values: Float64Array;
  docnos: Uint32Array;
  tailValues: number[];
  tailDocnos: number[];
}

export class FilterIndex {
  private readonly terms = new Map<string, Map<string, number[]>>();
  private readonly numbers = new Map<string, NumericField>();
  private maxDocno = 0;
  private added = 0;

  constructor(readonly fields: Record<string, FieldType>) {
    for (const [name, type] of Object.entries(fields)) {
      if (type === 'number') this.numbers.set(name, { values: new Float64Array(0), docnos: new Uint32Array(0), tailValues: [], tailDocnos: [] });
      else this.terms.set(name, new Map());
    }
  }

  /** documents ever added (deleted ones included: the denominator of a filter's selectivity) */
  get size(): number {
    return this.added;
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

  add(docno: DocNo, metadata: Record<string, unknown> | undefined): void {
    this.maxDocno = Math.max(this.maxDocno, docno);
    this.added++;
    if (!metadata) return;
    for (const [name, type] of Object.entries(this.fields)) {
      const v = metadata[name];
      if (v === undefined || v === null) continue;
      for (const x of Array.isArray(v) ? v : [v]) {
        if (type === 'number') {
          const f = this.numbers.get(name)!;
          f.tailValues.push(x as number);
          f.tailDocnos.push(docno);
        } else {
          const m = this.terms.get(name)!;
          const key = String(x);
          const list = m.get(key);
          if (list) list.push(docno);
          else m.set(key, [docno]);
        }
      }
    }
  }

  /** Validates a filter against the declared fields (INVALID_FILTER) and resolves it. */
  resolve(filter: Filter): DocSet {
    this.compactNumbers();
    return this.evaluate(filter, 'filter');
  }

  private evaluate(f: Filter, path: string): DocSet {
    if (f === null || typeof f !== 'object' || Array.isArray(f)) throw invalid(`${path} must be an object`);
    if ('and' in f || 'or' in f) {
      const op = 'and' in f ? 'and' : 'or';
      const list = (f as Record<string, unknown>)[op];
      if (!Array.isArray(list) || list.length === 0) throw invalid(`${path}.${op} must be a non-empty array`);
      const sets = list.map((g, i) => this.evaluate(g as Filter, `${path}.${op}[${i}]`));
      const out = sets[0];
      for (const s of sets.slice(1)) {
        for (let i = 0; i < out.words.length; i++) out.words[i] = op === 'and' ? out.words[i] & s.words[i] : out.words[i] | s.words[i];
      }
      return out;
    }
    if ('not' in f) {
      const s = this.evaluate(f.not, `${path}.not`);
      for (let i = 0; i < s.words.length; i++) s.words[i] = ~s.words[i];
      s.words[0] &= ~1; // docno 0 is never assigned
      const tailBits = (this.maxDocno & 31) + 1; // clear bits past maxDocno
      if (tailBits < 32) s.words[s.words.length - 1] &= (1 << tailBits) - 1;
      return s;
    }
    if (!('field' in f) || typeof f.field !== 'string') throw invalid(`${path} needs field with eq, in or range, or and/or/not`);
    const type = this.fields[f.field];
    if (type === undefined) throw invalid(`${path}.field "${f.field}" is not a declared filterable field`);
    const out = DocSet.empty(this.maxDocno);
    if ('eq' in f || 'in' in f) {
      const values = 'eq' in f ? [f.eq] : f.in;
      if (!Array.isArray(values)) throw invalid(`${path}.in must be an array`);
      for (const v of values) this.addValue(out, f.field, type, v, path);
      return out;
    }
    if ('range' in f) {
      if (type !== 'number') throw invalid(`${path}: range needs a number field, "${f.field}" is ${type}`);
      this.addRange(out, f.field, f.range, path);
      return out;
    }
    throw invalid(`${path} needs eq, in or range`);
  }

  private addValue(out: DocSet, field: string, type: FieldType, v: unknown, path: string): void {
    const ok = type === 'keyword' ? typeof v === 'string' : type === 'number' ? typeof v === 'number' && Number.isFinite(v) : typeof v === 'boolean';
    if (!ok) throw invalid(`${path}: "${field}" is a ${type} field, got ${JSON.stringify(v)}`);
    if (type === 'number') {
      this.addRange(out, field, { gte: v as number, lte: v as number }, path);
      return;
    }
    for (const d of this.terms.get(field)!.get(String(v)) ?? []) out.add(d);
  }

  private addRange(out: DocSet, field: string, range: { gt?: number; gte?: number; lt?: number; lte?: number }, path: string): void {
    if (range === null || typeof range !== 'object') throw invalid(`${path}.range must be an object`);
    for (const [k, v] of Object.entries(range)) {
      if (!['gt', 'gte', 'lt', 'lte'].includes(k) || typeof v !== 'number' || Number.isNaN(v)) {
        throw invalid(`${path}.range.${k} must be one of gt/gte/lt/lte with a number`);
      }
    }
    const lowOk = (x: number): boolean => (range.gt === undefined || x > range.gt) && (range.gte === undefined || x >= range.gte);
    const highOk = (x: number): boolean => (range.lt === undefined || x < range.lt) && (range.lte === undefined || x <= range.lte);
    const f = this.numbers.get(field)!;
    // First index whose value passes the lower bound (values ascending), then walk up to the upper.
    let lo = 0;
    let hi = f.values.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (lowOk(f.values[mid])) hi = mid;
      else lo = mid + 1;
    }
    for (let i = lo; i < f.values.length && highOk(f.values[i]); i++) out.add(f.docnos[i]);
    for (let i = 0; i < f.tailValues.length; i++) if (lowOk(f.tailValues[i]) && highOk(f.tailValues[i])) out.add(f.tailDocnos[i]);
  }

  /** Folds the unsorted tails into the sorted arrays once they are worth it. */
  private compactNumbers(): void {
    for (const f of this.numbers.values()) {
      if (f.tailValues.length <= Math.max(256, f.values.length >> 4)) continue;
      const n = f.values.length + f.tailValues.length;
      const order = Array.from({ length: n }, (_, i) => i);
      const val = (i: number): number => (i < f.values.length ? f.values[i] : f.tailValues[i - f.values.length]);
      const doc = (i: number): number => (i < f.values.length ? f.docnos[i] : f.tailDocnos[i - f.values.length]);
      order.sort((a, b) => val(a) - val(b));
      const values = new Float64Array(n);
      const docnos = new Uint32Array(n);
      order.forEach((i, j) => {
        values[j] = val(i);
        docnos[j] = doc(i);
      });
      Object.assign(f, { values, docnos, tailValues: [], tailDocnos: [] });
    }
  }
}

function invalid(message: string): AppError {
  return new AppError('INVALID_FILTER', message);
}
