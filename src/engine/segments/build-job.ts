/**
 * One segment build as plain data, run by the build worker (build-worker.ts) off the event loop:
 * the rows of the wanted docnos are read from collection.db (the source of truth), assembled into
 * CSR, built, calibrated, saved, fsynced and published by content; the worker verifies the file by
 * loading it. The caller gets the published file, its docnos and the wanted docnos that no longer
 * exist (their tombstones can go), then loads the file (loadSeismicAsync) and commits the manifest.
 */
import type { SeismicParams } from '../../index/native-types.js';
import type { CollectionStore, SegmentRow } from '../../store/collection-store.js';
import { AppError, type ErrorCode } from '../../errors.js';
import { planOf, type CalibrationSource } from '../scoring/calibration-queries.js';
import { vectorRowsOf } from './rebuild.js';
import { buildSegment, type BuildRow } from './segment-build.js';

export interface BuildJob {
  /** collection.db; the worker opens it read-only */
  dbPath: string;
  /** the docnos to build from, one ascending array per input (a merge's segments, a seal's rows) */
  docnos: Uint32Array[];
  segmentsDir: string;
  params: SeismicParams;
  threads: number;
  crashAt: 'seal-build' | 'merge-build';
  calibration: CalibrationSource;
  /** the average length the summaries and calibration are built for (default: the rows' own) */
  avgdl?: number;
}

export interface BuildResult {
  /** absent when none of the wanted rows exists any more */
  built?: { row: SegmentRow; path: string; docnos: Uint32Array };
  /** wanted docnos with no row in collection.db (deleted before the read), ascending */
  purge: Uint32Array;
}

/** The ascending union of ascending docno arrays. */
export function unionOf(parts: Uint32Array[]): Uint32Array {
  const out = new Uint32Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out.sort();
}

/** Runs a job against a reader of collection.db (the worker's own connection, or a store in tests). */
export async function runBuildJob(job: BuildJob, reader: Pick<CollectionStore, 'vectorRowsInRange'>): Promise<BuildResult> {
  const wanted = unionOf(job.docnos);
  const rows: BuildRow[] = [];
  for await (const chunk of vectorRowsOf(reader, wanted)) for (const r of chunk) rows.push(r);
  const purge = new Uint32Array(wanted.length - rows.length);
  for (let w = 0, r = 0, n = 0; w < wanted.length; w++) {
    if (r < rows.length && rows[r].docno === wanted[w]) r++;
    else purge[n++] = wanted[w];
  }
  if (rows.length === 0) return { purge };
  const built = await buildSegment(rows, job.segmentsDir, job.params, job.threads, job.crashAt, job.avgdl, planOf(job.calibration));
  built.index.close(); // loaded once here to verify the file; the engine loads its own
  return { built: { row: built.row, path: built.path, docnos: built.docnos }, purge };
}

/** An error as plain data (structured clone keeps only message and name of an Error). */
export interface ErrorData {
  name: string;
  message: string;
  stack?: string;
  code?: string;
  errno?: number;
  syscall?: string;
  path?: string;
  extra?: Record<string, unknown>;
}

export function errorData(e: unknown): ErrorData {
  if (!(e instanceof Error)) return { name: 'Error', message: String(e) };
  const x = e as Error & Partial<Pick<ErrorData, 'code' | 'errno' | 'syscall' | 'path' | 'extra'>>;
  return { name: e.name, message: e.message, stack: e.stack, code: x.code, errno: x.errno, syscall: x.syscall, path: x.path, extra: x.extra };
}

export function errorOf(d: ErrorData): Error {
  if (d.name === 'AppError' && d.code !== undefined) return new AppError(d.code as ErrorCode, d.message, { extra: d.extra });
  const e = Object.assign(new Error(d.message), { code: d.code, errno: d.errno, syscall: d.syscall, path: d.path });
  e.name = d.name;
  if (d.stack !== undefined) e.stack = d.stack;
  return e;
}
