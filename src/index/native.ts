/**
 * The only module that loads the native addon (native/build/Release/sparrow_native.node).
 * It implements src/index/native-types.ts: arguments are validated here first (TypeError naming
 * the argument), native failures become AppError codes (INDEX_FILE_CORRUPT for damaged files).
 * Sections below are owned by the native-core, Seismic and dense work; add yours in a marked section.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { checkCsr, checkDocnos, checkPath, checkSearchOptions } from './native-args.js';
import { LoopQuiet } from './loop-quiet.js';
import { AppError } from '../errors.js';
import type { CsrBatch } from '../core/types.js';
import { DEFAULT_SEISMIC, DEFAULT_SEISMIC_QUERY as DEFAULT_SEISMIC_QUERY_KNOBS } from '../config.js';
import type {
  Bm25BuildInput,
  Bm25SegmentStats,
  Bitmap,
  DenseIndex,
  DenseIndexSearchOptions,
  ForwardIndex,
  InvertedIndex,
  MultiSearchOptions,
  MultiSearchResult,
  QueryStats,
  RowBitmap,
  SearchOptions,
  SearchResult,
  SegmentCalibration,
  SegmentPart,
  SeismicIndex,
  SeismicParams,
  SeismicSearchOptions,
  SeismicSections,
} from './native-types.js';

// ---- loading (native core) ----

/** Raw shapes of the core part of the addon (validated wrappers below are the public API). */
export interface RawForwardIndex {
  readonly numDocs: number;
  readonly nnz: number;
  readonly bytes: number;
  readonly vocabSize: number;
  docnos(): Uint32Array;
  row(r: number): { indices: Uint32Array; values: Float32Array };
  searchExact(queries: CsrBatch, options: SearchOptions): Promise<SearchResult>;
  save(path: string): Promise<void>;
  close(): void;
}
export interface RawInvertedIndex {
  readonly numDocs: number;
  readonly bytes: number;
  search(queries: CsrBatch, options: SearchOptions): Promise<SearchResult>;
  save(path: string): Promise<void>;
  close(): void;
}
export interface RawAddon {
  Bitmap: new (capacity?: number) => Bitmap;
  setSearchThreads(n: number): void;
  getSearchThreads(): number;
  lowerThreadPriority(): void;
  readonly simdKernel: 'avx2' | 'portable';
  createForwardIndex(rows: CsrBatch, docnos: Uint32Array): RawForwardIndex;
  loadForwardIndex(path: string): RawForwardIndex;
  buildInvertedIndex(forward: RawForwardIndex): RawInvertedIndex;
  loadInvertedIndex(path: string): RawInvertedIndex;
  createForwardIndexAsync(rows: CsrBatch, docnos: Uint32Array): Promise<RawForwardIndex>;
  buildInvertedIndexAsync(forward: RawForwardIndex): Promise<RawInvertedIndex>;
  exactReference(docs: CsrBatch, docnos: Uint32Array, queries: CsrBatch, k: number, roundHalf: boolean): SearchResult;
  [name: string]: unknown; // other modules' exports (Seismic, dense)
}

/** SPARROW_SIMD: unset (or empty) lets the addon choose by CPU; "portable" forces the portable loops. */
export function checkSimdSetting(value: string | undefined): void {
  if (value === undefined || value === '' || value === 'portable') return;
  throw new AppError('INVALID_CONFIG', `SPARROW_SIMD must be "portable" or unset (the CPU decides), got ${JSON.stringify(value)}`);
}

function loadAddon(): RawAddon {
  checkSimdSetting(process.env.SPARROW_SIMD); // the addon reads it once, when it loads
  const here = path.dirname(fileURLToPath(import.meta.url));
  // src/index (tsx, vitest) or dist/index (built): the addon sits under the package root.
  const candidates = [
    path.resolve(here, '../../native/build/Release/sparrow_native.node'),
    path.resolve(here, '../../../native/build/Release/sparrow_native.node'),
  ];
  const found = candidates.find((p) => existsSync(p));
  if (found === undefined) {
    throw new Error(`native addon not built: run \`npm run build:native\` (looked in ${candidates.join(', ')})`);
  }
  return createRequire(import.meta.url)(found) as RawAddon;
}

