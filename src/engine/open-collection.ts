/**
 * Opening a collection directory: SQLite (migrations), the manifest, mmap of the sealed segments,
 * orphan files deleted, tombstones loaded, the mutable segment rebuilt from rows newer than the
 * last sealed sequence number, and the filter index and BM25 statistics rebuilt from SQLite.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import type { SparseEncoder } from '../encoder/types.js';
import { createBitmap, loadSeismic } from '../index/native.js';
import { CollectionStore } from '../store/collection-store.js';
import { removeOrphans } from '../store/files.js';
import { EngineCollection } from './collection.js';
import { DenseField } from './dense-field.js';
import { SealedSegment } from './sealed-segment.js';
import { AppError } from '../errors.js';
import type { CollectionConfig, DenseConfig } from './types.js';
import type { DenseEncoder } from '../encoder/dense.js';
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
    store.setDurability(config.durability);

    const rows = store.segments();
    await removeOrphans(segDir, new Set(rows.map((r) => r.file)));
    const damaged: string[] = [];
    for (const row of rows) {
      const file = path.join(segDir, row.file);
      try {
        const index = loadSeismic(file);
        sealed.push(new SealedSegment(row, file, index, index.forward.docnos));
      } catch (error) {
        if (!(error instanceof AppError && error.code === 'INDEX_FILE_CORRUPT')) throw error;
        // Derived data: drop it; its live rows go back to the mutable segment below and are sealed again.
        console.error(`sparrow: collection ${name}: segment ${row.file} is damaged (${error.message}); rebuilding it from collection.db`);
        damaged.push(row.file);
      }
    }
    if (damaged.length > 0) {
      store.commitManifest({ add: [], remove: damaged, purgeTombstones: [] });
      await removeOrphans(segDir, new Set(sealed.map((s) => s.id)));
    }
    quarantineUnloadable(name, store, config);
    const encoder = await opts.encoderFor(config);
    const tombstones = createBitmap();
    const c = new EngineCollection(name, dir, config, store, tombstones, encoder, opts.buildThreads);
    c.sealed = sealed;

    const stale: number[] = [];
    for (const d of store.tombstones()) {
      const seg = sealed.find((s) => s.contains(d));
      if (!seg) {
        stale.push(d); // its segment was sealed or merged without it: nothing left to hide
        continue;
      }
      tombstones.set(d);
      seg.deleted++;
    }
    if (stale.length > 0) store.commitManifest({ add: [], remove: [], purgeTombstones: stale });

    // The mutable segment: rows past sealed_seq, minus any a sealed segment already holds (a seal
    // that finished out of order), plus any older row no segment holds (a damaged segment dropped).
    for (const docno of unheldDocnos(store, sealed)) {
      const r = store.getByDocno(docno)!;
      c.active.add({ docno: r.docno, vector: r.vector, tf: r.tf, length: r.length, seq: r.seq });
    }
    if (c.filters.hasFields) {
      for (const m of store.allMetadata()) c.filters.add(m.docno, m.metadata === null ? undefined : (JSON.parse(m.metadata) as Record<string, unknown>));
    }
    for (const v of store.allTfVectors()) c.corpus.add(v.indices, v.length);
    if (config.dense) c.dense = await DenseField.open(config.dense, path.join(dir, DENSE_DIR), store.rowsAfterSeq(0));
    if (config.dense?.model) c.denseEncoder = await opts.denseEncoderFor?.(config.dense);
    c.sealIfFull();
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

/** Live docnos (ascending) that no sealed segment holds. */
function unheldDocnos(store: CollectionStore, sealed: SealedSegment[]): number[] {
  const held = new Uint32Array(sealed.reduce((n, s) => n + s.docnos.length, 0));
  let at = 0;
  for (const s of sealed) {
    held.set(s.docnos, at);
    at += s.docnos.length;
  }
  held.sort();
  const out: number[] = [];
  let p = 0;
  for (const docno of store.allDocnos()) {
    while (p < held.length && held[p] < docno) p++;
    if (p >= held.length || held[p] !== docno) out.push(docno);
  }
  return out;
}
