/**
 * The dense field of a collection: every live document's vector in the native exact index (the
 * reference, and what scores candidates exactly), plus a usearch HNSW index once the field holds
 * `annThreshold` vectors. Searches below the threshold, with `exact`, or when the approximate
 * answer comes up short after filtering, are exact scans.
 *
 * Deletes: `removed` marks deleted docnos; exact scans skip them natively, approximate candidates
 * are scored with it (and the filter) tested natively, and the HNSW index is told too. Docnos are never reused, so a removed docno stays
 * removed. The collection calls add/remove in the same tick as its own write apply, so a search
 * sees an update as exactly one version.
 *
 * Persistence: SQLite is the source of truth. open() refills the exact index from the rows it is
 * given; the HNSW snapshot in `dir` (src/index/ann.ts) is loaded and reconciled by docno: the
 * snapshot lists the docnos it holds, rows it lacks (newer than it) are inserted and docnos no
 * longer live are removed.
 */
import { DEFAULT_DENSE_INDEX, type DenseIndexConfig } from '../../config.js';
import type { DocNo, Hit } from '../../core/types.js';
import { AppError } from '../../errors.js';
import { AnnIndex } from '../../index/ann.js';
import type { DenseIndex, RowBitmap } from '../../index/native-types.js';
import { createDenseIndex, createRowBitmap } from '../../index/native.js';
import type { DenseConfig } from '../types.js';

export interface DenseRow {
  docno: DocNo;
  dense: Float32Array | null;
}

export interface DenseSearchOptions {
  k: number;
  /** only these docnos may be returned (bit d = docno d; a DenseFilterCache set) */
  allow?: RowBitmap;
  /** force the exact scan */
  exact?: boolean;
}

/** Which path answered (for explain, metrics and tests). */
export type DensePath = 'exact' | 'approximate';

const LOAD_BATCH = 4096;
const SNAPSHOT_MIN_CHANGES = 10_000;

export class DenseField {
  /** deleted docnos (bit d = docno d): chunked copy-on-write, so a delete after a search copies one chunk, not the set */
  readonly removed: RowBitmap = createRowBitmap(0);
  private ann?: AnnIndex;
  /** set once every live row has been sent to `ann`: only then may searches use it */
  private annReady = false;
  private annBuilding?: Promise<void>;
  /** where the HNSW index came from: its snapshot (reconciled) or a build from the rows */
  annSource?: 'snapshot' | 'build';
  /** the last failure of a background ANN operation (searches then stay exact) */
  annError?: unknown;
  private live = 0;
  private closed = false;
  /** adds and removes since the last snapshot (or since open) */
  private changes = 0;

  private constructor(
    readonly config: DenseConfig,
    readonly dir: string,
    readonly options: DenseIndexConfig,
    readonly exact: DenseIndex,
  ) {}

  static async open(config: DenseConfig, dir: string, rows: Iterable<DenseRow>, options: DenseIndexConfig = DEFAULT_DENSE_INDEX): Promise<DenseField> {
    const field = new DenseField(config, dir, options, createDenseIndex(config.dims, config.metric));
    let docnos: DocNo[] = [];
    let vectors: Float32Array[] = [];
    const flush = (): void => {
      field.addExact(Uint32Array.from(docnos), concat(vectors, config.dims));
      docnos = [];
      vectors = [];
    };
    for (const r of rows) {
      if (!r.dense) continue;
      docnos.push(r.docno);
      vectors.push(r.dense);
      if (docnos.length >= LOAD_BATCH) flush();
    }
    flush();
    if (field.live >= options.annThreshold) await field.openAnn();
    return field;
  }

  /** Live vectors in the field. */
  get size(): number {
    return this.live;
  }

  /** Whether searches currently use the approximate index. */
  get approximate(): boolean {
    return this.annReady;
  }

  /** Resolves once a background HNSW build (at open without a snapshot, or when adds cross annThreshold) is done. */
  async settled(): Promise<void> {
    await this.annBuilding;
  }

