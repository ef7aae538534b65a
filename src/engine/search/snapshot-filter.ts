/**
 * A filter resolved on one searcher snapshot, part by part (segment-filter.ts): per sealed segment
 * its allowed rows (a row-indexed bitset, from the segment's FilterCache when seen before), and for
 * the unsealed rows a docno-indexed bitset over their docno span [base, top] (at most about
 * index.maxUnsealedDocs bits, never cached: those rows change). Nothing here is the size of the
 * collection. The dense side, which speaks docnos, keeps its own sets (dense-filter.ts).
 */
import type { DocNo } from '../../core/types.js';
import type { FilterIndex } from '../segments/filter-index.js';
import { evaluateFilter, FilterCost, type Allowed, type FilterPart } from '../segments/segment-filter.js';
import type { SealedSegment } from '../segments/sealed-segment.js';
import type { MutableSegment } from '../write/mutable-segment.js';
import type { Filter } from '../types.js';

export class SnapshotFilter {
  private constructor(
    /** per sealed segment of the snapshot (same order): its allowed rows */
    readonly sealed: readonly Allowed[],
    private readonly segments: readonly SealedSegment[],
    /** the unsealed rows' allowed docnos, bit i = docno base + i */
    private readonly unsealed: Allowed,
    private readonly base: DocNo,
    /** rows the filter was resolved over (sealed rows, deleted ones included, and unsealed rows) */
    readonly universe: number,
    /** bytes of bitsets made for this resolution (cache misses, and/or/not nodes, the unsealed part) */
    readonly allocatedBytes: number,
  ) {}

  /** Resolves a checked filter (FilterIndex.check) on these sealed and mutable segments. */
  static resolve(index: FilterIndex, filter: Filter, sealed: readonly SealedSegment[], mutable: readonly MutableSegment[]): SnapshotFilter {
    const cost = new FilterCost();
    const parts = sealed.map((s) => evaluateFilter(index, filter, sealedPart(s), cost));
    const withRows = mutable.filter((m) => m.rows.length > 0);
    const base = withRows.length === 0 ? 1 : Math.min(...withRows.map((m) => m.rows[0].docno));
    const top = withRows.length === 0 ? 0 : Math.max(...withRows.map((m) => m.rows[m.rows.length - 1].docno));
    const bits = top - base + 1;
    const unsealedPart: FilterPart = { bits, lo: base, hi: top, positionOf: (d) => (d >= base && d <= top ? d - base : -1) };
    const unsealed = evaluateFilter(index, filter, unsealedPart, cost);
    const universe = sealed.reduce((n, s) => n + s.docnos.length, 0) + mutable.reduce((n, m) => n + m.size, 0);
    return new SnapshotFilter(parts, sealed, unsealed, base, universe, cost.bytes);
  }

  /** Allowed rows over the whole snapshot (deleted rows included, as in the universe). */
  get allowed(): number {
    return this.sealed.reduce((n, a) => n + a.count, this.unsealed.count);
  }

  /** Whether an unsealed row's docno is allowed (the mutable search's test). */
  acceptsUnsealed(d: DocNo): boolean {
    const p = d - this.base;
    return p >= 0 && (p >>> 5) < this.unsealed.words.length && (this.unsealed.words[p >>> 5] & (1 << (p & 31))) !== 0;
  }
}

function sealedPart(s: SealedSegment): FilterPart {
  return { bits: s.docnos.length, lo: s.row.minDocno, hi: s.row.maxDocno, positionOf: (d) => s.rowOf(d), cache: s.filterCache };
}