export const addon: RawAddon = loadAddon();

/**
 * Native errors carry a code; damaged files become AppError(INDEX_FILE_CORRUPT), failed file
 * operations AppError(IO_ERROR, with the errno). TypeErrors pass.
 */
export function fromNativeError(err: unknown): unknown {
  const code = err instanceof Error ? (err as { code?: unknown }).code : undefined;
  if (code === 'INDEX_FILE_CORRUPT') return new AppError('INDEX_FILE_CORRUPT', (err as Error).message, { cause: err });
  if (code === 'IO_ERROR') return new AppError('IO_ERROR', (err as Error).message, { cause: err, extra: { errno: (err as { errno?: unknown }).errno } });
  return err;
}

/** Runs a synchronous native call, converting its error. */
export function callNative<T>(fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    throw fromNativeError(err);
  }
}

/** Awaits a native promise, converting its rejection. */
export async function awaitNative<T>(promise: Promise<T>): Promise<T> {
  try {
    return await promise;
  } catch (err) {
    throw fromNativeError(err);
  }
}

// ---- threads and bitmaps (native core) ----

/** Size of the process-wide native search pool (threads that run batch searches). */
export function setSearchThreads(n: number): void {
  if (!Number.isInteger(n) || n < 1 || n > 1024) throw new TypeError(`n must be an integer in [1, 1024], got ${n}`);
  addon.setSearchThreads(n);
}

export function getSearchThreads(): number {
  return addon.getSearchThreads();
}

/**
 * Lowers the calling thread to the priority of the native build threads (nice +10 on Linux, per
 * thread; best effort, nothing elsewhere). For a worker thread running background jobs: the event
 * loop and the search threads then win the CPU from it when both want one. Threads it starts
 * afterwards inherit it.
 */
export function lowerThreadPriority(): void {
  addon.lowerThreadPriority();
}

/** Which scoring loops the addon chose for this CPU ("portable" when SPARROW_SIMD=portable). */
export function simdKernel(): 'avx2' | 'portable' {
  return addon.simdKernel;
}

/** A native docno bitmap (validation of docnos happens in C++: TypeError naming `docno`). */
export function createBitmap(capacity = 0): Bitmap {
  if (!Number.isInteger(capacity) || capacity < 0 || capacity > 2 ** 32) {
    throw new TypeError(`capacity must be an integer in [0, 2^32], got ${capacity}`);
  }
  return new addon.Bitmap(capacity);
}

// ---- forward index, exact and exhaustive search (native core) ----

function searchArgs(queries: CsrBatch, options: SearchOptions): void {
  checkCsr(queries, 'queries');
  checkSearchOptions(options);
}

/** A segment's rows with exact search; wraps the native object (also used for Seismic's rows). */
export class NativeForwardIndex implements ForwardIndex {
  constructor(readonly raw: RawForwardIndex) {}
  get numDocs(): number {
    return this.raw.numDocs;
  }
  get nnz(): number {
    return this.raw.nnz;
  }
  get bytes(): number {
    return this.raw.bytes;
  }
  get vocabSize(): number {
    return this.raw.vocabSize;
  }
  get docnos(): Uint32Array {
    return this.raw.docnos();
  }
  row(r: number): { indices: Uint32Array; values: Float32Array } {
    if (!Number.isInteger(r) || r < 0 || r >= this.raw.numDocs) throw new TypeError(`r must be a row in [0, ${this.raw.numDocs})`);
    return this.raw.row(r);
  }
  searchExact(queries: CsrBatch, options: SearchOptions): Promise<SearchResult> {
    searchArgs(queries, options);
    return awaitNative(this.raw.searchExact(queries, options));
  }
  save(file: string): Promise<void> {
    checkPath(file);
    return awaitNative(this.raw.save(file));
  }
  close(): void {
    this.raw.close();
  }
}

