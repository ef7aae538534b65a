/**
 * Segments rebuilt from SQLite at open, with memory bounded by a segment's size, never by the
 * collection's: the rows no loaded segment holds are read a chunk at a time and built into sealed
 * segments of at most `maxDocs` rows each.
 *
 * - A lost segment (file missing, damaged or of an older format) is rebuilt from its own rows
 *   (the live rows in its docno range that no loaded segment holds) with the average length its
 *   manifest row recorded, so BM25 weights, and so lexical scores, come back identical. Its rows go
 *   into one or more new segments; one manifest commit swaps them for the lost one.
 * - Other rows that should be sealed (seq <= sealed_seq) but that no segment holds are built the
 *   same way, with their own average length.
 * - Rows newer than sealed_seq are left to the mutable segment (bounded by maxUnsealedDocs).
 * A crash in the middle leaves the lost row in the manifest and the new files as orphans: the next
 * open deletes them and rebuilds again.
 */
import type { SeismicParams } from '../../index/native-types.js';
import type { CollectionStore, SegmentRow, VectorRow } from '../../store/collection-store.js';
import { SealedSegment } from './sealed-segment.js';
import { buildSegment, type SegmentCalibrationPlan, type BuiltSegment } from './segment-build.js';

/** Rows read from SQLite per step. */
export const READ_CHUNK = 5_000;

export interface RebuildContext {
  store: CollectionStore;
  segmentsDir: string;
  params: SeismicParams;
  threads: number;
  /** rows per rebuilt segment */
  maxDocs: number;
  /** how the rebuilt segments calibrate their query defaults */
  calibration?: SegmentCalibrationPlan;
}

/** The live rows among `wanted` (ascending docnos), read from SQLite a chunk at a time, in docno order. */
export async function* vectorRowsOf(store: Pick<CollectionStore, 'vectorRowsInRange'>, wanted: Uint32Array, chunk = READ_CHUNK): AsyncGenerator<VectorRow[]> {
  let p = 0;
  while (p < wanted.length) {
    const rows = store.vectorRowsInRange(wanted[p], wanted[wanted.length - 1], chunk);
    if (rows.length === 0) break;
    const out: VectorRow[] = [];
    for (const r of rows) {
      while (p < wanted.length && wanted[p] < r.docno) p++;
      if (p < wanted.length && wanted[p] === r.docno) out.push(r);
    }
    const next = rows[rows.length - 1].docno + 1;
    while (p < wanted.length && wanted[p] < next) p++;
    if (out.length > 0) yield out;
    await new Promise((resolve) => setImmediate(resolve)); // keep the event loop responsive
  }
}

/** Live docnos (ascending) that none of `held` holds. */
export function unheldDocnos(store: CollectionStore, held: SealedSegment[]): Uint32Array {
  const all = new Uint32Array(held.reduce((n, s) => n + s.docnos.length, 0));
  let at = 0;
  for (const s of held) {
    all.set(s.docnos, at);
    at += s.docnos.length;
  }
  all.sort();
  let out = new Uint32Array(1024);
  let n = 0;
  let p = 0;
  for (const docno of store.allDocnos()) {
    while (p < all.length && all[p] < docno) p++;
    if (p < all.length && all[p] === docno) continue;
    if (n === out.length) {
      const grown = new Uint32Array(out.length * 2);
      grown.set(out);
      out = grown;
    }
    out[n++] = docno;
  }
  return out.subarray(0, n);
}

/**
 * Rebuilds the `lost` manifest rows, then any other unheld row at or below sealed_seq, into
 * segments of at most ctx.maxDocs rows; returns the new live segments (manifest committed).
 */
export async function rebuildSegments(ctx: RebuildContext, lost: SegmentRow[], loaded: SealedSegment[]): Promise<SealedSegment[]> {
  const unheld = unheldDocnos(ctx.store, loaded);
  if (unheld.length === 0 && lost.length === 0) return [];
  const sealedSeq = ctx.store.sealedSeq;
  const taken = new Uint8Array(unheld.length);
  const out: SealedSegment[] = [];
  const groups: Array<{ lost?: SegmentRow; from: number; to: number }> = [
    ...lost.map((row) => ({ lost: row, from: row.minDocno, to: row.maxDocno })),
    { from: 0, to: 0xffff_ffff },
  ];
  for (const group of groups) {
    const lo = lowerBound(unheld, group.from);
    const hi = lowerBound(unheld, group.to + 1);
    let count = 0;
    for (let i = lo; i < hi; i++) if (!taken[i]) count++;
    const wanted = new Uint32Array(count);
    for (let i = lo, j = 0; i < hi; i++) if (!taken[i]) wanted[j++] = unheld[i];
    const built: BuiltSegment[] = [];
    let batch: VectorRow[] = [];
    const flush = async (): Promise<void> => {
      if (batch.length === 0) return;
      built.push(await buildSegment(batch, ctx.segmentsDir, ctx.params, ctx.threads, 'seal-build', group.lost?.avgdl, ctx.calibration));
      batch = [];
    };
    for await (const rows of vectorRowsOf(ctx.store, wanted)) {
      for (const r of rows) {
        if (r.seq > sealedSeq) continue; // the mutable segment's
        taken[lowerBound(unheld, r.docno)] = 1;
        batch.push(r);
        if (batch.length >= ctx.maxDocs) await flush();
      }
    }
    await flush();
    if (built.length === 0 && !group.lost) continue;
    try {
      ctx.store.commitManifest({ add: built.map((b) => b.row), remove: group.lost ? [group.lost.file] : [], purgeTombstones: [] });
    } catch (error) {
      for (const b of built) b.index.close();
      throw error;
    }
    for (const b of built) out.push(new SealedSegment(b.row, b.path, b.index, b.docnos));
  }
  return out;
}

function lowerBound(a: Uint32Array, x: number): number {
  let lo = 0;
  let hi = a.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (a[mid] < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
