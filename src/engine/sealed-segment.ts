/**
 * A sealed segment as the engine holds it: the mmapped Seismic index, its docnos (ascending) and
 * a reference count. Queries acquire the segments of their snapshot and release them when done;
 * a segment merged away is retired, and closed (and its file unlinked) only when the last query
 * holding it releases it, so no running query ever reads unmapped memory.
 */
import fs from 'node:fs';
import type { DocNo } from '../core/types.js';
import type { SeismicIndex } from '../index/native-types.js';
import type { SegmentRow } from '../store/collection-store.js';
import { calibrationOf, type Calibration } from './calibrate.js';

export class SealedSegment {
  private refs = 1; // the engine's own reference, dropped by retire()
  private retired = false;
  /** tombstoned docnos inside this segment (for stats and the reclaim rule) */
  deleted = 0;
  /** the default query settings measured when the segment was built (stored in its file), if any */
  readonly calibration: Calibration | undefined;

  constructor(
    readonly row: SegmentRow,
    readonly path: string,
    readonly index: SeismicIndex,
    readonly docnos: Uint32Array,
  ) {
    this.calibration = calibrationOf(index);
  }

  get id(): string {
    return this.row.file;
  }

  contains(docno: DocNo): boolean {
    if (docno < this.row.minDocno || docno > this.row.maxDocno) return false;
    let lo = 0;
    let hi = this.docnos.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const d = this.docnos[mid];
      if (d === docno) return true;
      if (d < docno) lo = mid + 1;
      else hi = mid - 1;
    }
    return false;
  }

  acquire(): void {
    if (this.refs === 0) throw new Error(`segment ${this.id} is closed`);
    this.refs++;
  }

  release(): void {
    if (--this.refs > 0) return;
    this.index.close();
    if (this.retired) fs.rmSync(this.path, { force: true });
  }

  /** Out of the manifest: the file goes when the last reader is done. */
  retire(): void {
    this.retired = true;
    this.release();
  }

  /** Engine shutdown: drop the engine's reference, keep the file. */
  close(): void {
    this.release();
  }
}