/** Exhaustive term-at-a-time search over full posting lists (the mutable segment's engine). */
export class NativeInvertedIndex implements InvertedIndex {
  constructor(private readonly raw: RawInvertedIndex) {}
  get numDocs(): number {
    return this.raw.numDocs;
  }
  get bytes(): number {
    return this.raw.bytes;
  }
  search(queries: CsrBatch, options: SearchOptions): Promise<SearchResult> {
    searchArgs(queries, options);
    return awaitNative(this.raw.search(queries, options));
  }
  save(file: string): Promise<void> {
    checkPath(file);
    return awaitNative(this.raw.save(file));
  }
  close(): void {
    this.raw.close();
  }
}

/** Rows: sorted unique term ids, finite weights >= 0; docnos: one collection docno per row. */
export function createForwardIndex(rows: CsrBatch, docnos: Uint32Array): NativeForwardIndex {
  checkCsr(rows, 'rows');
  checkDocnos(docnos, rows.indptr.length - 1);
  return new NativeForwardIndex(callNative(() => addon.createForwardIndex(rows, docnos)));
}

/** mmap a saved forward index; AppError INDEX_FILE_CORRUPT when damaged or foreign. */
export function loadForwardIndex(file: string): NativeForwardIndex {
  checkPath(file);
  return new NativeForwardIndex(callNative(() => addon.loadForwardIndex(file)));
}

function checkForward(forward: ForwardIndex): asserts forward is NativeForwardIndex {
  if (!(forward instanceof NativeForwardIndex)) throw new TypeError('forward must be a ForwardIndex from createForwardIndex or loadForwardIndex');
}

export function buildInvertedIndex(forward: ForwardIndex): NativeInvertedIndex {
  checkForward(forward);
  return new NativeInvertedIndex(callNative(() => addon.buildInvertedIndex(forward.raw)));
}

/**
 * Calibration's exact reference (native/src/exact_reference.h): per query the k best rows of `docs`
 * (score descending, then row ascending; docnos from docnos[row]), in one pass over the rows for the
 * whole batch. `roundHalf`: weights rounded to binary16 precision, as a segment stores them. Runs on
 * the calling thread (a build worker's) and the search pool's thread count.
 */
export function exactReference(docs: CsrBatch, docnos: Uint32Array, queries: CsrBatch, k: number, roundHalf: boolean): SearchResult {
  // The addon checks both batches by the same rules (CsrArg: TypeError naming the field), once.
  return callNative(() => addon.exactReference(docs, docnos, queries, k, roundHalf));
}

/** createForwardIndex with the build on a background thread (validation and the copy stay sync). */
export async function createForwardIndexAsync(rows: CsrBatch, docnos: Uint32Array): Promise<NativeForwardIndex> {
  checkCsr(rows, 'rows');
  checkDocnos(docnos, rows.indptr.length - 1);
  return new NativeForwardIndex(await awaitNative(callNative(() => addon.createForwardIndexAsync(rows, docnos))));
}

/** buildInvertedIndex on a background thread (for large segments: the event loop keeps running). */
export async function buildInvertedIndexAsync(forward: ForwardIndex): Promise<NativeInvertedIndex> {
  checkForward(forward);
  return new NativeInvertedIndex(await awaitNative(callNative(() => addon.buildInvertedIndexAsync(forward.raw))));
}

export function loadInvertedIndex(file: string): NativeInvertedIndex {
  checkPath(file);
  return new NativeInvertedIndex(callNative(() => addon.loadInvertedIndex(file)));
}

// ---- dense vectors (issue 8: hybrid; owned by the dense work) ----

/** The addon's DenseIndex object: the public interface less what the TS wrapper keeps itself. */
type RawDenseIndex = Omit<DenseIndex, 'dims' | 'metric'>;

class NativeDenseIndex implements DenseIndex {
  private handle: RawDenseIndex | null;

