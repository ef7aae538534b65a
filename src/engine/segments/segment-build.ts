/**
 * Building one sealed segment from rows: BM25 weighting of term-frequency rows with the segment's
 * own average length (frozen into the manifest row), CSR assembly, the native Seismic build on a
 * background thread, then save → fsync → rename by content → directory fsync.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import type { CsrBatch } from '../../core/types.js';
import { buildSeismic, loadSeismic } from '../../index/native.js';
import type { SeismicIndex, SeismicParams } from '../../index/native-types.js';
import type { SegmentRow } from '../../store/collection-store.js';
import { publishByContent, tempPath } from '../../store/files.js';
import { bm25DocumentWeights } from '../../encoder/bm25.js';
import { calibrateSegment, CALIBRATION_DEADLINE_SHARE, MIN_CALIBRATED_DOCS, type CalibrationQueries } from '../scoring/calibrate.js';
import { crashPoint, type CrashPoint } from '../write/crash-points.js';
import type { MutableRow } from '../write/mutable-segment.js';

export type BuildRow = Pick<MutableRow, 'docno' | 'vector' | 'tf' | 'length'>;

/** Average length over the term-frequency rows (0 when there are none). */
export function averageLength(rows: BuildRow[]): number {
  let n = 0;
  let total = 0;
  for (const r of rows) {
    if (!r.tf) continue;
    n++;
    total += r.length;
  }
  return n === 0 ? 0 : total / n;
}

/** Rows (ascending docno) → CSR with final weights. */
export function toCsr(rows: BuildRow[], avgdl: number): { csr: CsrBatch; docnos: Uint32Array } {
  let nnz = 0;
  for (const r of rows) nnz += r.vector.indices.length;
  const indptr = new Uint32Array(rows.length + 1);
  const indices = new Uint32Array(nnz);
  const values = new Float32Array(nnz);
  const docnos = new Uint32Array(rows.length);
  let at = 0;
  rows.forEach((r, i) => {
    docnos[i] = r.docno;
    indices.set(r.vector.indices, at);
    values.set(r.tf ? bm25DocumentWeights(r.vector, r.length, avgdl).values : r.vector.values, at);
    at += r.vector.indices.length;
    indptr[i + 1] = at;
  });
  return { csr: { indptr, indices, values }, docnos };
}

export interface BuiltSegment {
  row: SegmentRow;
  path: string;
  index: SeismicIndex; // loaded from the published file (mmap)
  docnos: Uint32Array;
}

/** How a new segment calibrates its default query settings (calibrate.ts). */
export interface SegmentCalibrationPlan {
  target: number;
  /** the calibration queries for this segment's rows (recent queries, or pseudo-queries from them) */
  queries(csr: CsrBatch, docnos: Uint32Array): CalibrationQueries;
}

/**
 * Builds, calibrates (segments with blocks and at least MIN_CALIBRATED_DOCS documents; the
 * calibration is stored in the file), publishes and reloads a segment; the caller commits the
 * manifest. `avgdl` defaults to the rows' own average length (a rebuild passes the one its lost
 * segment recorded).
 */
export async function buildSegment(
  rows: BuildRow[],
  segmentsDir: string,
  params: SeismicParams,
  threads: number,
  crashAt: CrashPoint,
  avgdl = averageLength(rows),
  calibration?: SegmentCalibrationPlan,
): Promise<BuiltSegment> {
  const { csr, docnos } = toCsr(rows, avgdl);
  const t0 = performance.now();
  const built = await buildSeismic(csr, docnos, params, { threads });
  const buildMs = performance.now() - t0;
  const tmp = tempPath(segmentsDir);
  let file: string;
  try {
    try {
      if (calibration && built.blocks > 0 && built.numDocs >= MIN_CALIBRATED_DOCS) {
        const deadline = performance.now() + CALIBRATION_DEADLINE_SHARE * buildMs;
        const cal = await calibrateSegment({ index: built, csr, docnos }, calibration.queries(csr, docnos), calibration.target, { deadline });
        built.setCalibration({ ...cal, buildMs });
      }
      crashPoint(crashAt);
      await built.save(tmp);
    } finally {
      built.close();
    }
    file = await publishByContent(tmp, segmentsDir);
  } catch (error) {
    await fs.rm(tmp, { force: true }); // a partial file on a full disk would keep the space
    throw error;
  }
  const full = path.join(segmentsDir, file);
  const index = loadSeismic(full);
  const row: SegmentRow = {
    file,
    docs: rows.length,
    minDocno: docnos[0],
    maxDocno: docnos[docnos.length - 1],
    avgdl,
    bytes: index.indexBytes + index.forwardBytes,
    createdAt: Date.now(),
  };
  return { row, path: full, index, docnos };
}
