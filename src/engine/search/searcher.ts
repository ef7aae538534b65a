/**
 * The searcher snapshot: what one search (or one batch of searches) reads of a collection, taken
 * synchronously in one place and released in one place. It holds the sealed segments (acquired:
 * a merge cannot unmap one meanwhile), the mutable segments, and the live BM25 average length
 * (every segment, sealed or mutable, scores its term frequencies with it).
 * The sealed segments' deleted rows are snapshotted by the native call (searchSegments copies each
 * RowBitmap's chunk pointers when called), and top() makes that call in the same tick as it
 * searches the mutable segments, so an update (delete + insert, applied in one tick) is seen as
 * exactly one version.
 */
import type { CsrBatch, DocNo, Hit, SparseVector } from '../../core/types.js';
import { searchSegments } from '../../index/native.js';
import type { QueryStats, SegmentPart } from '../../index/native-types.js';
import { bm25DocWeight } from '../scoring/bm25.js';
import { segmentSettings } from '../scoring/calibrate.js';
import type { FilterIndex } from '../segments/filter-index.js';
import { topK, type MutableSegment } from '../write/mutable-segment.js';
import type { SealedSegment } from '../segments/sealed-segment.js';
import type { Filter, SegmentSearchSettings } from '../types.js';
import { SnapshotFilter } from './snapshot-filter.js';
import type { TombstoneGate } from './tombstone-gate.js';

/** What the read path needs of a collection (EngineCollection implements it). */
export interface SegmentSource {
  readonly sealed: readonly SealedSegment[];
  readonly frozen: readonly MutableSegment[];
  readonly active: MutableSegment;
  readonly corpus: { readonly avgDocLength: number };
  /** tombstones wait for the searches that started before they were purged (tombstone-gate.ts) */
  readonly tombstoneGate?: TombstoneGate;
}

export interface TopOptions {
  k: number;
  /** only what this filter allows (resolved on this searcher: resolveFilter) */
  filter?: SnapshotFilter;
  /** every document scored */
  exact?: boolean;
  /** native statistics per query, summed over the sealed segments, and each segment's settings */
  stats?: boolean;
  /** the request's query settings: override each segment's own (calibrated) ones */
  request?: { queryCut?: number; heapFactor?: number };
}

export interface TopResult {
  hits: Hit[][];
  stats?: QueryStats[];
  /** with stats: the settings each sealed segment was searched with */
  settings?: SegmentSearchSettings[];
  /** true when some sealed segment was searched approximately */
  approximate: boolean;
  /** query q's exact top-k on the very same snapshot (deleted rows, filter, mutable hits): the recall check */
  exactAgain(q: number): Promise<Hit[]>;
}

export class Searcher {
  private released = false;

  private readonly gateToken: number | undefined;

  private constructor(
    readonly sealed: readonly SealedSegment[],
    readonly mutable: readonly MutableSegment[],
    /** the live average document length: every segment's BM25 rows score with it */
    readonly avgdl: number,
    private readonly gate: TombstoneGate | undefined,
  ) {
    this.gateToken = gate?.enter();
  }

  static acquire(src: SegmentSource): Searcher {
    const sealed = [...src.sealed];
    sealed.forEach((s) => s.acquire());
    return new Searcher(sealed, [...src.frozen, src.active], src.corpus.avgDocLength, src.tombstoneGate);
  }

  /** A checked filter (FilterIndex.check) resolved on this snapshot's segments, part by part. */
  resolveFilter(index: FilterIndex, filter: Filter): SnapshotFilter {
    return SnapshotFilter.resolve(index, filter, this.sealed, this.mutable);
  }

  /** One more hold on the sealed segments (a background check of this search); call the result once. */
  hold(): () => void {
    this.sealed.forEach((s) => s.acquire());
    return () => this.sealed.forEach((s) => s.release());
  }

  release(): void {
    if (this.released) return;
    this.released = true;
    this.sealed.forEach((s) => s.release());
    if (this.gateToken !== undefined) this.gate?.leave(this.gateToken);
  }