  constructor(
    readonly dims: number,
    readonly metric: 'dot' | 'cosine',
  ) {
    const Ctor = addon.DenseIndex as new (dims: number, metric: string) => RawDenseIndex;
    this.handle = callNative(() => new Ctor(dims, metric));
  }
  private native(): RawDenseIndex {
    if (!this.handle) throw new AppError('INTERNAL', 'the dense index is closed');
    return this.handle;
  }
  get rows(): number {
    return this.native().rows;
  }
  get bytes(): number {
    return this.native().bytes;
  }
  add(docnos: Uint32Array, vectors: Float32Array): void {
    callNative(() => this.native().add(docnos, vectors));
  }
  search(queries: Float32Array, options: DenseIndexSearchOptions): Promise<SearchResult> {
    return awaitNative(callNative(() => this.native().search(queries, options)));
  }
  score(query: Float32Array, docnos: Uint32Array, filter?: Pick<DenseIndexSearchOptions, 'tombstones' | 'allow'>): Float32Array {
    return callNative(() => this.native().score(query, docnos, filter));
  }
  get(docno: number): Float32Array | undefined {
    return callNative(() => this.native().get(docno));
  }
  has(docno: number): boolean {
    return callNative(() => this.native().has(docno));
  }
  docnos(): Uint32Array {
    return callNative(() => this.native().docnos());
  }
  /** Running searches keep their snapshot of the rows alive until they finish. */
  close(): void {
    this.handle?.close();
    this.handle = null;
  }
}

/**
 * The rule every stored dense vector obeys, checked by the native code that stores it: row-major
 * rows of `dims` float32 values, each finite, and under cosine a finite non-zero float32 norm.
 * Throws TypeError naming the first bad row ("vectors row i ...").
 */
export function checkDenseVectors(vectors: Float32Array, dims: number, metric: 'dot' | 'cosine'): void {
  const check = addon.checkDenseVectors as (v: Float32Array, dims: number, metric: string) => void;
  callNative(() => check(vectors, dims, metric));
}

/** An empty exact dense index of `dims` float32 dimensions; "cosine" stores normalised vectors. */
export function createDenseIndex(dims: number, metric: 'dot' | 'cosine'): DenseIndex {
  if (!Number.isInteger(dims) || dims < 1 || dims > 65536) throw new TypeError(`dims must be an integer in [1, 65536], got ${dims}`);
  if (metric !== 'dot' && metric !== 'cosine') throw new TypeError('metric must be "dot" or "cosine"');
  return new NativeDenseIndex(dims, metric);
}

// ---- Seismic segments (issue 3; owned by the Seismic work) ----

/** Build defaults: one place (src/config.ts), exported here for callers of the index layer. */
export const DEFAULT_SEISMIC_PARAMS: SeismicParams = DEFAULT_SEISMIC;
/** Query knobs for searches that name none: one place too (src/config.ts). */
export const DEFAULT_SEISMIC_QUERY = DEFAULT_SEISMIC_QUERY_KNOBS;

interface NativeSeismic {
  readonly numDocs: number;
  readonly nnz: number;
  readonly indexBytes: number;
  readonly forwardBytes: number;
  readonly postings: number;
  readonly blocks: number;
  readonly params: Required<SeismicParams>;
  readonly layout: 'blocked' | 'exhaustive';
  readonly bm25: Bm25SegmentStats | null;
  readonly sections: SeismicSections;
  readonly calibration: string; // '' when none
  setCalibration(json: string): void;
  docnos(): Uint32Array;
  row(r: number): { indices: Uint32Array; values: Float32Array };
  search(queries: CsrBatch, options: object): Promise<SearchResult>;
  searchSync(queries: CsrBatch, options: object): SearchResult;
  searchExact(queries: CsrBatch, options: object): Promise<SearchResult>;
  save(path: string): Promise<void>;
  close(): Promise<void>;
}

function checkParams(params: SeismicParams): void {
  if (typeof params !== 'object' || params === null) throw new TypeError('params must be an object');
  const p = params as unknown as Record<string, unknown>;
  for (const key of ['nPostings', 'maxFraction', 'centroidFraction', 'summaryEnergy', 'summaryCap', 'docCut', 'nKnn', 'seed', 'exhaustiveBelow'] as const)
    if (typeof p[key] !== 'number' || !Number.isFinite(p[key])) throw new TypeError(`params.${key} must be a finite number`);
  if (p.pruningDisabled !== undefined && typeof p.pruningDisabled !== 'boolean') throw new TypeError('params.pruningDisabled must be a boolean');
}

