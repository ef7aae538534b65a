/**
 * Opening a collection directory: SQLite (migrations), the manifest, mmap of the sealed segments,
 * orphan files deleted, lost segment files rebuilt from SQLite in bounded segments (rebuild.ts),
 * unloadable rows quarantined, tombstones loaded, the mutable segment rebuilt from rows newer than the
 * last sealed sequence number, and the filter index and BM25 statistics rebuilt from SQLite.
 */
import { existsSync } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { DEFAULT_INDEX } from '../../config.js';
import type { SparseEncoder } from '../../encoder/types.js';
import { loadSeismic } from '../../index/native.js';
import { CollectionStore, type SegmentRow } from '../../store/collection-store.js';
import { removeOrphans } from '../../store/files.js';
import { EngineCollection } from './collection.js';
import { currentSeismicParams } from '../collection-config.js';
import { DenseField } from '../segments/dense-field.js';
import { calibrationPlanOf } from '../scoring/calibration-queries.js';
import { rebuildSegments, unheldDocnos } from '../segments/rebuild.js';
import { SealedSegment } from '../segments/sealed-segment.js';
import { AppError } from '../../errors.js';
import type { CollectionConfig, DenseConfig } from '../types.js';
import type { DenseEncoder } from '../../encoder/dense.js';
import { storedRowProblem } from './document-input.js';

export const DB_FILE = 'collection.db';
/** the dense field's HNSW snapshot (derived data, rebuilt from SQLite when absent) */
export const DENSE_DIR = 'dense';

export interface OpenOptions {
  /** given when creating: written to the new database */
  create?: CollectionConfig;
  encoderFor(config: CollectionConfig): Promise<SparseEncoder | undefined>;
  /** the dense model of a dense field with `model` (MODEL_LOAD_FAILED; INVALID_CONFIG on a width other than dims) */
  denseEncoderFor?(dense: DenseConfig): Promise<DenseEncoder>;
  buildThreads: number;
}

