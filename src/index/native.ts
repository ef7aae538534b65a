/**
 * The only module that loads the native addon (contract: ./native-types.ts). Arguments are
 * validated here or, for bulk arrays, by the addon's cheap re-checks (TypeError naming the
 * argument); native failures become AppError codes.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { DEFAULT_SEISMIC } from '../config.js';
import type { CsrBatch } from '../core/types.js';
import { AppError } from '../errors.js';
import type {
  DenseIndex,
  ForwardIndex,
  SearchOptions,
  SearchResult,
  SeismicIndex,
  SeismicParams,
  SeismicSearchOptions,
} from './native-types.js';

// ---- addon loading ----------------------------------------------------------------------------

const here = path.dirname(fileURLToPath(import.meta.url));
/** native/build/Release/sparrow_native.node from src/index (tsx) or dist/src/index (built). */
function addonPath(): string {
  for (const up of ['../..', '../../..']) {
    const p = path.resolve(here, up, 'native/build/Release/sparrow_native.node');
    if (existsSync(p)) return p;
  }
  throw new AppError('INTERNAL', 'the native addon is not built: run `npm run build:native:full`');
}

// The raw addon is untyped by nature; every use below goes through a typed wrapper.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export const addon: any = createRequire(import.meta.url)(addonPath());

/** Native errors carry a string `code` (glue_util.h); map them to AppError, keep TypeErrors. */
export function mapNativeError(err: unknown): unknown {
  if (err instanceof TypeError || err instanceof AppError || !(err instanceof Error)) return err;
  const code = (err as Error & { code?: unknown }).code;
  if (code === 'INDEX_FILE_CORRUPT') return new AppError('INDEX_FILE_CORRUPT', err.message, { cause: err });
  return new AppError('INTERNAL', err.message, { cause: err, extra: typeof code === 'string' ? { nativeCode: code } : undefined });
}

function callNative<T>(fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    throw mapNativeError(err);
  }
}

async function awaitNative<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    throw mapNativeError(err);
  }
}

// ---- Seismic segments (issue 3) ---------------------------------------------------------------

/** Build defaults: one place (src/config.ts), exported here for callers of the index layer. */
export const DEFAULT_SEISMIC_PARAMS: SeismicParams = DEFAULT_SEISMIC;

interface NativeSeismic {
  readonly numDocs: number;
  readonly nnz: number;
  readonly indexBytes: number;
  readonly forwardBytes: number;
  readonly params: Required<SeismicParams>;
  docnos(): Uint32Array;
  row(r: number): { indices: Uint32Array; values: Float32Array };
  search(queries: CsrBatch, options: object): Promise<SearchResult>;
  searchExact(queries: CsrBatch, options: object): Promise<SearchResult>;
  save(path: string): Promise<void>;
  close(): void;
}

function checkParams(params: SeismicParams): void {
  if (typeof params !== 'object' || params === null) throw new TypeError('params must be an object');
  const p = params as unknown as Record<string, unknown>;
  for (const key of ['postingFraction', 'maxFraction', 'centroidFraction', 'summaryEnergy', 'docCut', 'nKnn', 'seed'] as const)
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
  close(): void {
    this.seg.close();
  }
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
  get indexBytes(): number {
    return this.native().indexBytes;
  }
  get forwardBytes(): number {
    return this.native().forwardBytes;
  }
  search(queries: CsrBatch, options: SeismicSearchOptions): Promise<SearchResult> {
    return awaitNative(() => this.native().search(queries, options));
  }
  searchExact(queries: CsrBatch, options: SearchOptions): Promise<SearchResult> {
    return awaitNative(() => this.native().searchExact(queries, options));
  }
  save(file: string): Promise<void> {
    if (typeof file !== 'string' || file === '') throw new TypeError('path must be a non-empty string');
    return awaitNative(() => this.native().save(file));
  }
  /** Running searches keep the native segment alive until they finish. */
  close(): void {
    this.handle?.close();
    this.handle = null;
  }
}

/**
 * Builds a Seismic segment over `rows` (term ids strictly increasing per row, weights finite and
 * >= 0) with `docnos[r]` the collection docno of row r. Runs on `threads` low-priority native
 * threads (default 1); searches keep running meanwhile. The rows are copied.
 */
export async function buildSeismic(
  rows: CsrBatch,
  docnos: Uint32Array,
  params: SeismicParams,
  options: { threads?: number } = {},
): Promise<SeismicIndex> {
  checkParams(params);
  if (!(docnos instanceof Uint32Array)) throw new TypeError('docnos must be a Uint32Array');
  const threads = options.threads ?? 1;
  if (!Number.isInteger(threads) || threads < 1 || threads > 256) throw new TypeError('options.threads must be an integer in [1, 256]');
  const handle = await awaitNative<NativeSeismic>(() => addon.buildSeismic(rows, docnos, params, threads));
  return new SeismicSegment(handle);
}

/** Maps a segment file; INDEX_FILE_CORRUPT when it is damaged, foreign or of another version. */
export function loadSeismic(file: string): SeismicIndex {
  if (typeof file !== 'string' || file === '') throw new TypeError('path must be a non-empty string');
  return new SeismicSegment(callNative<NativeSeismic>(() => addon.loadSeismic(file)));
}

// ---- Dense vectors (issue 8: hybrid; owned by the hybrid work) --------------------------------

interface NativeDense {
  readonly dims: number;
  readonly metric: 'dot' | 'cosine';
  readonly rows: number;
  readonly bytes: number;
  add(docnos: Uint32Array, vectors: Float32Array): void;
  search(queries: Float32Array, options: object): Promise<SearchResult>;
  score(query: Float32Array, docnos: Uint32Array): Float32Array;
  get(docno: number): Float32Array | undefined;
  has(docno: number): boolean;
  docnos(): Uint32Array;
  close(): void;
}

class NativeDenseIndex implements DenseIndex {
  private handle: NativeDense | null;
  readonly dims: number;
  readonly metric: 'dot' | 'cosine';

  constructor(dims: number, metric: 'dot' | 'cosine') {
    this.handle = callNative<NativeDense>(() => new addon.DenseIndex(dims, metric));
    this.dims = dims;
    this.metric = metric;
  }
  private native(): NativeDense {
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
  search(queries: Float32Array, options: SearchOptions): Promise<SearchResult> {
    return awaitNative(() => this.native().search(queries, options));
  }
  score(query: Float32Array, docnos: Uint32Array): Float32Array {
    return callNative(() => this.native().score(query, docnos));
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

/** An empty exact dense index of `dims` float32 dimensions; "cosine" stores normalised vectors. */
export function createDenseIndex(dims: number, metric: 'dot' | 'cosine'): DenseIndex {
  if (!Number.isInteger(dims) || dims < 1 || dims > 65536) throw new TypeError('dims must be an integer in [1, 65536]');
  if (metric !== 'dot' && metric !== 'cosine') throw new TypeError('metric must be "dot" or "cosine"');
  return new NativeDenseIndex(dims, metric);
}