/** The segment's own rows, seen as a ForwardIndex; it is saved and loaded as part of the segment file. */
class SegmentForward implements ForwardIndex {
  constructor(private readonly seg: SeismicSegment) {}
  get numDocs(): number {
    return this.seg.numDocs;
  }
  get nnz(): number {
    return this.seg.native().nnz;
  }
  get bytes(): number {
    return this.seg.forwardBytes;
  }
  get docnos(): Uint32Array {
    return callNative(() => this.seg.native().docnos());
  }
  row(r: number): { indices: Uint32Array; values: Float32Array } {
    return callNative(() => this.seg.native().row(r));
  }
  searchExact(queries: CsrBatch, options: SearchOptions): Promise<SearchResult> {
    return this.seg.searchExact(queries, options);
  }
  save(file: string): Promise<void> {
    return this.seg.save(file);
  }
  close(): Promise<void> {
    return this.seg.close();
  }
}

/** The query knobs a search names, DEFAULT_SEISMIC_QUERY for the others (the addon has no fallbacks). */
function withQueryDefaults(options: SeismicSearchOptions): SeismicSearchOptions {
  if (options === null || typeof options !== 'object') return options;
  return { ...options, queryCut: options.queryCut ?? DEFAULT_SEISMIC_QUERY.queryCut, heapFactor: options.heapFactor ?? DEFAULT_SEISMIC_QUERY.heapFactor };
}

/** Longest calibration JSON a segment file holds (native/src/seismic_file.h kMaxCalibrationBytes). */
const MAX_CALIBRATION_BYTES = 1 << 20;

