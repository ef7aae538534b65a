/**
 * The exact top-k of a batch of calibration queries over a segment's own rows (its CSR, before the
 * build), term at a time over the posting lists of the queries' terms only: one pass over the
 * segment's non-zeros to gather those lists, then per query only the postings of its terms are
 * touched (far fewer than every non-zero, which the segment's exact scan reads per query). Document
 * weights are rounded to binary16 precision as the segment stores them (scaled by a power of two,
 * which rounds alike), so the reference ranks as the segment's `exact: true` does. Pure.
 */
import type { CsrBatch } from '../../core/types.js';
import type { SearchResult } from '../../index/native-types.js';

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** x rounded to 11 significant bits (binary16's precision; range and subnormals aside), ties to even. */
export function roundToHalfPrecision(x: number): number {
  f32[0] = x;
  const bits = u32[0];
  const dropped = bits & 0x1fff; // the 13 low mantissa bits binary16 does not keep
  let kept = bits - dropped;
  if (dropped > 0x1000 || (dropped === 0x1000 && (kept & 0x2000) !== 0)) kept += 0x2000;
  u32[0] = kept >>> 0;
  return f32[0];
}

/**
 * Query term -> slot: a table when every query term is below 2^22 (vocabulary ids), else a map
 * behind a 2^20-bit prefilter (hashed lexical ids), so most non-query terms cost one bit test.
 */
class TermSlots {
  private readonly bits = new Uint32Array(1 << 15);
  private readonly slots = new Map<number, number>();
  private readonly table: Int32Array | undefined;

  constructor(queries: CsrBatch) {
    let max = 0;
    for (const t of queries.indices) {
      max = Math.max(max, t);
      if (this.slots.has(t)) continue;
      this.slots.set(t, this.slots.size);
      const low = t & 0xfffff;
      this.bits[low >>> 5] |= 1 << (low & 31);
    }
    if (max < 1 << 22) {
      this.table = new Int32Array(max + 1).fill(-1);
      for (const [t, s] of this.slots) this.table[t] = s;
    }
  }

  get size(): number {
    return this.slots.size;
  }

  slot(t: number): number {
    if (this.table) return t < this.table.length ? this.table[t] : -1;
    const low = t & 0xfffff;
    if ((this.bits[low >>> 5] & (1 << (low & 31))) === 0) return -1;
    return this.slots.get(t) ?? -1;
  }
}

/** Gives the event loop a turn every few milliseconds (a server seals segments while it serves). */
class Yielder {
  private last = performance.now();
  async maybe(): Promise<void> {
    if (performance.now() - this.last < 5) return;
    await new Promise((resolve) => setImmediate(resolve));
    this.last = performance.now();
  }
}

/** Exact top-k per query (score descending, then row ascending), docnos from `docnos[row]`;
 * `roundWeights` false: the weights are used as given (a BM25 segment scores them unrounded). */
export async function exactTopK(docs: CsrBatch, docnos: Uint32Array, queries: CsrBatch, k: number, roundWeights = true): Promise<SearchResult> {
  const turn = new Yielder();
  const rows = docs.indptr.length - 1;
  const terms = new TermSlots(queries);
  // Postings of the query terms, grouped by slot (counting pass, then filling pass).
  const start = new Uint32Array(terms.size + 1);
  for (let i = 0; i < docs.indices.length; i++) {
    if ((i & 0xfffff) === 0) await turn.maybe();
    const s = terms.slot(docs.indices[i]);
    if (s >= 0) start[s + 1]++;
  }
  for (let s = 0; s < terms.size; s++) start[s + 1] += start[s];
  const postRow = new Uint32Array(start[terms.size]);
  const postValue = new Float32Array(start[terms.size]);
  const fill = start.slice(0, terms.size);
  for (let r = 0; r < rows; r++) {
    if ((r & 0x3fff) === 0) await turn.maybe();
    for (let i = docs.indptr[r]; i < docs.indptr[r + 1]; i++) {
      const s = terms.slot(docs.indices[i]);
      if (s < 0) continue;
      postRow[fill[s]] = r;
      postValue[fill[s]++] = roundWeights ? roundToHalfPrecision(docs.values[i]) : docs.values[i];
    }
  }
  const nq = queries.indptr.length - 1;
  const acc = new Float32Array(rows);
  const touched = new Uint8Array(rows);
  const seen = new Uint32Array(rows);
  const top = new TopK(k);
  const offsets = new Uint32Array(nq + 1);
  const outDocnos: number[] = [];
  const outScores: number[] = [];
  for (let q = 0; q < nq; q++) {
    await turn.maybe();
    let n = 0;
    for (let i = queries.indptr[q]; i < queries.indptr[q + 1]; i++) {
      const s = terms.slot(queries.indices[i]);
      const w = queries.values[i];
      for (let p = start[s]; p < start[s + 1]; p++) {
        const r = postRow[p];
        if (touched[r] === 0) {
          touched[r] = 1;
          seen[n++] = r;
        }
        acc[r] += w * postValue[p];
      }
    }
    top.clear();
    for (let i = 0; i < n; i++) {
      const r = seen[i];
      if (acc[r] > 0) top.offer(r, acc[r]);
      acc[r] = 0;
      touched[r] = 0;
    }
    for (const [r, score] of top.sorted()) {
      outDocnos.push(docnos[r]);
      outScores.push(score);
    }
    offsets[q + 1] = outDocnos.length;
  }
  return { offsets, docnos: Uint32Array.from(outDocnos), scores: Float32Array.from(outScores) };
}

/** The k best (row, score) pairs offered (score descending, then row ascending): a size-k min-heap. */
class TopK {
  private readonly rows: Uint32Array;
  private readonly scores: Float32Array;
  private n = 0;

  constructor(private readonly k: number) {
    this.rows = new Uint32Array(k);
    this.scores = new Float32Array(k);
  }

  clear(): void {
    this.n = 0;
  }

  /** a ranks below b: a lower score, or the same score and a larger row */
  private below(a: number, b: number): boolean {
    return this.scores[a] < this.scores[b] || (this.scores[a] === this.scores[b] && this.rows[a] > this.rows[b]);
  }

  private swap(a: number, b: number): void {
    const r = this.rows[a];
    const s = this.scores[a];
    this.rows[a] = this.rows[b];
    this.scores[a] = this.scores[b];
    this.rows[b] = r;
    this.scores[b] = s;
  }

  offer(row: number, score: number): void {
    if (this.n < this.k) {
      this.rows[this.n] = row;
      this.scores[this.n] = score;
      for (let i = this.n++; i > 0; ) {
        const parent = (i - 1) >> 1;
        if (!this.below(i, parent)) break;
        this.swap(i, parent);
        i = parent;
      }
      return;
    }
    if (score < this.scores[0] || (score === this.scores[0] && row > this.rows[0])) return;
    this.rows[0] = row;
    this.scores[0] = Math.fround(score);
    for (let i = 0; ; ) {
      const l = 2 * i + 1;
      let m = i;
      if (l < this.n && this.below(l, m)) m = l;
      if (l + 1 < this.n && this.below(l + 1, m)) m = l + 1;
      if (m === i) break;
      this.swap(i, m);
      i = m;
    }
  }

  sorted(): Array<[number, number]> {
    const out: Array<[number, number]> = [];
    for (let i = 0; i < this.n; i++) out.push([this.rows[i], this.scores[i]]);
    return out.sort((a, b) => b[1] - a[1] || a[0] - b[0]);
  }
}
