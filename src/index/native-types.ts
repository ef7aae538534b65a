/**
 * The contract of the native addon as the rest of Sparrow sees it. src/index/native.ts is the only
 * module that loads the addon; it implements these types, validates every argument in TS (TypeError
 * naming the argument) and turns native failures into AppError codes.
 *
 * Docnos: every row of a ForwardIndex carries the collection-wide docno it stands for (`docnos`),
 * so results, tombstones and allow bitmaps all speak collection docnos, whatever segment answers.
 */
import type { CsrBatch, DocNo } from '../core/types.js';

/** A docno bitmap owned by native memory. Writes from JS are atomic word updates; searches read a
 * consistent copy (snapshot) taken when the search starts, so JS may keep writing meanwhile. */
export interface Bitmap {
  readonly capacity: number; // bits; grows on set()
  set(docno: DocNo): void;
  clear(docno: DocNo): void;
  has(docno: DocNo): boolean;
  count(): number;
  /** An immutable copy (cheap: copy-on-write or a word copy). */
  snapshot(): Bitmap;
  /** In-place union / intersection / difference with another bitmap (for filter evaluation). */
  or(other: Bitmap): void;
  and(other: Bitmap): void;
  andNot(other: Bitmap): void;
  /** All set docnos, ascending. */
  toArray(): Uint32Array;
}

export interface SearchOptions {
  k: number; // 1..10_000
  tombstones?: Bitmap; // docnos never returned
  allow?: Bitmap; // when given, only these docnos are returned
  /** Floor (k-th best from other segments): documents scoring below it are not returned; a tie may
   * still be returned (it can win on docno). Only documents with a positive score are ever returned. */
  threshold?: number;
  /** Collect per-query statistics. */
  stats?: boolean;
  /** BM25 segments: the collection's live average length to score with (absent or 0: the segment's own) */
  avgdl?: number;
}

/** A lexical (BM25) segment's statistics: k1, b and the average length its summaries were built for. */
export interface Bm25SegmentStats {
  avgdl: number;
  k1: number;
  b: number;
}

/** A row length meaning "this row holds plain weights, not term frequencies". */
export const NO_LENGTH = 0xffffffff;

/** buildSeismic's BM25 input: one document length per row (NO_LENGTH: plain weights). */
export interface Bm25BuildInput extends Bm25SegmentStats {
  lengths: Uint32Array;
}

/** queryCut and heapFactor default to DEFAULT_SEISMIC_QUERY (src/index/native.ts) when not given. */
export interface SeismicSearchOptions extends SearchOptions {
  queryCut?: number; // keep this many largest query terms (0: all)
  heapFactor?: number; // (0, 1]; skip a block when its summary score < heapFactor × the k-th best
  nKnn?: number; // refine with this many kNN neighbours per result (needs a graph)
}

export interface QueryStats {
  listsVisited: number;
  blocksScored: number;
  blocksSkipped: number;
  docsScored: number;
  postingsTotal: number; // postings in the visited lists (kept after pruning)
  micros: number; // wall time of the query on its native search thread
}

/** Results of a batch of queries: query q's hits are [offsets[q], offsets[q+1]) in rank order. */
export interface SearchResult {
  offsets: Uint32Array;
  docnos: Uint32Array;
  scores: Float32Array;
  stats?: QueryStats[];
}

export interface ForwardIndex {
  readonly numDocs: number;
  readonly nnz: number;
  readonly bytes: number; // memory/file footprint of rows
  readonly docnos: Uint32Array; // row -> collection docno (copy)
  row(r: number): { indices: Uint32Array; values: Float32Array };
  /** Exact search: every document scored. */
  searchExact(queries: CsrBatch, options: SearchOptions): Promise<SearchResult>;
  save(path: string): Promise<void>;
  close(): void;
}

export interface InvertedIndex {
  readonly numDocs: number;
  readonly bytes: number;
  /** Exhaustive term-at-a-time search over full posting lists. */
  search(queries: CsrBatch, options: SearchOptions): Promise<SearchResult>;
  save(path: string): Promise<void>;
  close(): void;
}

/** Build parameters of a Seismic segment; all stored in the segment header. Every field is
 * required: their defaults live in src/config.ts (DEFAULT_SEISMIC) only. */
