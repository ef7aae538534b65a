/**
 * A sealed segment as the engine holds it: the mmapped Seismic index, its docnos (ascending), its
 * deleted rows (a native RowBitmap indexed by row, snapshotted by each search) and a reference count. Queries acquire the segments of their snapshot and release them when done;
 * a segment merged away is retired, and closed (and its file unlinked) only when the last query
 * holding it releases it, so no running query ever reads unmapped memory.
 */
import fs from 'node:fs/promises';
import type { DocNo } from '../../core/types.js';
import { createRowBitmap } from '../../index/native.js';
import type { RowBitmap, SeismicIndex } from '../../index/native-types.js';
import type { SegmentRow } from '../../store/collection-store.js';
import { calibrationOf, type Calibration } from '../scoring/calibrate.js';
import { FilterCache } from './segment-filter.js';

export class SealedSegment {
  private refs = 1; // the engine's own reference, dropped by retire()
  private retired = false;
  /** the unlink of a retired segment's file, once started */
  private removal?: Promise<void>;
  /** settles once the index handle is released (set by the last release) */
  private released?: Promise<void>;
  /** rows whose document was deleted or updated (never returned by a search) */
  readonly deletedRows: RowBitmap;
  /** its recent filter results by row (segment-filter.ts): rows and docnos never change, so neither do they */
  readonly filterCache = new FilterCache();
  /** the default query settings measured when the segment was built (stored in its file), if any */
  readonly calibration: Calibration | undefined;
  /** a blocked BM25 segment: the average length its summaries and calibration were built for */
  readonly summaryAvgdl: number | undefined;
  /** the exhaustive layout (no blocks): searched term at a time, exactly, whatever the settings; read once (a segment's layout never changes) */
  readonly exhaustive: boolean;

  constructor(
    readonly row: SegmentRow,
    readonly path: string,
    readonly index: SeismicIndex,
    readonly docnos: Uint32Array,
  ) {
    this.calibration = calibrationOf(index);
    this.exhaustive = index.layout === 'exhaustive';
    this.summaryAvgdl = this.exhaustive ? undefined : index.bm25?.avgdl;
    this.deletedRows = createRowBitmap(docnos.length);
  }

  get id(): string {
    return this.row.file;
  }

  /** deleted documents inside this segment (for stats and the reclaim rule) */
  get deleted(): number {
    return this.deletedRows.count;
  }

  /** The row holding a docno, or -1. */
  rowOf(docno: DocNo): number {
    if (docno < this.row.minDocno || docno > this.row.maxDocno) return -1;
    return rowIn(this.docnos, docno);
  }

  contains(docno: DocNo): boolean {
    return this.rowOf(docno) >= 0;
  }

  /** Marks docnos deleted (those this segment does not hold are ignored); one native call. */
  deleteDocnos(docnos: Iterable<DocNo>): void {
    const rows: number[] = [];
    for (const d of docnos) {
      const r = this.rowOf(d);
      if (r >= 0) rows.push(r);
    }
    if (rows.length > 0) this.deletedRows.setMany(Uint32Array.from(rows));
  }

  acquire(): void {
    if (this.refs === 0) throw new Error(`segment ${this.id} is closed`);
    this.refs++;
  }

  release(): void {
    if (--this.refs > 0) return;
    this.released = this.index.close();
    // Off the event loop: unlinking a large file takes ~0.5 ms per MB here (ext4, online discard),
    // 400 ms for a 1M-document segment.
    if (this.retired) this.removal = this.released.then(() => removeFile(this.path));
  }

  /**
   * Out of the manifest: the file goes when the last reader is done. Resolves once it is gone when
   * no reader held it; at once when one does (its last release unlinks it).
   */
  retire(): Promise<void> {
    this.retired = true;
    this.release();
    return this.removal ?? Promise.resolve();
  }

  /** Engine shutdown: drop the engine's reference, keep the file. Resolves once it is unmapped (no search runs then). */
  close(): Promise<void> {
    this.release();
    return this.released ?? Promise.resolve();
  }
}

/** Unlinks a file on the libuv pool; a failure is logged (startup deletes files the manifest does not list). */
function removeFile(file: string): Promise<void> {
  return fs.rm(file, { force: true }).catch((error: unknown) => console.error(`sparrow: could not delete the retired segment file ${file}:`, error));
}

/**
 * How far the live average length may move from the one a blocked BM25 segment's summaries were
 * built for (a factor either way). Over that range every BM25 weight moves by at most the same
 * factor: with avgdl' = avgdl (1 + e), the norm k1 (1 - b + b dl / avgdl) shrinks by a factor in
 * [1 / (1 + e), 1], so tf / (tf + norm) grows by a factor in [1, 1 + e] (and symmetrically). Summary
 * scores therefore stay within 10% of those of the live statistics: less than the heap factor's
 * own slack, so pruning keeps its calibrated recall. Scores never depend on it (they use the live
 * average).
 */
export const SUMMARY_AVGDL_RANGE = 1.1;

/** True when a segment's summaries (if any) were built for an average length within range of `liveAvgdl`. */
export function summariesFit(seg: Pick<SealedSegment, 'summaryAvgdl'>, liveAvgdl: number): boolean {
  const built = seg.summaryAvgdl;
  if (built === undefined || !(liveAvgdl > 0)) return true;
  return liveAvgdl <= built * SUMMARY_AVGDL_RANGE && built <= liveAvgdl * SUMMARY_AVGDL_RANGE;
}

/** Index of `docno` in ascending `docnos`, or -1. */
export function rowIn(docnos: Uint32Array, docno: DocNo): number {
  let lo = 0;
  let hi = docnos.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const d = docnos[mid];
    if (d === docno) return mid;
    if (d < docno) lo = mid + 1;
    else hi = mid - 1;
  }
  return -1;
}
