/**
 * One collection: the write path (group commit → memory), the segment lifecycle (seal, merge,
 * back-pressure), backup and close. Search lives in search.ts, startup in open-collection.ts.
 *
 * Invariants:
 * - Memory changes only in GroupCommitter apply callbacks, i.e. right after the SQLite commit and
 *   before the writer is answered: acknowledged = durable = visible.
 * - Seals run one at a time in freezing order (the `jobs` queue). sealed_seq only advances past a
 *   frozen segment's rows once every older frozen segment is sealed, so rows with seq <= sealed_seq
 *   are all in sealed segments (startup also skips rows a sealed segment already holds).
 * - The manifest (segments table) changes only inside `jobs`, so a backup in `jobs` sees a stable one.
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
import { FilterIndex } from '../segments/filter-index.js';
import { findMerges, planOptimize, type MergePolicyParams } from '../segments/merge-policy.js';
import { MutableSegment } from './mutable-segment.js';
import { SealedSegment } from '../segments/sealed-segment.js';
import { vectorRowsOf } from '../segments/rebuild.js';
import { buildSegment, type BuildRow, type SegmentCalibrationPlan } from '../segments/segment-build.js';
import { calibrationPlanOf } from '../scoring/calibration-queries.js';
import { RecentQueries } from '../../store/recent-queries.js';
import { RecallMonitor } from '../search/recall-monitor.js';
import { encodeText, searchBatch, searchCollection } from '../search/search.js';
import type { CalibratedSettingStats, Collection, CollectionConfig, CollectionHealth, CollectionStats, DocumentInput, EncodedTerm, SearchRequest, SearchResponse, SegmentCalibrationStats, StoredDocument } from '../types.js';
import type { CalibratedSetting, Calibration } from '../scoring/calibrate.js';

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
  readonly segmentsDir: string;
  private readonly committer: GroupCommitter;
  private jobs: Promise<void> = Promise.resolve();
  private readonly sealing = new Set<MutableSegment>();
  /** per running seal or merge: docnos deleted since it read its rows (its new segment must hide them) */
  private readonly removedDuringJobs = new Set<DocNo[]>();
  private closing = false;
  /** the last background build failure (the data stays in the mutable segment and SQLite) */
  lastJobError?: unknown;
  /** called after each seal or merge (metrics, benchmarks); ms is wall time of the whole job */
  onJob?: (job: { kind: 'seal' | 'merge'; docs: number; ms: number }) => void;
  private closed = false;
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
    }).then((removed) => removed !== undefined);
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
      return this.enqueue(() => this.sealFrozen(seg)).finally(() => this.sealing.delete(seg));
    });
    return Promise.all(queued).then(() => undefined);
  }

  /** Runs background jobs one at a time; a failure is recorded and does not stop later jobs. */
  private enqueue(job: () => Promise<void>): Promise<void> {
    const run = this.jobs.then(job);
    this.jobs = run.catch((error: unknown) => {
      this.lastJobError = error;
      if (!this.closed) console.error(`sparrow: background job failed in collection ${this.name}:`, error);
    });
    return run;
  }

  private async sealFrozen(seg: MutableSegment): Promise<void> {
    const started = performance.now();
    const removed = this.watchRemovals();
    const rows = seg.liveRows();
    try {
      const excluded = seg.rows.filter((r) => seg.isDeleted(r.docno)).map((r) => r.docno);
      const sealedSeq = this.frozen[0] === seg ? seg.lastSeq : undefined;
      if (rows.length === 0) {
        this.store.commitManifest({ add: [], remove: [], sealedSeq, purgeTombstones: excluded });
      } else {
        const sealed = await this.publish(rows, 'seal-build', [], excluded, removed, sealedSeq);
        this.sealed.push(sealed);
      }
    } finally {
      this.removedDuringJobs.delete(removed);
    }
    this.frozen = this.frozen.filter((m) => m !== seg);
    await this.dense?.maybeSnapshot(this.store.lastSeq);
    this.onJob?.({ kind: 'seal', docs: rows.length, ms: performance.now() - started });
    if (!this.closing) this.scheduleMerges(findMerges(this.sealed.map(segmentInfo), this.policy()));
  }

  /** A list that collects the docnos deleted from now until it is dropped from removedDuringJobs. */
  private watchRemovals(): DocNo[] {
    const removed: DocNo[] = [];
    this.removedDuringJobs.add(removed);
    return removed;
  }

  /** Build → publish → manifest commit → a live SealedSegment (rows deleted during the job marked). */
  private async publish(
    rows: BuildRow[],
    crashAt: 'seal-build' | 'merge-build',
    remove: string[],
    purge: DocNo[],
    removedMeanwhile: DocNo[],
    sealedSeq?: number,
  ): Promise<SealedSegment> {
    const built = await buildSegment(rows, this.segmentsDir, this.config.index.seismic, this.buildThreads, crashAt, undefined, this.calibrationPlan());
    crashPoint('segment-written');
    try {
      this.store.commitManifest({ add: [built.row], remove, sealedSeq, purgeTombstones: purge });
    } catch (error) {
      built.index.close();
      await fs.rm(built.path, { force: true });
      throw error;
    }
    const seg = new SealedSegment(built.row, built.path, built.index, built.docnos);
    seg.deleteDocnos(removedMeanwhile);
    return seg;
  }

  private calibrationPlan(): SegmentCalibrationPlan {
    const inferenceFree = (this.encoder as { queryMode?: string } | undefined)?.queryMode === 'inference-free';
    return calibrationPlanOf(this.config, this.store, inferenceFree, this.recent);
  }

  private policy(): MergePolicyParams {
    const { mergeFactor, maxSegmentDocs, reclaimDeletedFraction, mutableMaxDocs } = this.config.index;
    return { mergeFactor, maxSegmentDocs, reclaimDeletedFraction, baseDocs: mutableMaxDocs };
  }

  private scheduleMerges(groups: string[][]): void {
    for (const ids of groups) this.enqueue(() => this.merge(ids)).catch(() => undefined); // recorded in lastJobError
  }

  private async merge(ids: string[]): Promise<void> {
    const inputs = this.sealed.filter((s) => ids.includes(s.id));
    if (inputs.length !== ids.length || this.closing) return; // the plan is stale
    const started = performance.now();
    const removed = this.watchRemovals();
    let rows: BuildRow[];
    let merged: SealedSegment | undefined;
    try {
      rows = await this.readLiveRows(inputs);
      const kept = new Set(rows.map((r) => r.docno));
      const purge = inputs.flatMap((s) => [...s.docnos].filter((d) => !kept.has(d)));
      if (rows.length > 0) merged = await this.publish(rows, 'merge-build', ids, purge, removed);
      else this.store.commitManifest({ add: [], remove: ids, purgeTombstones: purge });
    } finally {
      this.removedDuringJobs.delete(removed);
    }
    this.sealed = this.sealed.filter((s) => !inputs.includes(s));
    if (merged) this.sealed.push(merged);
    for (const s of inputs) s.retire();
    this.onJob?.({ kind: 'merge', docs: rows.length, ms: performance.now() - started });
  }

  /** The live rows of some segments, from SQLite (the source of truth), in docno order. */
  private async readLiveRows(inputs: SealedSegment[]): Promise<BuildRow[]> {
    const rows: BuildRow[] = [];
    for await (const chunk of vectorRowsOf(this.store, Uint32Array.from(inputs.flatMap((s) => [...s.docnos])).sort())) rows.push(...chunk);
    return rows;
  }

  /** Seals the mutable segment and waits for every seal queued so far; rejects if one failed. */
  async flush(): Promise<void> {
    this.checkWritable();
    const sealing = this.sealActive();
    const waitFor = [...this.frozen];
    await sealing.catch(() => undefined);
    await this.enqueue(async () => undefined); // FIFO: every earlier job is done
    if (waitFor.some((m) => this.frozen.includes(m))) {
      const disk = storageError(this.lastJobError, this.segmentsDir);
      if (disk instanceof AppError && disk.code !== 'IO_ERROR') throw disk; // DISK_FULL / DISK_READ_ONLY
      throw new AppError('INTERNAL', `collection ${this.name}: sealing failed`, { cause: this.lastJobError });
    }
  }

  async optimize(): Promise<void> {
    await this.flush();
    await this.enqueue(() => this.scheduleMergesNow(planOptimize(this.sealed.map(segmentInfo), this.policy())));
  }

  /** Inside a job: run merges inline (enqueueing from a job would wait for itself). */
  private async scheduleMergesNow(groups: string[][]): Promise<void> {
    for (const ids of groups) await this.merge(ids);
  }

  async backup(targetDir: string): Promise<void> {
    this.checkOpen();
    // In `jobs`: no manifest commit can happen between copying the files and the database, and two
    // backups to the same target run one after the other (the second finds it not empty).
    await this.enqueue(async () => {
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
    await this.jobs;
    this.closed = true;
    for (const s of this.sealed) s.close();
    this.sealed = [];
    await this.dense?.close(this.broken === undefined ? this.store.lastSeq : undefined); // no snapshot of untrusted memory
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
  return { calibration: { source: c.source, queries: c.queries, seconds: c.ms / 1000, ...buildSeconds, k10: setting(c.k10), k100: setting(c.k100) } };
}