export interface SeismicParams {
  /** Static pruning budget, Seismic's n_postings: an average of this many postings per non-empty
   * list. A list keeps its min(length, nPostings) largest postings (a shorter list is kept whole);
   * what short lists leave of the budget goes to the long lists' next-largest postings under one
   * global threshold, each list capped at maxFraction × nPostings. [1, 1e9] */
  nPostings: number;
  maxFraction: number; // [1, 1000]
  centroidFraction: number;
  summaryEnergy: number; // (0, 1]
  /** Size bound of the summaries: a block's summary keeps at most max(1, summaryCap × the block's
   * postings) entries (3 bytes each with 16-bit local ids). (0, 1e6] */
  summaryCap: number;
  docCut: number;
  nKnn: number; // 0 = no graph
  seed: number;
  /** A segment with fewer non-zeros has no blocks: every search scores all its rows exactly
   * (layout "exhaustive"), as fast there as the approximate path (README "Index benchmark"). */
  exhaustiveBelow: number;
  /** true = every posting kept, summary_energy 1, summaries rounded upward: results equal exact search. */
  pruningDisabled?: boolean;
}

export interface SeismicSections {
  forwardIds: number;
  forwardValues: number;
  forwardOther: number; // row offsets, docnos, term dictionary
  postings: number;
  blocks: number; // list and block offsets, summary min/scale
  summaries: number; // summary term ids and 8-bit codes
  knn: number;
}

/**
 * Per-segment settings measured when the segment was built (calibrated query settings, for
 * example), stored in the segment file as UTF-8 JSON (at most 1 MiB) and returned by load. The
 * index layer does not interpret it.
 */
export type SegmentCalibration = { [key: string]: unknown };

export interface SeismicIndex {
  readonly numDocs: number;
  /** The calibration the next save() writes; a loaded segment starts with its file's (null: none). */
  readonly calibration: SegmentCalibration | null;
  /** Sets (null: clears) the calibration written by the next save(); TypeError when it is not a
   * JSON object or serialises to more than 1 MiB. The segment's search is not changed by it. */
  setCalibration(calibration: SegmentCalibration | null): void;
  readonly params: SeismicParams;
  /** "blocked": Seismic blocks and summaries; "exhaustive": forward rows only (a small segment). */
  readonly layout: 'blocked' | 'exhaustive';
  /** A lexical segment's BM25 statistics (rows hold term frequencies; avgdl: the average length its
   * summaries were built for), or null for a learned-sparse segment. */
  readonly bm25: Bm25SegmentStats | null;
  /** Bytes by section (forwardIds + forwardValues + forwardOther = forwardBytes; the rest = indexBytes). */
  readonly sections: SeismicSections;
  readonly indexBytes: number; // without the forward index
  readonly forwardBytes: number;
  readonly postings: number; // postings kept by static pruning (compare with forward.nnz)
  readonly blocks: number;
  readonly forward: ForwardIndex; // the segment's own forward index (rows, docnos)
  search(queries: CsrBatch, options: SeismicSearchOptions): Promise<SearchResult>;
  /** The same search on the calling thread (it blocks the event loop): no thread hop. */
  searchSync(queries: CsrBatch, options: SeismicSearchOptions): SearchResult;
  searchExact(queries: CsrBatch, options: SearchOptions): Promise<SearchResult>;
  save(path: string): Promise<void>;
  /** Resolves once this handle's reference is released: the file is unmapped then unless a running search still holds it. */
  close(): Promise<void>;
}

/**
 * A bitmap over a segment's rows (native/src/row_bitmap.h): the segment's deleted rows, or, indexed
 * by docno and grown with the collection, a dense filter's allowed docnos. Held as immutable chunks
 * of 65,536 bits: a search snapshots it by copying the chunk pointers (the same snapshot again while
 * nothing changed), and a write after a snapshot copies only the one chunk it changes. snapshot() is
 * a read-only copy.
 */
export interface RowBitmap {
  readonly rows: number;
  readonly count: number;
  /** chunks copied because a snapshot shared them (copy-on-write work so far) */
  readonly copiedChunks: number;
  /** true for a snapshot (writes throw) */
  readonly frozen: boolean;
  /** true if the bit was 0 */
  set(row: number): boolean;
  /** sets every row (all validated first); returns how many bits changed */
  setMany(rows: Uint32Array): number;
  /** sets row base + i for every set bit i of words (all validated first); returns how many bits changed */
  setWords(words: Uint32Array, base: number): number;
  /** at least `rows` rows from now on, the new ones 0 (TypeError for fewer than now) */
  grow(rows: number): void;
  clear(row: number): boolean;
  has(row: number): boolean;
  snapshot(): RowBitmap;
}

/** One sealed segment of a multi-segment search, with its own settings. */
export interface SegmentPart {
  segment: SeismicIndex;
  /** its deleted rows (snapshotted when the search starts) */
  deleted?: RowBitmap;
  /** only these rows are returned: bit r = row r, ceil(rows / 32) words, read in place by the
   * search (zero-copy): leave them unchanged until its promise settles */
  allow?: Uint32Array;
  /** DEFAULT_SEISMIC_QUERY's value when not given (the addon has no fallbacks) */
  queryCut?: number;
  heapFactor?: number;
  nKnn?: number;
  /** score every row of this segment (its calibrated setting when approximate cannot reach the target) */
  exact?: boolean;
}

