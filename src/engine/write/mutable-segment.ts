/**
 * The mutable segment: recent documents in a small in-memory inverted index, searched exhaustively
 * term-at-a-time (only the postings of the query's terms are touched, never every non-zero).
 * Rows are appended in docno order and never change; a deleted row is only marked. Once frozen
 * (handed to a seal) it accepts no more rows but stays searchable until its sealed segment is live.
 */
import type { DocNo, Hit, SparseVector } from '../../core/types.js';

export interface MutableRow {
  docno: DocNo;
  vector: SparseVector;
  /** values are raw term frequencies: weight them with `tfWeight` at query time */
  tf: boolean;
  length: number;
  seq: number;
}

export interface MutableSearchOptions {
  k: number;
  /** BM25 document weight of a term frequency (lexical rows only) */
  tfWeight?: (tf: number, length: number) => number;
  /** when given, only docnos it accepts are returned */
  allow?: (docno: DocNo) => boolean;
  /** only hits scoring strictly above this are returned */
  threshold?: number;
}

interface Postings {
  rows: number[];
  values: number[];
}

export class MutableSegment {
  readonly rows: MutableRow[] = [];
  private readonly postings = new Map<number, Postings>();
  private readonly deleted = new Set<number>(); // row numbers
  private frozenFlag = false;

  get size(): number {
    return this.rows.length;
  }

  get liveCount(): number {
    return this.rows.length - this.deleted.size;
  }

  get frozen(): boolean {
    return this.frozenFlag;
  }

  freeze(): void {
    this.frozenFlag = true;
  }

  get lastSeq(): number {
    return this.rows.length === 0 ? 0 : this.rows[this.rows.length - 1].seq;
  }

  add(row: MutableRow): void {
    if (this.frozenFlag) throw new Error('mutable segment is frozen');
    const last = this.rows[this.rows.length - 1];
    if (last && row.docno <= last.docno) throw new Error(`docno ${row.docno} is not above ${last.docno}`);
    const r = this.rows.length;
    this.rows.push(row);
    const { indices, values } = row.vector;
    for (let i = 0; i < indices.length; i++) {
      let p = this.postings.get(indices[i]);
      if (!p) this.postings.set(indices[i], (p = { rows: [], values: [] }));
      p.rows.push(r);
      p.values.push(values[i]);
    }
  }

  /** Row number of a docno, or -1. */
  rowOf(docno: DocNo): number {
    let lo = 0;
    let hi = this.rows.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const d = this.rows[mid].docno;
      if (d === docno) return mid;
      if (d < docno) lo = mid + 1;
      else hi = mid - 1;
    }
    return -1;
  }

  /** Marks a docno deleted; true if it was a live row here. */
  delete(docno: DocNo): boolean {
    const r = this.rowOf(docno);
    if (r < 0 || this.deleted.has(r)) return false;
    this.deleted.add(r);
    return true;
  }

  isDeleted(docno: DocNo): boolean {
    const r = this.rowOf(docno);
    return r >= 0 && this.deleted.has(r);
  }

  /** Live rows, in docno order. */
  liveRows(): MutableRow[] {
    return this.rows.filter((_, r) => !this.deleted.has(r));
  }

  /** Exact top-k by inner product; ranking: score descending, then docno ascending. */
  search(query: SparseVector, options: MutableSearchOptions): Hit[] {
    const scores = new Float64Array(this.rows.length);
    const seen = new Uint8Array(this.rows.length);
    const touched: number[] = [];
    const { tfWeight } = options;
    for (let q = 0; q < query.indices.length; q++) {
      const p = this.postings.get(query.indices[q]);
      if (!p) continue;
      const qw = query.values[q];
      for (let i = 0; i < p.rows.length; i++) {
        const r = p.rows[i];
        const row = this.rows[r];
        const w = row.tf && tfWeight ? tfWeight(p.values[i], row.length) : p.values[i];
        if (seen[r] === 0) {
          seen[r] = 1;
          touched.push(r);
        }
        scores[r] += qw * w;
      }
    }
    const threshold = options.threshold ?? -Infinity;
    const hits: Hit[] = [];
    for (const r of touched) {
      const score = Math.fround(scores[r]);
      if (score <= threshold || score <= 0 || this.deleted.has(r)) continue;
      const docno = this.rows[r].docno;
      if (options.allow && !options.allow(docno)) continue;
      hits.push({ docno, score });
    }
    return topK(hits, options.k);
  }
}

export function compareHits(a: Hit, b: Hit): number {
  return b.score - a.score || a.docno - b.docno;
}

export function topK(hits: Hit[], k: number): Hit[] {
  hits.sort(compareHits);
  if (hits.length > k) hits.length = k;
  return hits;
}