  /**
   * The top-k of each query over every segment: the mutable segments exhaustively here, then every
   * sealed segment in one native call that starts from each query's mutable k-th best score.
   */
  async top(queries: SparseVector[], o: TopOptions): Promise<TopResult> {
    const { k, filter } = o;
    const avgdl = this.avgdl;
    const mutableHits = this.mutableTop(queries, k, filter);
    if (this.sealed.length === 0) {
      return {
        hits: mutableHits.map((h) => [...h]),
        approximate: false,
        async exactAgain(q: number): Promise<Hit[]> {
          return [...mutableHits[q]];
        },
      };
    }
    // each query's floor: its mutable k-th best score (none while the mutable segments hold fewer hits)
    let thresholds: Float32Array | undefined;
    for (let q = 0; q < queries.length; q++) {
      if (mutableHits[q].length >= k) (thresholds ??= new Float32Array(queries.length).fill(Number.NaN))[q] = mutableHits[q][k - 1].score;
    }
    const request = o.request ?? {};
    const settings = this.sealed.map((s) => segmentSettings(s, k, request, filter !== undefined));
    // A segment of the exhaustive layout is searched term at a time, exactly, whatever the settings.
    const exactly = settings.map((x, i) => o.exact === true || x.exact === true || this.sealed[i].exhaustive);
    const parts: SegmentPart[] = this.sealed.map((s, i) => {
      const { queryCut, heapFactor, exact } = settings[i];
      // a frozen copy of the deleted rows (the chunk pointers; none while no row is deleted) and the
      // filter's allowed rows (immutable), kept for exactAgain
      const deleted = s.deletedRows.count > 0 ? s.deletedRows.snapshot() : undefined;
      return { segment: s.index, deleted, allow: filter?.sealed[i].words, queryCut, heapFactor, exact: exact === true };
    });
    const csr = queriesCsr(queries);
    // BM25 segments score their stored term frequencies with the live average length, as the mutable segments do.
    const res = await searchSegments(parts, csr, { k, exact: o.exact, stats: o.stats, thresholds, avgdl });
    const approximate = exactly.includes(false);
    const hits: Hit[][] = new Array(queries.length);
    for (let q = 0; q < queries.length; q++) {
      const top = [...mutableHits[q]];
      for (let i = res.offsets[q]; i < res.offsets[q + 1]; i++) top.push({ docno: res.docnos[i], score: res.scores[i] });
      hits[q] = mutableHits[q].length > 0 ? topK(top, k) : top; // sealed hits alone come ranked
    }
    // a method, not a named arrow: no named function allocated per search (see searchCollection)
    const result: TopResult = {
      hits,
      approximate,
      async exactAgain(q: number): Promise<Hit[]> {
        const one = { indptr: Uint32Array.of(0, csr.indptr[q + 1] - csr.indptr[q]), indices: csr.indices.subarray(csr.indptr[q], csr.indptr[q + 1]), values: csr.values.subarray(csr.indptr[q], csr.indptr[q + 1]) };
        const r = await searchSegments(parts, one, { k, exact: true, mode: 'pool', avgdl });
        const top = [...mutableHits[q]];
        for (let i = 0; i < r.docnos.length; i++) top.push({ docno: r.docnos[i], score: r.scores[i] });
        return topK(top, k);
      },
    };
    if (!o.stats) return result;
    result.stats = res.stats;
    result.settings = this.sealed.map((s, i): SegmentSearchSettings => {
      const { queryCut, heapFactor, from } = settings[i];
      return { segment: s.id, documents: s.row.docs, ...(exactly[i] ? { exact: true } : { queryCut, heapFactor }), from };
    });
    return result;
  }

  /**
   * Each query's top-k over the mutable segments, ranked; shared with exactAgain, so never changed.
   * The usual mutable segment of a collection at rest is empty: then nothing is set up at all.
   */
  private mutableTop(queries: SparseVector[], k: number, filter: SnapshotFilter | undefined): ReadonlyArray<readonly Hit[]> {
    if (this.mutable.every((m) => m.size === 0)) return queries.map(() => NO_HITS);
    const avgdl = this.avgdl;
    const tfWeight = (tf: number, len: number): number => bm25DocWeight(tf, len, avgdl);
    const accept = filter && ((d: DocNo): boolean => filter.acceptsUnsealed(d));
    return queries.map((q) => topK(this.mutable.flatMap((m) => m.search(q, { k, tfWeight, allow: accept })), k));
  }
}

const NO_HITS: readonly Hit[] = Object.freeze([]);

function queriesCsr(queries: SparseVector[]): CsrBatch {
  if (queries.length === 1) return { indptr: Uint32Array.of(0, queries[0].indices.length), indices: queries[0].indices, values: queries[0].values };
  const indptr = new Uint32Array(queries.length + 1);
  queries.forEach((q, i) => (indptr[i + 1] = indptr[i] + q.indices.length));
  const indices = new Uint32Array(indptr[queries.length]);
  const values = new Float32Array(indptr[queries.length]);
  queries.forEach((q, i) => {
    indices.set(q.indices, indptr[i]);
    values.set(q.values, indptr[i]);
  });
  return { indptr, indices, values };
}