export interface MultiSearchOptions {
  k: number;
  /** every row scored (the oracle) instead of the Seismic search */
  exact?: boolean;
  /** floor: the k-th best score found elsewhere (the mutable segment) */
  threshold?: number;
  /** per query floors instead (NaN: none) */
  thresholds?: Float32Array;
  stats?: boolean;
  /** BM25 segments: the collection's live average length (absent or 0: each segment's own) */
  avgdl?: number;
  /** where to run: "auto" decides from the estimated work (see SEARCH_PLACEMENT in src/index/native.ts) */
  mode?: 'auto' | 'inline' | 'pool' | 'parallel';
}

/** searchSegments' result: query q's merged top-k over every part, and where the search ran. */
export interface MultiSearchResult extends SearchResult {
  ran: 'inline' | 'pool' | 'parallel';
  /** one query: its estimated work (native/src/multi_search.h EstimateWork), what mode "auto" decides from */
  estimate?: number;
  /** one query placed by mode "auto": the inline limit it was placed by (SEARCH_PLACEMENT, quiet or busy) */
  inlineLimit?: number;
}

/**
 * Exact dense vectors (native/src/dense.h): rows in chunked row-major float32, scanned on the
 * search pool. Cosine vectors are stored normalised; every score is then a dot product.
 * A docno can be added once (docnos are never reused: an update is a new docno).
 */
/** A dense search's options: `allow` is a docno-indexed RowBitmap, read through its snapshot (never copied). */
export interface DenseIndexSearchOptions {
  k: number; // 1..10_000
  tombstones?: RowBitmap; // docnos never returned (bit d = docno d), read through its snapshot (never copied)
  allow?: RowBitmap; // when given, only these docnos (bit d = docno d) are returned
  threshold?: number;
}

export interface DenseIndex {
  readonly dims: number;
  readonly metric: 'dot' | 'cosine';
  readonly rows: number;
  readonly bytes: number;
  /** All-or-nothing; TypeError on a non-finite value, a zero vector under cosine or a docno already stored. */
  add(docnos: Uint32Array, vectors: Float32Array): void;
  /** Exact top-k of each query (row-major queries.length / dims queries). */
  search(queries: Float32Array, options: DenseIndexSearchOptions): Promise<SearchResult>;
  /** Exact scores of one query against docnos; NaN for a docno without a vector, and for one the filter excludes (tested natively: no call per docno). */
  score(query: Float32Array, docnos: Uint32Array, filter?: Pick<DenseIndexSearchOptions, 'tombstones' | 'allow'>): Float32Array;
  get(docno: DocNo): Float32Array | undefined;
  has(docno: DocNo): boolean;
  /** Docnos of every row, in insertion order. */
  docnos(): Uint32Array;
  close(): void;
}

/**
 * What src/index/native.ts exports (implemented by the native-core and Seismic work):
 *
 *   createBitmap(capacity?: number): Bitmap
 *   createForwardIndex(rows: CsrBatch, docnos: Uint32Array): ForwardIndex   // rows sorted & validated
 *   loadForwardIndex(path: string): ForwardIndex                             // mmap; INDEX_FILE_CORRUPT on damage
 *   buildInvertedIndex(forward: ForwardIndex): InvertedIndex
 *   loadInvertedIndex(path: string): InvertedIndex                           // mmap; INDEX_FILE_CORRUPT on damage
 *   createForwardIndexAsync(rows, docnos) / buildInvertedIndexAsync(forward): the same, built on a background thread
 *   buildSeismic(rows: CsrBatch, docnos: Uint32Array, params: SeismicParams, options?: { threads?: number }): Promise<SeismicIndex>
 *   loadSeismic(path: string): SeismicIndex                                  // mmap; INDEX_FILE_CORRUPT on damage
 *   loadSeismicAsync(path: string): Promise<SeismicIndex>                    // the same, on a background thread
 *   setSearchThreads(n: number): void                                        // the native search pool size
 *   createRowBitmap(rows: number): RowBitmap                                 // a segment's deleted rows
 *   searchSegments(parts: SegmentPart[], queries: CsrBatch, options: MultiSearchOptions): Promise<MultiSearchResult>
 *   DEFAULT_SEISMIC_PARAMS: SeismicParams
 *   createDenseIndex(dims: number, metric: 'dot' | 'cosine'): DenseIndex      // dense section (hybrid work)
 */
