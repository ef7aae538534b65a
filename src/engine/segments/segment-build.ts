/**
 * Building one sealed segment from rows: CSR assembly (term-frequency rows keep their term
 * frequencies and lengths: the segment scores BM25 with the collection's live average length at
 * query time; its summaries and calibration are built for the average length given here, recorded
 * in the manifest row and the file), the native Seismic build on a background thread, then save →
 * fsync → rename by content → directory fsync.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import type { CsrBatch } from '../../core/types.js';
import { buildSeismic, loadSeismic } from '../../index/native.js';
import { NO_LENGTH, type Bm25BuildInput, type SeismicIndex, type SeismicParams } from '../../index/native-types.js';
import type { SegmentRow } from '../../store/collection-store.js';
import { publishByContent, tempPath } from '../../store/files.js';
import { BM25_PARAMS, bm25DocumentWeights } from '../../encoder/bm25.js';
import { calibrateSegment, calibrationDeadline, MIN_CALIBRATED_DOCS, type CalibrationQueries } from '../scoring/calibrate.js';
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

/** Rows (ascending docno) → the segment's CSR (term-frequency rows as term frequencies), its BM25
 * input when some row holds term frequencies, and the rows' weights at `avgdl` (what calibration
 * queries sample terms by). */
export function toCsr(rows: BuildRow[], avgdl: number): { csr: CsrBatch; docnos: Uint32Array; bm25?: Bm25BuildInput; weights: Float32Array } {
  let nnz = 0;
  for (const r of rows) nnz += r.vector.indices.length;
  const indptr = new Uint32Array(rows.length + 1);
  const indices = new Uint32Array(nnz);
  const values = new Float32Array(nnz);
  const weights = new Float32Array(nnz);
  const docnos = new Uint32Array(rows.length);
  const lengths = new Uint32Array(rows.length);
  let at = 0;
  rows.forEach((r, i) => {
    docnos[i] = r.docno;
    lengths[i] = r.tf ? r.length : NO_LENGTH;
    indices.set(r.vector.indices, at);
    values.set(r.vector.values, at);
    weights.set(r.tf ? bm25DocumentWeights(r.vector, r.length, avgdl).values : r.vector.values, at);
    at += r.vector.indices.length;
    indptr[i + 1] = at;
  });
  const bm25 = rows.some((r) => r.tf) ? { lengths, avgdl: avgdl > 0 ? avgdl : 1, ...BM25_PARAMS } : undefined;
  return { csr: { indptr, indices, values }, docnos, bm25, weights };
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
 * Largest segment (in non-zeros) rebuilt in the exhaustive layout when its calibration finds no
 * approximate setting that reaches the target: its term lists take ~6 bytes per non-zero in RAM
 * (96 MB here) beside the forward rows. Above it the segment keeps its blocks and is searched
 * exactly by a forward scan (README "Index benchmark").
 */
export const EXHAUSTIVE_REBUILD_MAX_NNZ = 16_000_000;

/**
 * Builds, calibrates (segments with blocks and at least MIN_CALIBRATED_DOCS documents; the
 * calibration is stored in the file), publishes and reloads a segment; the caller commits the
 * manifest. A segment whose calibration finds no passing setting is rebuilt in the exhaustive
 * layout (no blocks, no calibration: searched exactly, term at a time) when it has at most
 * EXHAUSTIVE_REBUILD_MAX_NNZ non-zeros. `avgdl`: the average length the summaries and calibration
 * are built for (the collection's live one; it defaults to the rows' own). Scores never depend on it.
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
  const { csr, docnos, bm25, weights } = toCsr(rows, avgdl);
  const t0 = performance.now();
  let built = await buildSeismic(csr, docnos, params, { threads, bm25 });
  const buildMs = performance.now() - t0;
  const tmp = tempPath(segmentsDir);
  let file: string;
  try {
    try {
      if (calibration && built.blocks > 0 && built.numDocs >= MIN_CALIBRATED_DOCS) {
        const deadline = calibrationDeadline(buildMs);
        // What the segment scores: BM25 weights of exact term frequencies (not rounded), or its binary16 weights.
        const scored = { ...csr, values: weights };
        const cal = await calibrateSegment({ index: built, csr: scored, docnos, exactWeights: bm25 !== undefined }, calibration.queries(scored, docnos), calibration.target, { deadline });
        if (cal.k10.exact && csr.indices.length <= EXHAUSTIVE_REBUILD_MAX_NNZ) {
          built.close();
          built = await buildSeismic(csr, docnos, { ...params, exhaustiveBelow: csr.indices.length + 1 }, { threads, bm25 });
        } else {
          built.setCalibration({ ...cal, buildMs });
        }
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