  /** Adds rows (row-major docnos.length × dims), validated first; INVALID_DENSE_VECTOR on bad input. */
  add(docnos: Uint32Array, vectors: Float32Array): void {
    this.checkOpen();
    this.addExact(docnos, vectors);
    this.changes += docnos.length;
    if (this.ann) this.background(this.ann.add(docnos, vectors));
    else if (this.live >= this.options.annThreshold && !this.annBuilding) this.annBuilding = this.buildAnn();
  }

  remove(docno: DocNo): void {
    this.checkOpen();
    if (!this.exact.has(docno) || this.isRemoved(docno)) return;
    if (docno >= this.removed.rows) this.removed.grow(docno + 1);
    this.removed.set(docno);
    this.live--;
    this.changes++;
    this.ann?.remove(Uint32Array.of(docno)).catch((e: unknown) => (this.annError = e));
  }

  isRemoved(docno: DocNo): boolean {
    return docno < this.removed.rows && this.removed.has(docno);
  }

  /** Validates a query vector: INVALID_DENSE_VECTOR for a wrong length, NaN/∞, or a zero vector under cosine. */
  queryVector(input: unknown, what = 'dense'): Float32Array {
    const dims = this.config.dims;
    if (!(Array.isArray(input) || input instanceof Float32Array) || input.length !== dims) {
      throw new AppError('INVALID_DENSE_VECTOR', `${what} must be an array of ${dims} numbers (the collection's dense.dims)`);
    }
    const q = Float32Array.from(input as ArrayLike<number>);
    for (let i = 0; i < q.length; i++) {
      if (typeof (input as ArrayLike<unknown>)[i] !== 'number' || !Number.isFinite(q[i])) throw new AppError('INVALID_DENSE_VECTOR', `${what}[${i}] is not a finite number`);
    }
    if (this.config.metric === 'cosine' && q.every((x) => x === 0)) throw new AppError('INVALID_DENSE_VECTOR', `${what} is a zero vector: it has no cosine`);
    return q;
  }

  /** Top-k live documents by the field's metric (score descending, docno ascending). */
  async search(query: Float32Array, options: DenseSearchOptions): Promise<{ hits: Hit[]; path: DensePath }> {
    this.checkOpen();
    const { k, allow } = options;
    if (this.annReady && this.ann && !options.exact) {
      const hits = await this.searchApproximate(query, k, allow);
      if (hits) return { hits, path: 'approximate' };
    }
    const res = await this.exact.search(query, { k, tombstones: this.removed, allow });
    const hits: Hit[] = [];
    for (let i = res.offsets[0]; i < res.offsets[1]; i++) hits.push({ docno: res.docnos[i], score: res.scores[i] });
    return { hits, path: 'exact' };
  }

  /** Exact scores of docnos (NaN where a docno has no live vector): the missing side of fusion. */
  score(query: Float32Array, docnos: ArrayLike<DocNo>): Float32Array {
    this.checkOpen();
    return this.exact.score(query, Uint32Array.from(docnos), { tombstones: this.removed });
  }

  /** Persists the HNSW index (when there is one) as holding rows up to `seq`, with its docnos. */
  async snapshot(seq: number): Promise<void> {
    if (!this.ann || !this.annReady) return;
    const changes = this.changes;
    // the live set is taken in the same tick as the save request is posted: they agree
    await this.ann.saveSnapshot(this.dir, seq, this.liveDocnos());
    this.changes -= changes;
  }

  /**
   * Snapshots when enough changed since the last one (a snapshot rewrites the whole HNSW file, so
   * not after every seal): at least SNAPSHOT_MIN_CHANGES and a tenth of the field.
   */
  async maybeSnapshot(seq: number): Promise<void> {
    // a failed snapshot only costs a longer replay at the next start: recorded, never thrown
    if (this.changes >= Math.max(SNAPSHOT_MIN_CHANGES, this.live / 10)) await this.snapshot(seq).catch((e: unknown) => (this.annError = e));
  }

  async close(seq?: number): Promise<void> {
    if (this.closed) return;
    await this.annBuilding?.catch(() => undefined);
    if (seq !== undefined) await this.snapshot(seq).catch((e: unknown) => (this.annError = e));
    this.closed = true;
    await this.ann?.close();
    this.exact.close();
  }

