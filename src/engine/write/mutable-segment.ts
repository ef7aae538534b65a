/**
 * The mutable segment: recent documents in a small in-memory inverted index, searched exhaustively
 * term-at-a-time (only the postings of the query's terms are touched, never every non-zero).
 * Rows are appended in docno order and never change; a deleted row is only marked. Once frozen
 * (handed to a seal) it accepts no more rows but stays searchable until its sealed segment is live.
 */
import { termKey, type DocNo, type Hit, type SparseVector } from '../../core/types.js';

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

/**
 * Postings live in a segment's shared slabs: each term's entries in chunks of 4, 8, 16, … up to
 * CHUNK_MAX entries, bump-allocated from slabs of SLAB entries. No buffer per term: growing each
 * term's own typed arrays by doubling made ~20 allocations of an off-heap buffer per term and a copy
 * each time, most of the cost of adding a document (and garbage the collector had to sweep).
 */
const SLAB_SHIFT = 18;
const SLAB = 1 << SLAB_SHIFT; // entries per slab: 1 MiB of rows and 1 MiB of values
const CHUNK_STEPS = 6;
const CHUNK_MAX = 4 << CHUNK_STEPS; // 256

/** Entries of a term's c-th chunk. */
function chunkSize(c: number): number {
  return c < CHUNK_STEPS ? 4 << c : CHUNK_MAX;
}

class Slabs {
  readonly rows: Uint32Array[] = [];
  readonly values: Float32Array[] = [];
  private used = SLAB;

  /** A chunk of `size` entries (within one slab): its global offset (slab << SLAB_SHIFT | offset). */
  alloc(size: number): number {
    if (this.used + size > SLAB) {
      this.rows.push(new Uint32Array(SLAB));
      this.values.push(new Float32Array(SLAB));
      this.used = 0;
    }
    const at = (this.rows.length - 1) * SLAB + this.used;
    this.used += size;
    return at;
  }
}

/** One term's postings: the global offsets of its chunks, `n` entries in all, room for `cap`. */
interface Postings {
  chunks: number[];
  n: number;
  cap: number;
}

function append(slabs: Slabs, p: Postings, row: number, value: number): void {
  if (p.n === p.cap) {
    const size = chunkSize(p.chunks.length);
    p.chunks.push(slabs.alloc(size));
    p.cap += size;
  }
  const at = p.chunks[p.chunks.length - 1] + p.n - (p.cap - chunkSize(p.chunks.length - 1));
  slabs.rows[at >>> SLAB_SHIFT][at & (SLAB - 1)] = row;
  slabs.values[at >>> SLAB_SHIFT][at & (SLAB - 1)] = value;
  p.n++;
}

/**
 * Per-row accumulators shared by every search of this thread: a search runs synchronously from start
 * to end, so one set serves them all. Grown to the largest segment searched and cleared row by row
 * after each search (only the touched rows), so a search allocates nothing proportional to the
 * segment: allocating and zeroing three arrays per query was most of the garbage a collection
 * under ingest made (each a fresh off-heap buffer: external memory that brings major collections).
 */
class Accumulators {
  scores = new Float64Array(0);
  seen = new Uint8Array(0);
  touched = new Uint32Array(0);

  /** Room for `rows` rows; every entry below it is zero. */
  reserve(rows: number): void {
    if (this.scores.length >= rows) return;
    const n = Math.max(rows, Math.ceil(this.scores.length * 1.5));
    this.scores = new Float64Array(n);
    this.seen = new Uint8Array(n);
    this.touched = new Uint32Array(n);
  }

  /** Zeroes the first `n` touched rows again. */
  clear(n: number): void {
    const { scores, seen, touched } = this;
    for (let t = 0; t < n; t++) {
      const r = touched[t];
      scores[r] = 0;
      seen[r] = 0;
    }
  }
}

const accumulators = new Accumulators();

