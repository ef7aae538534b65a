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
import type { CollectionConfig } from './types.js';

export const DB_FILE = 'collection.db';
/** the dense field's HNSW snapshot (derived data, rebuilt from SQLite when absent) */
export const DENSE_DIR = 'dense';

export interface OpenOptions {
  /** given when creating: written to the new database */
  create?: CollectionConfig;
  encoderFor(config: CollectionConfig): Promise<SparseEncoder | undefined>;
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
    for (const row of rows) {
      const file = path.join(segDir, row.file);
      const index = loadSeismic(file);
      sealed.push(new SealedSegment(row, file, index, index.forward.docnos));
    }
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

    // Rows past sealed_seq, minus any a sealed segment already holds (a seal that finished out of order).
    for (const r of store.rowsAfterSeq(store.sealedSeq)) {
      if (sealed.some((s) => s.contains(r.docno))) continue;
      c.active.add({ docno: r.docno, vector: r.vector, tf: r.tf, length: r.length, seq: r.seq });
    }
    if (c.filters.hasFields) {
      for (const m of store.allMetadata()) c.filters.add(m.docno, m.metadata === null ? undefined : (JSON.parse(m.metadata) as Record<string, unknown>));
    }
    for (const v of store.allTfVectors()) c.corpus.add(v.indices, v.length);
    if (config.dense) c.dense = await DenseField.open(config.dense, path.join(dir, DENSE_DIR), store.rowsAfterSeq(0));
    c.sealIfFull();
    return c;
  } catch (error) {
    for (const s of sealed) s.close();
    store.close();
    throw error;
  }
}