  private async searchApproximate(query: Float32Array, k: number, allow?: RowBitmap): Promise<Hit[] | undefined> {
    // Over-fetch so that filtered-out and just-deleted docnos still leave k; short → exact scan.
    const allowed = allow?.count ?? this.live;
    const selectivity = allow ? Math.max(allowed / Math.max(1, this.live), 1e-6) : 1;
    const fetch = Math.ceil((k * this.options.oversample) / selectivity);
    if (fetch > this.options.maxApproximateFetch) return undefined;
    const found = await this.ann!.search(query, fetch);
    // exact scores, NaN for deleted and filtered-out docnos (tested natively, in one call)
    const scores = this.exact.score(query, found.docnos, { tombstones: this.removed, allow });
    const hits: Hit[] = [];
    for (let i = 0; i < scores.length; i++) if (!Number.isNaN(scores[i])) hits.push({ docno: found.docnos[i], score: scores[i] });
    if (hits.length < Math.min(k, allowed)) return undefined;
    return hits.sort((a, b) => b.score - a.score || a.docno - b.docno).slice(0, k);
  }

  private addExact(docnos: Uint32Array, vectors: Float32Array): void {
    if (docnos.length === 0) return;
    try {
      this.exact.add(docnos, vectors);
    } catch (e) {
      throw new AppError('INVALID_DENSE_VECTOR', (e as Error).message, { cause: e });
    }
    this.live += docnos.length;
  }

  private liveDocnos(): Uint32Array {
    return this.exact.docnos().filter((d) => !this.isRemoved(d));
  }

  /** Loads the snapshot and reconciles it with the live rows, or starts building the index from scratch. */
  private async openAnn(): Promise<void> {
    const opened = await AnnIndex.openSnapshot(this.dir, { dims: this.config.dims, metric: this.config.metric, ...this.options.ann });
    if (!opened) {
      // no usable snapshot: build in the background (minutes at a million rows); exact until then
      this.annBuilding = this.buildAnn();
      return;
    }
    const held = opened.docnos;
    const live = this.liveDocnos();
    const liveSet = new Set(live);
    const heldSet = new Set(held);
    const ann = opened.index;
    const gone = held.filter((d) => !liveSet.has(d));
    const fresh = live.filter((d) => !heldSet.has(d));
    await ann.remove(gone);
    await this.sendRows(ann, fresh);
    this.ann = ann;
    this.annReady = true;
    this.annSource = 'snapshot';
    this.changes = gone.length + fresh.length; // the snapshot on disk still lacks these
  }

  /** Creates the HNSW index and sends it every live row, a batch per event-loop turn. */
  private async buildAnn(): Promise<void> {
    try {
      const ann = await AnnIndex.create({ dims: this.config.dims, metric: this.config.metric, ...this.options.ann });
      if (this.closed) return void (await ann.close());
      this.ann = ann; // from now on every add and remove also goes to it
      await this.sendRows(ann, this.liveDocnos());
      this.annReady = true;
      this.annSource = 'build';
    } catch (e) {
      this.annError = e;
    } finally {
      this.annBuilding = undefined;
    }
  }

  private async sendRows(ann: AnnIndex, docnos: Uint32Array): Promise<void> {
    const sent: Promise<void>[] = [];
    for (let at = 0; at < docnos.length; at += LOAD_BATCH) {
      // re-check removals at send time: a docno removed meanwhile was never sent, or is removed after
      const batch = docnos.subarray(at, at + LOAD_BATCH).filter((d) => !this.isRemoved(d));
      const vectors = concat([...batch].map((d) => this.exact.get(d)!), this.config.dims);
      sent.push(ann.add(batch, vectors));
      await new Promise((resolve) => setImmediate(resolve));
    }
    await Promise.all(sent);
  }

  private background(p: Promise<void>): void {
    p.catch((e: unknown) => (this.annError = e));
  }

  private checkOpen(): void {
    if (this.closed) throw new AppError('SHUTTING_DOWN', 'dense field is closed');
  }
}

function concat(rows: Float32Array[], dims: number): Float32Array {
  const out = new Float32Array(rows.length * dims);
  rows.forEach((r, i) => out.set(r, i * dims));
  return out;
}