export async function openCollection(name: string, dir: string, opts: OpenOptions): Promise<EngineCollection> {
  const segDir = path.join(dir, 'segments');
  await fs.mkdir(segDir, { recursive: true });
  // NORMAL until the stored config says otherwise (set just below, before any write).
  const store = new CollectionStore(path.join(dir, DB_FILE), opts.create?.durability ?? 'process');
  const sealed: SealedSegment[] = [];
  try {
    if (opts.create) store.setMeta('config', JSON.stringify(opts.create));
    const raw = store.getMeta('config');
    if (raw === undefined) throw new Error(`${dir}/${DB_FILE} has no collection config`);
    const config = JSON.parse(raw) as CollectionConfig;
    // Options added after a collection was created take their defaults.
    config.index = { ...DEFAULT_INDEX, ...config.index };
    config.index.seismic = currentSeismicParams(config.index.seismic as unknown as Record<string, unknown>);
    store.setDurability(config.durability);

    const rows = store.segments();
    await removeOrphans(segDir, new Set(rows.map((r) => r.file)));
    // Derived data: a segment file that is missing, damaged or of an older format is rebuilt from collection.db below.
    const lost: SegmentRow[] = [];
    for (const row of rows) {
      const file = path.join(segDir, row.file);
      if (!existsSync(file)) {
        console.error(`sparrow: collection ${name}: segment ${row.file} is missing; rebuilding it from collection.db`);
        lost.push(row);
        continue;
      }
      try {
        const index = loadSeismic(file);
        sealed.push(new SealedSegment(row, file, index, index.forward.docnos));
      } catch (error) {
        if (!(error instanceof AppError && error.code === 'INDEX_FILE_CORRUPT')) throw error;
        console.error(`sparrow: collection ${name}: segment ${row.file} is damaged or outdated (${error.message}); rebuilding it from collection.db`);
        lost.push(row);
      }
    }
    quarantineUnloadable(name, store, config);
    const rebuilt = await rebuildSegments(
      { store, segmentsDir: segDir, params: config.index.seismic, threads: opts.buildThreads, maxDocs: config.index.mutableMaxDocs, calibration: calibrationPlanOf(config, store, false) },
      lost,
      sealed,
    );
    sealed.push(...rebuilt);
    if (lost.length > 0) await removeOrphans(segDir, new Set(sealed.map((s) => s.id)));
    // A model missing at start degrades this collection (text encoding answers 503 MODEL_UNAVAILABLE) instead of stopping the server.
    let modelError: AppError | undefined;
    const encoder = await opts.encoderFor(config).catch((error: unknown) => {
      if (!(error instanceof AppError && error.code === 'MODEL_LOAD_FAILED')) throw error;
      modelError = error;
      return undefined;
    });
    const c = new EngineCollection(name, dir, config, store, encoder, opts.buildThreads);
    c.sealed = sealed;

    const stale: number[] = [];
    const deleted = new Map<SealedSegment, number[]>(sealed.map((s) => [s, []]));
    for (const d of store.tombstones()) {
      const seg = sealed.find((s) => s.contains(d));
      if (seg) deleted.get(seg)!.push(d);
      else stale.push(d); // its segment was sealed or merged without it: nothing left to hide
    }
    for (const [seg, docnos] of deleted) seg.deleteDocnos(docnos);
    if (stale.length > 0) store.commitManifest({ add: [], remove: [], purgeTombstones: stale });

    // The mutable segment: rows past sealed_seq, minus any a sealed segment already holds (a seal
    // that finished out of order); older rows no segment held were built into segments above.
    for (const docno of unheldDocnos(store, sealed)) {
      const r = store.getByDocno(docno)!;
      c.active.add({ docno: r.docno, vector: r.vector, tf: r.tf, length: r.length, seq: r.seq });
    }
    if (c.filters.hasFields) {
      for (const m of store.allMetadata()) c.filters.add(m.docno, m.metadata === null ? undefined : (JSON.parse(m.metadata) as Record<string, unknown>));
    }
    for (const v of store.allTfVectors()) c.corpus.add(v.indices, v.length);
    if (config.dense) c.dense = await DenseField.open(config.dense, path.join(dir, DENSE_DIR), store.rowsAfterSeq(0));
    if (config.dense?.model) {
      try {
        c.denseEncoder = await opts.denseEncoderFor?.(config.dense);
      } catch (error) {
        if (!(error instanceof AppError && error.code === 'MODEL_LOAD_FAILED')) throw error;
        modelError ??= error;
      }
    }
    if (modelError && !opts.create) {
      c.modelUnavailable = modelError;
      c.health = { status: 'degraded', reason: `model unavailable: ${modelError.message}` };
      console.error(`sparrow: collection ${name} opens degraded (vector searches work, text encoding answers 503): ${modelError.message}`);
    } else if (modelError) throw modelError;
    c.sealIfFull();
    c.resummariseDrifted();
    return c;
  } catch (error) {
    for (const s of sealed) s.close();
    store.close();
    throw error;
  }
}

/**
 * Rows that cannot be loaded (they break a rule of the stored form) move to the quarantine table
 * with their reason instead of refusing the collection; before anything is loaded, so memory,
 * tombstones and statistics never see them.
 */
function quarantineUnloadable(name: string, store: CollectionStore, config: CollectionConfig): void {
  const bad: Array<{ docno: number; id: string; reason: string }> = [];
  for (const row of store.rowsAfterSeq(0)) {
    const reason = storedRowProblem(row, config);
    if (reason !== undefined) bad.push({ docno: row.docno, id: row.id, reason });
  }
  for (const b of bad) {
    store.quarantine(b.docno, b.reason);
    console.error(`sparrow: collection ${name}: document ${JSON.stringify(b.id)} cannot be loaded and was moved to the quarantine table: ${b.reason}`);
  }
}