function isJsonObject(v: unknown): v is SegmentCalibration {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

class SeismicSegment implements SeismicIndex {
  private handle: NativeSeismic | null;
  readonly forward: ForwardIndex;

  constructor(handle: NativeSeismic) {
    this.handle = handle;
    this.forward = new SegmentForward(this);
  }
  native(): NativeSeismic {
    if (!this.handle) throw new AppError('INTERNAL', 'the Seismic segment is closed');
    return this.handle;
  }
  get numDocs(): number {
    return this.native().numDocs;
  }
  get params(): SeismicParams {
    return this.native().params;
  }
  get layout(): 'blocked' | 'exhaustive' {
    return this.native().layout;
  }
  get bm25(): Bm25SegmentStats | null {
    return this.native().bm25;
  }
  get sections(): SeismicSections {
    return this.native().sections;
  }
  get calibration(): SegmentCalibration | null {
    const json = this.native().calibration;
    if (json === '') return null;
    let value: unknown;
    try {
      value = JSON.parse(json);
    } catch (err) {
      throw new AppError('INDEX_FILE_CORRUPT', `the segment's calibration is not JSON: ${(err as Error).message}`, { cause: err });
    }
    if (!isJsonObject(value)) throw new AppError('INDEX_FILE_CORRUPT', "the segment's calibration is not a JSON object");
    return value;
  }
  setCalibration(calibration: SegmentCalibration | null): void {
    if (calibration === null) return callNative(() => this.native().setCalibration(''));
    if (!isJsonObject(calibration)) throw new TypeError('calibration must be a plain object or null');
    const json = JSON.stringify(calibration);
    if (Buffer.byteLength(json, 'utf8') > MAX_CALIBRATION_BYTES) throw new TypeError('calibration must serialise to at most 1 MiB of JSON');
    callNative(() => this.native().setCalibration(json));
  }
  get indexBytes(): number {
    return this.native().indexBytes;
  }
  get forwardBytes(): number {
    return this.native().forwardBytes;
  }
  get postings(): number {
    return this.native().postings;
  }
  get blocks(): number {
    return this.native().blocks;
  }
  async search(queries: CsrBatch, options: SeismicSearchOptions): Promise<SearchResult> {
    return awaitNative(callNative(() => this.native().search(queries, withQueryDefaults(options))));
  }
  searchSync(queries: CsrBatch, options: SeismicSearchOptions): SearchResult {
    return callNative(() => this.native().searchSync(queries, withQueryDefaults(options)));
  }
  async searchExact(queries: CsrBatch, options: SearchOptions): Promise<SearchResult> {
    return awaitNative(callNative(() => this.native().searchExact(queries, options)));
  }
  async save(file: string): Promise<void> {
    if (typeof file !== 'string' || file === '') throw new TypeError('path must be a non-empty string');
    return awaitNative(callNative(() => this.native().save(file)));
  }
  /** Running searches keep the native segment alive until they finish; resolves once this handle's reference is released (the file unmapped when no search holds it). */
  close(): Promise<void> {
    const released = this.handle ? awaitNative(this.handle.close()) : Promise.resolve();
    this.handle = null;
    return released;
  }
}

/**
 * Builds a Seismic segment over `rows` (term ids strictly increasing per row, weights finite and
 * >= 0) with `docnos[r]` the collection docno of row r. Runs on `threads` low-priority native
 * threads (default 1); searches keep running meanwhile. The rows are copied.
 * With `bm25` (a lexical segment), row r holds term frequencies and bm25.lengths[r] is its
 * document length (NO_LENGTH: the row holds plain weights); the blocked index is built over the
 * BM25 weights at bm25.avgdl, and searches score the stored frequencies with the live average
 * length they are given (searchSegments' avgdl).
 */
export async function buildSeismic(
  rows: CsrBatch,
  docnos: Uint32Array,
  params: SeismicParams,
  options: { threads?: number; bm25?: Bm25BuildInput } = {},
): Promise<SeismicIndex> {
  checkParams(params);
  if (!(docnos instanceof Uint32Array)) throw new TypeError('docnos must be a Uint32Array');
  const threads = options.threads ?? 1;
  if (!Number.isInteger(threads) || threads < 1 || threads > 256) throw new TypeError('options.threads must be an integer in [1, 256]');
  if (options.bm25 !== undefined && !(options.bm25.lengths instanceof Uint32Array)) throw new TypeError('bm25.lengths must be a Uint32Array');
  const build = addon.buildSeismic as (...args: unknown[]) => Promise<NativeSeismic>;
  const handle = await awaitNative(callNative(() => build(rows, docnos, params, threads, options.bm25)));
  return new SeismicSegment(handle);
}

/**
 * The Seismic build's own parameter check (the same native function buildSeismic runs), so a
 * config it accepts always builds. Throws TypeError naming the first bad field.
 */
export function checkSeismicParams(params: SeismicParams): void {
  checkParams(params);
  const check = addon.checkSeismicParams as (params: SeismicParams) => void;
  callNative(() => check(params));
}

/** Maps a segment file; INDEX_FILE_CORRUPT when it is damaged, foreign or of another version. */
export function loadSeismic(file: string): SeismicIndex {
  if (typeof file !== 'string' || file === '') throw new TypeError('path must be a non-empty string');
  const load = addon.loadSeismic as (path: string) => NativeSeismic;
  return new SeismicSegment(callNative(() => load(file)));
}

/** loadSeismic on a background thread (the mmap checks and the whole-file CRC stay off the event loop). */
export async function loadSeismicAsync(file: string): Promise<SeismicIndex> {
  if (typeof file !== 'string' || file === '') throw new TypeError('path must be a non-empty string');
  const load = addon.loadSeismicAsync as (path: string) => Promise<NativeSeismic>;
  return new SeismicSegment(await awaitNative(callNative(() => load(file))));
}

// ---- the read path over sealed segments ----

/** A segment's deleted rows: `rows` bits, all 0 (chunked copy-on-write; see RowBitmap). */
export function createRowBitmap(rows: number): RowBitmap {
  if (!Number.isInteger(rows) || rows < 0 || rows > 2 ** 32 - 1) throw new TypeError(`rows must be an integer in [0, 2^32 - 1], got ${rows}`);
  const Ctor = addon.RowBitmap as new (rows: number) => RowBitmap;
  return callNative(() => new Ctor(rows));
}

/**
 * Where a one-query search runs, by its estimated work (native/src/multi_search.h EstimateWork: in
 * term-at-a-time postings, each kind weighted by its measured cost, ~4 ns a unit since the
 * accumulators were made branch-free; 10.7 ns before). Measured by `npm run bench:placement --
 * --queries 100 --rounds 5 --gaps 0.2,1,3` (2 cores, load average 0.5-1.1, three runs):
 *   inlinePostings: work that costs about one pool round trip. Pool minus inline at the smallest
 *     estimates was 8, 11 and 30 us (median 11) -> 11 us / 4.2 ns = ~2,600 units. Below it a
 *     search runs on the calling thread (the hop costs more than the search); above it, it leaves
 *     the event loop free.
 *   parallelPostings: a segment per pool task against one pool task over the segments, by median
 *     estimate: 7k-28k 0.96-1.01x (no gain), 22k-49k 0.88-0.95x, 192k-222k 0.84-0.92x, 1.2M-2.2M
 *     0.64-0.65x; earlier runs at load 5-7: no gain up to 27k, 0.60-0.70x from 53k. Under concurrent
 *     load the other pool thread is busy anyway, so spreading gains less: from 50,000 units on.
 *   quietInlinePostings, quietIdleMs: the round trip above is measured back to back (warm pool
 *     thread, busy event loop). A server between requests is idle: its pool thread sleeps and so
 *     does its event loop, and waking both costs more: pool minus inline at the cheapest estimates
 *     was 41-53 us after 0.2 ms idle, 60-68 us after 1 ms, 96-105 us after 3 ms, and inline was
 *     faster at every estimate measured (up to 340k-430k units; earlier, at load 2-3: 75-85 us and
 *     426k). So a quiet loop (LoopQuiet: no search pending, and the loop idle >= quietIdleMs = 0.1 ms
 *     since the previous search began or no search begun for quietGapMs = 1 ms) runs a search inline up to quietInlinePostings, a bound on
 *     how long it blocks the loop rather than a crossover: 60,000 units, ~0.25 ms at 4.2 ns a unit,
 *     a few cold round trips, so a request that arrives meanwhile waits no longer than a few hops
 *     would have cost. Under load (searches back to back, inline or pooled, the loop never idle in
 *     between) the busy limit inlinePostings holds: concurrent searches still spread over the pool
 *     and the event loop stays free for the other requests (bench:http lexical, 16 connections,
 *     placed busy: 97% of searches; with the busy limit raised to the quiet one as well, QPS fell
 *     from 3,239-4,549 to 2,940-2,994 in alternated runs).
 */
export const SEARCH_PLACEMENT = { inlinePostings: 2_500, quietInlinePostings: 60_000, quietIdleMs: 0.1, quietGapMs: 1, parallelPostings: 50_000 } as const;

/** This thread's loop: quiet or busy, for SEARCH_PLACEMENT. */
const loopQuiet = new LoopQuiet(SEARCH_PLACEMENT.quietIdleMs, SEARCH_PLACEMENT.quietGapMs);

/**
 * One search over several sealed segments (largest first, one shared k-th-score threshold, the
 * top-k merged natively); a batch of queries runs one pool task per query. Each part's deleted
 * rows are snapshotted at the call, so writes afterwards are not seen.
 */
export function searchSegments(parts: SegmentPart[], queries: CsrBatch, options: MultiSearchOptions): Promise<MultiSearchResult> {
  checkCsr(queries, 'queries');
  checkSearchOptions({ k: options.k, threshold: options.threshold });
  if (!Array.isArray(parts)) throw new TypeError('parts must be an array');
  // the addon's positional arguments (native/src/multi_search_glue.cc SearchSegments): no named
  // property is read per search
  const n = parts.length;
  const segments: NativeSeismic[] = new Array(n);
  let deleted: Array<RowBitmap | undefined> | undefined;
  let allow: Array<Uint32Array | undefined> | undefined;
  const numbers = new Float64Array(SEARCH_NUMBERS.options + SEARCH_NUMBERS.perPart * n);
  for (let i = 0; i < n; i++) {
    const p = parts[i];
    if (!(p.segment instanceof SeismicSegment)) throw new TypeError(`parts[${i}].segment must be a SeismicIndex from buildSeismic or loadSeismic`);
    if (p.allow !== undefined && !(p.allow instanceof Uint32Array)) throw new TypeError(`parts[${i}].allow must be a Uint32Array`);
    segments[i] = p.segment.native();
    if (p.deleted !== undefined) (deleted ??= new Array(n))[i] = p.deleted;
    if (p.allow !== undefined) (allow ??= new Array(n))[i] = p.allow;
    const at = SEARCH_NUMBERS.options + SEARCH_NUMBERS.perPart * i;
    numbers[at] = numberOr(p.queryCut, DEFAULT_SEISMIC_QUERY.queryCut, `parts[${i}].queryCut`);
    numbers[at + 1] = numberOr(p.heapFactor, DEFAULT_SEISMIC_QUERY.heapFactor, `parts[${i}].heapFactor`);
    numbers[at + 2] = numberOr(p.nKnn, 0, `parts[${i}].nKnn`);
    numbers[at + 3] = p.exact === true ? 1 : 0;
  }
  const mode = options.mode ?? 'auto';
  if (!SEARCH_MODES.includes(mode)) throw new TypeError('options.mode must be "auto", "inline", "pool" or "parallel"');
  if ((options as { allow?: unknown }).allow !== undefined) throw new TypeError('options.allow: give each part its own allowed rows (parts[i].allow)');
  numbers[0] = options.k;
  numbers[1] = options.exact === true ? 1 : 0;
  numbers[2] = options.stats === true ? 1 : 0;
  numbers[3] = numberOr(options.avgdl, Number.NaN, 'options.avgdl');
  numbers[4] = options.threshold ?? Number.NaN;
  numbers[6] = SEARCH_PLACEMENT.parallelPostings;
  numbers[7] = SEARCH_MODES.indexOf(mode);
  const inlineLimit = loopQuiet.begin() ? SEARCH_PLACEMENT.quietInlinePostings : SEARCH_PLACEMENT.inlinePostings;
  numbers[5] = inlineLimit;
  const search = addon.searchSegments as (...args: unknown[]) => Promise<RawMultiResult>;
  let running: Promise<RawMultiResult>;
  try {
    running = callNative(() => search(segments, deleted, allow, numbers, queries.indptr, queries.indices, queries.values, options.thresholds));
  } catch (err) {
    loopQuiet.end();
    throw err;
  }
  const placed = mode === 'auto' && queries.indptr.length === 2;
  // one reaction, not awaitNative's async wrapper: an inline search answers in one microtask
  return running.then(
    (r) => {
      loopQuiet.end();
      const res: MultiSearchResult = { offsets: r[0], docnos: r[1], scores: r[2], ran: SEARCH_RAN[r[4]] };
      if (r[3] !== undefined) res.stats = r[3];
      if (!Number.isNaN(r[5])) res.estimate = r[5];
      if (placed) res.inlineLimit = inlineLimit;
      return res;
    },
    (err: unknown) => {
      loopQuiet.end();
      throw fromNativeError(err);
    },
  );
}

/** A number argument, or the fallback when undefined (a Float64Array would turn anything else into a number). */
function numberOr(value: number | undefined, fallback: number, name: string): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number') throw new TypeError(`${name} must be a number`);
  return value;
}

/** searchSegments' numbers: the options (k, exact, stats, avgdl, threshold, inlinePostings, parallelPostings, mode), then per part (queryCut, heapFactor, nKnn, exact). */
const SEARCH_NUMBERS = { options: 8, perPart: 4 } as const;
const SEARCH_MODES = ['auto', 'inline', 'pool', 'parallel'] as const;
const SEARCH_RAN = ['inline', 'pool', 'parallel'] as const;
/** The addon's answer: [offsets, docnos, scores, stats?, ran (index of SEARCH_RAN), estimate (NaN: none)]. */
type RawMultiResult = [Uint32Array, Uint32Array, Float32Array, QueryStats[] | undefined, number, number];