export class MutableSegment {
  readonly rows: MutableRow[] = [];
  /** rows whose values are term frequencies (weighted at query time) */
  private tfRows = 0;
  /** by term id as a signed 32-bit integer (termKey) */
  private readonly postings = new Map<number, Postings>();
  private readonly slabs = new Slabs();
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
    if (row.tf) this.tfRows++;
    const { indices, values } = row.vector;
    for (let i = 0; i < indices.length; i++) {
      const key = termKey(indices[i]);
      let p = this.postings.get(key);
      if (!p) this.postings.set(key, (p = { chunks: [], n: 0, cap: 0 }));
      append(this.slabs, p, r, values[i]);
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
    if (this.rows.length === 0) return []; // the usual active segment of a collection at rest
    accumulators.reserve(this.rows.length);
    const { scores, seen, touched } = accumulators;
    let nTouched = 0;
    try {
      // only rows holding term frequencies are weighted (none in a SPLADE collection)
      const tfWeight = this.tfRows > 0 ? options.tfWeight : undefined;
      for (let q = 0; q < query.indices.length; q++) {
        const p = this.postings.get(termKey(query.indices[q]));
        if (!p) continue;
        const qw = query.values[q];
        for (let c = 0, left = p.n; left > 0; c++) {
          const at = p.chunks[c];
          const rows = this.slabs.rows[at >>> SLAB_SHIFT];
          const values = this.slabs.values[at >>> SLAB_SHIFT];
          const from = at & (SLAB - 1);
          const end = from + Math.min(left, chunkSize(c));
          left -= end - from;
          for (let i = from; i < end; i++) {
            const r = rows[i];
            let w = values[i];
            if (tfWeight) {
              const row = this.rows[r];
              if (row.tf) w = tfWeight(w, row.length);
            }
            if (seen[r] === 0) {
              seen[r] = 1;
              touched[nTouched++] = r;
            }
            scores[r] += qw * w;
          }
        }
      }
      // Bounded selection: only the k best so far are kept (a min-heap on the ranking), never every touched row.
      const threshold = options.threshold ?? -Infinity;
      const heap = new TopK(options.k);
      for (let t = 0; t < nTouched; t++) {
        const r = touched[t];
        const score = Math.fround(scores[r]);
        if (score <= threshold || score <= 0 || !heap.admits(score, this.rows[r].docno) || this.deleted.has(r)) continue;
        const docno = this.rows[r].docno;
        if (options.allow && !options.allow(docno)) continue;
        heap.push({ docno, score });
      }
      return heap.sorted();
    } finally {
      accumulators.clear(nTouched); // also when `allow` or `tfWeight` threw
    }
  }
}

/** The k best hits by compareHits, as a binary heap whose root is the worst kept. */
class TopK {
  private readonly h: Hit[] = [];
  constructor(private readonly k: number) {}

  /** could (score, docno) enter? */
  admits(score: number, docno: DocNo): boolean {
    if (this.k === 0) return false;
    if (this.h.length < this.k) return true;
    return compareHits({ docno, score }, this.h[0]) < 0;
  }

  push(hit: Hit): void {
    const h = this.h;
    if (h.length < this.k) {
      h.push(hit);
      for (let i = h.length - 1; i > 0; ) {
        const parent = (i - 1) >> 1;
        if (compareHits(h[i], h[parent]) <= 0) break; // the root holds the worst: larger compare = worse
        [h[i], h[parent]] = [h[parent], h[i]];
        i = parent;
      }
      return;
    }
    h[0] = hit;
    for (let i = 0; ; ) {
      const l = 2 * i + 1;
      const r = l + 1;
      let worst = i;
      if (l < h.length && compareHits(h[l], h[worst]) > 0) worst = l;
      if (r < h.length && compareHits(h[r], h[worst]) > 0) worst = r;
      if (worst === i) break;
      [h[i], h[worst]] = [h[worst], h[i]];
      i = worst;
    }
  }

  sorted(): Hit[] {
    return this.h.sort(compareHits);
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
