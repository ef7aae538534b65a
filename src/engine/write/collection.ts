/**
 * One collection: the write path (group commit → memory), the segment lifecycle (seal, merge,
 * back-pressure), backup and close. Search lives in search.ts, startup in open-collection.ts.
 *
 * Invariants:
 * - Memory changes only in GroupCommitter apply callbacks, i.e. right after the SQLite commit and
 *   before the writer is answered: acknowledged = durable = visible.
 * - Seals run one at a time in freezing order (the seal lane). sealed_seq only advances past a
 *   frozen segment's rows once every older frozen segment is sealed, so rows with seq <= sealed_seq
 *   are all in sealed segments (startup also skips rows a sealed segment already holds).
 * - Merges run one at a time in their own lane, so a seal never waits behind a merge. Both build on
 *   worker threads (build-runner.ts) and load the result off the event loop; what stays on it is
 *   the manifest commit and swapping the segment list, both synchronous (atomic for searches).
 * - The manifest (segments table) changes only inside a lane's job; a backup holds both lanes, so
 *   it sees a stable one.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import type { DocNo } from '../../core/types.js';
import type { SparseEncoder } from '../../encoder/types.js';
import { bundledTokenizer } from '../../encoder/tokenizer-files.js';
import type { BertTokenizer } from '../../encoder/tokenizer.js';
import { AppError } from '../../errors.js';
import type { CollectionStore } from '../../store/collection-store.js';
import { copyDurable } from '../../store/files.js';
import { GroupCommitter } from '../../store/group-commit.js';
import { storageError } from '../../store/storage-errors.js';
import { LiveCorpusStats } from '../scoring/corpus-stats.js';
import { crashPoint, failPoint } from './crash-points.js';
import type { DenseField } from '../segments/dense-field.js';
import type { DenseEncoder } from '../../encoder/dense.js';
import { prepareDocuments, type PreparedDocument } from './document-input.js';
import { DenseFilterCache } from '../segments/dense-filter.js';
import { FilterIndex } from '../segments/filter-index.js';
import { findMerges, planOptimize, type MergePolicyParams } from '../segments/merge-policy.js';
import { MutableSegment } from './mutable-segment.js';
import { SealedSegment, summariesFit } from '../segments/sealed-segment.js';
import type { BuildJob } from '../segments/build-job.js';
import { runBuild, type BuildLane } from '../segments/build-runner.js';
import { calibrationSourceOf, type CalibrationSource } from '../scoring/calibration-queries.js';
import { loadSeismicAsync } from '../../index/native.js';
import type { SeismicIndex } from '../../index/native-types.js';
import { RecentQueries } from '../../store/recent-queries.js';
import { RecallMonitor } from '../search/recall-monitor.js';
import { encodeText, searchBatch, searchCollection } from '../search/search.js';
import type { CalibratedSettingStats, Collection, CollectionConfig, CollectionHealth, CollectionStats, DocumentInput, EncodedTerm, SearchRequest, SearchResponse, SegmentCalibrationStats, StoredDocument } from '../types.js';
import type { CalibratedSetting, Calibration } from '../scoring/calibrate.js';
import { TombstoneGate } from '../search/tombstone-gate.js';

const BACKPRESSURE_RETRY_SECONDS = 1;

interface Removed {
  docno: DocNo;
  tf: boolean;
  indices: Uint32Array;
  length: number;
}

export class EngineCollection implements Collection {
  active = new MutableSegment();
  frozen: MutableSegment[] = [];
  sealed: SealedSegment[] = [];
  readonly corpus = new LiveCorpusStats();
  /** the dense field, when the config declares one (set by openCollection) */
  dense?: DenseField;
  /** embeds texts for the dense field, when the config names a dense model (set by openCollection) */
  denseEncoder?: DenseEncoder;
  readonly filters: FilterIndex;
  /** the dense side's allowed-docno sets per filter (dense-filter.ts) */
  readonly denseFilters: DenseFilterCache;
  readonly segmentsDir: string;
  private readonly committer: GroupCommitter;
  /** the tail of each lane's job queue */
  private readonly lanes: Record<BuildLane, Promise<void>> = { seal: Promise.resolve(), merge: Promise.resolve() };
  private readonly sealing = new Set<MutableSegment>();
  /** ids of sealed segments a queued or running merge takes (planning leaves them out) */
  private readonly merging = new Set<string>();
  /** per running seal or merge: docnos deleted since it read its rows (its new segment must hide them) */
  private readonly removedDuringJobs = new Set<DocNo[]>();
  private closing = false;
  /** the last background build failure (the data stays in the mutable segment and SQLite) */
  lastJobError?: unknown;
  /** called after each seal or merge (metrics, benchmarks); ms is wall time of the whole job */
  onJob?: (job: { kind: 'seal' | 'merge'; docs: number; ms: number }) => void;
  private closed = false;
  /** tombstones of rows a seal or merge dropped go once the searches that started before it end */
  readonly tombstoneGate = new TombstoneGate((docnos) => {
    if (!this.closed) this.store.purgeTombstones(docnos);
  });
  /** ok, or why this collection is read-only or degraded (stats, /ready) */
  health: CollectionHealth = { status: 'ok' };
  /** set when applying a committed write failed: memory is no longer trusted, every call answers 503 */
  private broken?: string;
  /** set when a model it needs could not be loaded at start (MODEL_LOAD_FAILED): text encoding answers 503 */
  modelUnavailable?: AppError;
  /** the manager's hook: rebuilds this collection read-only from SQLite after an apply failure */
  onBroken?: (error: unknown) => void;
  /** re-runs a sample of default searches exactly: the recall users get (options set by the manager) */
  readonly monitor = new RecallMonitor();
  /** the recent-query sample new segments calibrate on (undefined: index.recentQueries is off) */
  readonly recent?: RecentQueries;

  constructor(
    readonly name: string,
    readonly dir: string,
    readonly config: CollectionConfig,
    readonly store: CollectionStore,
    readonly encoder: SparseEncoder | undefined,
    readonly buildThreads: number,
  ) {
    this.filters = new FilterIndex(config.filterable);
    this.denseFilters = new DenseFilterCache(this.filters);
    this.segmentsDir = path.join(dir, 'segments');
    this.committer = new GroupCommitter(store);
    const recent = new RecentQueries(store.db);
    if (config.index.recentQueries) this.recent = recent;
    else recent.clear(); // opting out forgets what was kept
    this.committer.onWritten = (i) => {
      if (i === 0) crashPoint('mid-batch');
    };
    this.committer.onApplyFailed = (error) => {
      this.broken = error instanceof Error ? error.message : String(error);
      console.error(`sparrow: collection ${name}: applying a committed write failed; rebuilding it read-only from collection.db:`, error);
      this.onBroken?.(error);
    };
  }

  /** A SPLADE collection without a model takes vectors over the bundled bert-base-uncased vocabulary
   * (the vocabulary of the SPLADE models), so `{tokens}` resolves through it. */
  private get vocabulary(): BertTokenizer | undefined {
    const { encoder } = this.config;
    return this.encoder === undefined && encoder.kind === 'splade' && encoder.model === undefined ? bundledTokenizer() : undefined;
  }

  tokenToId = (token: string): number | undefined => {
    const viaEncoder = (this.encoder as { idOf?: (t: string) => number | undefined } | undefined)?.idOf?.(token);
    return viaEncoder ?? this.vocabulary?.idOf(token) ?? this.store.idOfToken(token);
  };

  tokenOf(id: number): string {
    return this.encoder?.tokenOf(id) ?? this.vocabulary?.tokenOf(id) ?? this.store.tokenOf(id) ?? String(id);
  }

  get unsealedDocs(): number {
    return this.active.size + this.frozen.reduce((n, m) => n + m.size, 0);
  }

  async upsert(docs: DocumentInput[]): Promise<{ inserted: number; updated: number }> {
    this.checkWritable();
    const max = this.config.index.maxUnsealedDocs;
    if (Array.isArray(docs) && docs.length > max) {
      throw new AppError('BATCH_TOO_LARGE', `a batch of ${docs.length} documents can never fit: this collection holds at most ${max} unsealed documents (index.maxUnsealedDocs); send smaller batches`, { extra: { limit: max } });
    }
    if (Array.isArray(docs) && docs.some((d) => d && typeof d === 'object' && (d.sparse === undefined || (this.config.dense?.model && d.dense === undefined)) && (d.title || d.text))) {
      this.checkModel();
    }
    const prepared = await prepareDocuments(docs, { config: this.config, encoder: this.encoder, denseEncoder: this.denseEncoder, filters: this.filters, tokenToId: this.tokenToId });
    this.checkWritable();
    if (this.unsealedDocs + prepared.length > this.config.index.maxUnsealedDocs) {
      throw new AppError('BACKPRESSURE', `${this.unsealedDocs} documents are waiting to be sealed; retry shortly`, { retryAfter: BACKPRESSURE_RETRY_SECONDS });
    }
    const applied = await this.committer.submit({
      write: () => prepared.map((p) => this.writeDocument(p)),
      apply: (results) => results.forEach((r, i) => this.applyDocument(prepared[i], r.docno, r.seq, r.removed)),
    });
    this.sealIfFull();
    this.resummariseDrifted();
    const updated = applied.filter((r) => r.removed).length;
    return { inserted: applied.length - updated, updated };
  }

  private writeDocument(p: PreparedDocument): { docno: DocNo; seq: number; removed?: Removed } {
    const seq = this.store.nextSeq();
    const old = this.store.getById(p.id);
    if (old) this.store.deleteDocument(p.id, seq);
    const docno = this.store.insertDocument({
      id: p.id,
      title: p.title,
      text: p.text,
      metadata: p.metadata === undefined ? null : JSON.stringify(p.metadata),
      vector: p.vector,
      tf: p.tf,
      length: p.length,
      encoderVersion: p.encoderVersion,
      dense: p.dense,
      seq,
    });
    this.store.appendOp(seq, 'upsert', p.id, docno);
    if (p.tokens) this.store.recordTerms(p.vector.indices, p.tokens);
    const removed = old && { docno: old.docno, tf: old.tf, indices: old.vector.indices, length: old.length };
    return { docno, seq, removed };
  }

  private applyDocument(p: PreparedDocument, docno: DocNo, seq: number, removed?: Removed): void {
    if (removed) this.applyRemoval(removed);
    this.active.add({ docno, vector: p.vector, tf: p.tf, length: p.length, seq });
    failPoint('apply');
    if (p.dense && this.dense) this.dense.add(Uint32Array.of(docno), p.dense);
    this.filters.add(docno, p.metadata);
    if (p.tf) this.corpus.add(p.vector.indices, p.length);
  }

  private applyRemoval(r: Removed): void {
    for (const removed of this.removedDuringJobs) removed.push(r.docno);
    this.dense?.remove(r.docno);
    if (!this.active.delete(r.docno) && !this.frozen.some((m) => m.delete(r.docno))) {
      const seg = this.sealed.find((s) => s.contains(r.docno));
      if (seg) {
        seg.deletedRows.set(seg.rowOf(r.docno));
        // Crossing the reclaim share: rewrite it without waiting for the next seal.
        if (seg.deleted === Math.floor(seg.row.docs * this.config.index.reclaimDeletedFraction) + 1 && !this.closing) this.scheduleMerges([[seg.id]]);
      }
    }
    if (r.tf) this.corpus.remove(r.indices, r.length);
  }

  get(id: string): StoredDocument | undefined {
    this.checkOpen();
    const row = this.store.getById(id);
    if (!row) return undefined;
    return {
      id: row.id,
      title: row.title ?? undefined,
      text: row.text ?? undefined,
      metadata: row.metadata === null ? undefined : (JSON.parse(row.metadata) as Record<string, unknown>),
      sparse: row.vector,
      dense: row.dense ?? undefined,
      encoderVersion: row.encoderVersion,
      seq: row.seq,
    };
  }

  async delete(id: string): Promise<boolean> {
    this.checkWritable();
    if (typeof id !== 'string' || id.length === 0) throw new AppError('VALIDATION_ERROR', 'id must be a non-empty string');
    return this.committer.submit({
      write: () => {
        const old = this.store.getById(id);
        if (!old) return undefined;
        const seq = this.store.nextSeq();
        this.store.deleteDocument(id, seq);
        this.store.appendOp(seq, 'delete', id, old.docno);
        return { docno: old.docno, tf: old.tf, indices: old.vector.indices, length: old.length };
      },
      apply: (removed) => {
        if (removed) this.applyRemoval(removed);
      },
    }).then((removed) => {
      this.resummariseDrifted();
      return removed !== undefined;
    });
  }

  /**
   * Scores always use the live average length; a blocked segment's summaries and calibration were
   * built for the one of its build. When the live average leaves that segment's range
   * (summariesFit), the segment is rebuilt from its live rows for the live average (a one-segment
   * merge in the merge lane: summaries and calibration anew). Checked after every write and at
   * open (a rebuild scheduled before a crash is not remembered).
   */
  resummariseDrifted(): void {
    const live = this.corpus.avgDocLength;
    if (this.closing || !(live > 0)) return;
    this.scheduleMerges(this.sealed.filter((seg) => !summariesFit(seg, live)).map((seg) => [seg.id]));
  }

  search(request: SearchRequest): Promise<SearchResponse> {
    this.checkOpen();
    if (request.query !== undefined) this.checkModel();
    return searchCollection(this, request);
  }

  searchMany(requests: SearchRequest[]): Promise<Array<SearchResponse | Error>> {
    this.checkOpen();
    return searchBatch(this, requests);
  }

  encode(text: string, side: 'document' | 'query'): Promise<EncodedTerm[]> {
    this.checkOpen();
    this.checkModel();
    return encodeText(this, text, side);
  }

  /** A degraded collection (model missing at start) cannot encode text: 503 naming the missing file. */
  private checkModel(): void {
    const missing = this.modelUnavailable;
    if (!missing) return;
    throw new AppError('MODEL_UNAVAILABLE', `collection ${this.name} cannot encode text: ${missing.message}; searches and documents with vectors still work`, {
      extra: { file: missing.extra?.file },
      retryAfter: 60,
    });
  }

  /** Seals the mutable segment once it holds mutableMaxDocs documents (in the background). */
  sealIfFull(): void {
    if (this.active.size >= this.config.index.mutableMaxDocs) this.sealActive().catch(() => undefined); // recorded in lastJobError
  }

  /** Freezes the active segment and queues a seal for every frozen segment not yet queued. */
  private sealActive(): Promise<void> {
    if (this.active.size > 0) {
      this.active.freeze();
      this.frozen.push(this.active);
      this.active = new MutableSegment();
    }
    const queued = this.frozen.filter((m) => !this.sealing.has(m)).map((seg) => {
      this.sealing.add(seg);
      return this.enqueue('seal', () => this.sealFrozen(seg)).finally(() => this.sealing.delete(seg));
    });
    return Promise.all(queued).then(() => undefined);
  }

  /** Runs a lane's jobs one at a time; a failure is recorded and does not stop later jobs. */
  private enqueue<T>(lane: BuildLane, job: () => Promise<T>): Promise<T> {
    const run = this.lanes[lane].then(job);
    this.lanes[lane] = run.then(
      () => undefined,
      (error: unknown) => {
        this.lastJobError = error;
        if (!this.closed) console.error(`sparrow: background job failed in collection ${this.name}:`, error);
      },
    );
    return run;
  }

  /** Runs a job once both lanes are idle, holding both until it ends (no manifest change meanwhile). */
  private exclusive<T>(job: () => Promise<T>): Promise<T> {
    let sealHeld!: () => void;
    const sealIdle = new Promise<void>((resolve) => (sealHeld = resolve));
    let release!: () => void;
    const done = new Promise<void>((resolve) => (release = resolve));
    void this.enqueue('seal', () => {
      sealHeld();
      return done;
    });
    return this.enqueue('merge', async () => {
      await sealIdle;
      return job();
    }).finally(release);
  }

  private async sealFrozen(seg: MutableSegment): Promise<void> {
    const started = performance.now();
    const removed = this.watchRemovals();
    let docs = 0;
    try {
      const sealedSeq = this.frozen[0] === seg ? seg.lastSeq : undefined;
      const sealed = await this.publish('seal', Uint32Array.from(seg.rows, (r) => r.docno), [], removed, sealedSeq);
      if (sealed) this.sealed.push(sealed);
      docs = sealed?.docnos.length ?? 0;
    } finally {
      this.removedDuringJobs.delete(removed);
    }
    this.frozen = this.frozen.filter((m) => m !== seg);
    await this.dense?.maybeSnapshot(this.store.lastSeq);
    this.onJob?.({ kind: 'seal', docs, ms: performance.now() - started });
    if (!this.closing) this.scheduleMerges(findMerges(this.sealed.filter((s) => !this.merging.has(s.id)).map(segmentInfo), this.policy()));
  }

  /** A list that collects the docnos deleted from now until it is dropped from removedDuringJobs. */
  private watchRemovals(): DocNo[] {
    const removed: DocNo[] = [];
    this.removedDuringJobs.add(removed);
    return removed;
  }

  /**
   * Build (on the lane's worker, from the rows of `docnos` in collection.db) → load off the event
   * loop → manifest commit → a live SealedSegment with the rows deleted during the job marked;
   * undefined when none of the rows exists any more (the manifest still commits `remove`).
   */
  private async publish(lane: BuildLane, docnos: Uint32Array | Uint32Array[], remove: string[], removedMeanwhile: DocNo[], sealedSeq?: number): Promise<SealedSegment | undefined> {
    const job: BuildJob = {
      dbPath: this.store.db.name,
      docnos: Array.isArray(docnos) ? docnos : [docnos],
      segmentsDir: this.segmentsDir,
      params: this.config.index.seismic,
      threads: this.buildThreads,
      crashAt: lane === 'seal' ? 'seal-build' : 'merge-build',
      calibration: this.calibrationSource(),
      // summaries and calibration for the live average length (scores use the live one at query time)
      avgdl: this.corpus.avgDocLength > 0 ? this.corpus.avgDocLength : undefined,
    };
    const { built, purge } = await runBuild(lane, job);
    if (!built) {
      this.store.commitManifest({ add: [], remove, sealedSeq, purgeTombstones: [] });
      this.tombstoneGate.defer(purge);
      return undefined;
    }
    crashPoint('segment-written');
    let index: SeismicIndex | undefined;
    try {
      index = await loadSeismicAsync(built.path);
      this.store.commitManifest({ add: [built.row], remove, sealedSeq, purgeTombstones: [] });
    } catch (error) {
      await index?.close();
      await fs.rm(built.path, { force: true });
      throw error;
    }
    const seg = new SealedSegment(built.row, built.path, index, built.docnos);
    seg.deleteDocnos(removedMeanwhile);
    this.tombstoneGate.defer(purge); // once the searches that may still return those docnos have ended
    return seg;
  }

  private calibrationSource(): CalibrationSource {
    const inferenceFree = (this.encoder as { queryMode?: string } | undefined)?.queryMode === 'inference-free';
    return calibrationSourceOf(this.config, this.store, inferenceFree, this.recent);
  }

  private policy(): MergePolicyParams {
    const { mergeFactor, maxSegmentDocs, reclaimDeletedFraction, mutableMaxDocs } = this.config.index;
    return { mergeFactor, maxSegmentDocs, reclaimDeletedFraction, baseDocs: mutableMaxDocs };
  }

  private scheduleMerges(groups: string[][]): void {
    for (const ids of groups) {
      if (ids.some((id) => this.merging.has(id))) continue; // already taken by a queued merge
      ids.forEach((id) => this.merging.add(id));
      this.enqueue('merge', () => this.merge(ids))
        .finally(() => ids.forEach((id) => this.merging.delete(id)))
        .catch(() => undefined); // recorded in lastJobError
    }
  }

  private async merge(ids: string[]): Promise<void> {
    const inputs = this.sealed.filter((s) => ids.includes(s.id));
    if (inputs.length !== ids.length || this.closing) return; // the plan is stale
    const started = performance.now();
    const removed = this.watchRemovals();
    let merged: SealedSegment | undefined;
    try {
      merged = await this.publish('merge', inputs.map((s) => s.docnos), ids, removed);
    } finally {
      this.removedDuringJobs.delete(removed);
    }
    this.sealed = this.sealed.filter((s) => !inputs.includes(s));
    if (merged) this.sealed.push(merged);
    const unlinked = inputs.map((s) => s.retire());
    await Promise.all(unlinked); // the files no search holds are gone when the merge ends
    this.onJob?.({ kind: 'merge', docs: merged?.docnos.length ?? 0, ms: performance.now() - started });
  }

  /** Seals the mutable segment and waits for every seal, then every merge, queued so far; rejects if a seal failed. */
  async flush(): Promise<void> {
    this.checkWritable();
    const sealing = this.sealActive();
    const waitFor = [...this.frozen];
    await sealing.catch(() => undefined);
    await this.enqueue('seal', async () => undefined); // FIFO: every earlier seal is done
    await this.enqueue('merge', async () => undefined); // and every merge queued so far (those the seals planned included)
    if (waitFor.some((m) => this.frozen.includes(m))) {
      const disk = storageError(this.lastJobError, this.segmentsDir);
      if (disk instanceof AppError && disk.code !== 'IO_ERROR') throw disk; // DISK_FULL / DISK_READ_ONLY
      throw new AppError('INTERNAL', `collection ${this.name}: sealing failed`, { cause: this.lastJobError });
    }
  }

  async optimize(): Promise<void> {
    await this.flush();
    await this.enqueue('merge', () => this.scheduleMergesNow(planOptimize(this.sealed.map(segmentInfo), this.policy())));
  }

  /** Inside a job: run merges inline (enqueueing from a job would wait for itself). */
  private async scheduleMergesNow(groups: string[][]): Promise<void> {
    for (const ids of groups) await this.merge(ids);
  }

  async backup(targetDir: string): Promise<void> {
    this.checkOpen();
    // Holding both lanes: no manifest commit can happen between copying the files and the database,
    // and two backups to the same target run one after the other (the second finds it not empty).
    await this.exclusive(async () => {
      await fs.mkdir(targetDir, { recursive: true });
      if ((await fs.readdir(targetDir)).length > 0) throw new AppError('VALIDATION_ERROR', `backup target ${targetDir} is not empty`);
      const segDir = path.join(targetDir, 'segments');
      await fs.mkdir(segDir);
      for (const s of this.sealed) await copyDurable(s.path, path.join(segDir, s.id));
      crashPoint('backup');
      const tmp = path.join(targetDir, 'collection.db.tmp');
      await this.store.backup(tmp);
      await fs.rename(tmp, path.join(targetDir, 'collection.db'));
    });
  }

  stats(): CollectionStats {
    this.checkOpen();
    const segments = [
      ...this.sealed.map((s) => ({ id: s.id, documents: s.row.docs - s.deleted, deleted: s.deleted, bytes: s.row.bytes, sealed: true, ...calibrationStats(s.calibration) })),
      ...[...this.frozen, this.active].map((m, i) => ({ id: `mutable-${i}`, documents: m.liveCount, deleted: 0, bytes: 0, sealed: false })),
    ];
    const quarantined = this.store.countQuarantined();
    return {
      name: this.name,
      status: this.health.status,
      ...(this.health.reason === undefined ? {} : { reason: this.health.reason }),
      ...(quarantined === 0
        ? {}
        : { quarantine: { count: quarantined, rows: this.store.quarantined(100).map((q) => ({ ...q, at: new Date(q.at).toISOString() })) } }),
      documents: this.store.countDocuments(),
      deleted: this.sealed.reduce((n, s) => n + s.deleted, 0),
      segments,
      bytes: segments.reduce((n, s) => n + s.bytes, 0),
      recall: this.monitor.figure(),
      config: this.config,
    };
  }

  async close(): Promise<void> {
    if (this.closed || this.closing) return;
    this.closing = true;
    await this.committer.close();
    await Promise.all([this.lanes.seal, this.lanes.merge]);
    this.closed = true;
    await Promise.all(this.sealed.map((s) => s.close())); // unmapped once close resolves
    this.sealed = [];
    await this.dense?.close(this.broken === undefined ? this.store.lastSeq : undefined); // no snapshot of untrusted memory
    this.recent?.flush();
    this.store.close();
  }

  private checkOpen(): void {
    if (this.broken !== undefined) {
      throw new AppError('COLLECTION_READ_ONLY', `collection ${this.name} is being rebuilt from collection.db after a failure (${this.broken})`, { retryAfter: 1 });
    }
    if (this.closed) throw new AppError('SHUTTING_DOWN', `collection ${this.name} is closed`);
  }

  private checkWritable(): void {
    this.checkOpen();
    if (this.health.status === 'read-only') {
      throw new AppError('COLLECTION_READ_ONLY', `collection ${this.name} is read-only until the server restarts: ${this.health.reason}`, { retryAfter: 60 });
    }
  }
}

function segmentInfo(s: SealedSegment): { id: string; docs: number; deleted: number } {
  return { id: s.id, docs: s.row.docs, deleted: s.deleted };
}

function calibrationStats(c: Calibration | undefined): { calibration?: SegmentCalibrationStats } {
  if (!c) return {};
  const setting = (x: CalibratedSetting): CalibratedSettingStats => ({ queryCut: x.queryCut, heapFactor: x.heapFactor, ...(x.exact ? { exact: true } : {}), recall: x.recall, lowerBound: x.lowerBound });
  const buildSeconds = c.buildMs === undefined ? {} : { buildSeconds: c.buildMs / 1000 };
  return { calibration: { source: c.source, queries: c.queries, seconds: c.ms / 1000, ...buildSeconds, k10: setting(c.k10), k100: setting(c.k100), ...(c.filtered ? { filtered: setting(c.filtered) } : {}) } };
}
