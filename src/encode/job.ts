/**
 * The encode job: read records in order, cut them into batches of `batchSize` (batch i always
 * holds the same records, whatever ran before, so a resumed or distributed run batches exactly
 * like a single one), encode a bounded number of batches at once, and hand each to the output,
 * which writes them in input order. Where batches are encoded (this process's worker pool, or
 * encode workers over a queue) is the `BatchEncoder`'s business.
 *
 * A malformed line stops the job after the complete batches before it are written (its line
 * number is in the error); the partial batch before it is left for the resumed run, so that the
 * batches stay aligned.
 */
import type { SparseVector } from '../core/types.js';
import type { IndexProgress } from '../bulk/index-job.js';
import type { EncodeOutput, RunPosition } from './output.js';
import { readRecords, type EncodeRecord, type EncodeSide } from './records.js';
import { vectorLine } from './vector-line.js';

export interface EncodedBatch {
  vectors: SparseVector[];
  /** called once the batch's lines are in the output (a queue removes the job then) */
  written?(): Promise<void>;
}

export interface BatchEncoder {
  encode(batch: number, texts: string[]): Promise<EncodedBatch>;
}

export interface EncodeJobOptions {
  file: string;
  side: EncodeSide;
  batchSize: number;
  /** batches encoding at once */
  inFlight: number;
  output: EncodeOutput;
  encoder: BatchEncoder;
  signal?: AbortSignal;
  onProgress?: (p: IndexProgress) => void;
}

export interface EncodeSummary {
  /** records encoded by this run */
  encoded: number;
  /** records already in the output (resumed run) */
  alreadyDone: number;
  batches: number;
  seconds: number;
  docsPerSecond: number;
  interrupted: boolean;
}

export async function runEncodeJob(o: EncodeJobOptions): Promise<EncodeSummary> {
  const started = performance.now();
  const start = o.output.start;
  const inflight = new Set<Promise<void>>();
  let nextBatch = start.nextBatch;
  let records = start.records;
  let encoded = 0;
  let batches = 0;
  let interrupted = false;
  let fatal: unknown;

  const dispatch = async (recs: EncodeRecord[]) => {
    while (inflight.size >= o.inFlight) await Promise.race(inflight);
    if (fatal !== undefined) return;
    const index = nextBatch++;
    records += recs.length;
    const last = recs[recs.length - 1];
    const after: RunPosition = { nextBatch: index + 1, at: { offset: last.end, lineNo: last.lineNo + 1 }, records };
    const task = (async () => {
      const result = await o.encoder.encode(
        index,
        recs.map((r) => r.text),
      );
      await o.output.put(index, recs.map((r, i) => vectorLine(r.id, result.vectors[i])).join(''), after);
      encoded += recs.length;
      batches++;
      o.onProgress?.({ indexed: encoded, bytes: after.at.offset });
      await result.written?.();
    })()
      .catch((err) => {
        fatal ??= err;
        o.output.abandon(err); // later batches waiting for this one will never be written
      })
      .finally(() => inflight.delete(task));
    inflight.add(task);
  };

  let inputError: unknown;
  let pending: EncodeRecord[] = [];
  try {
    for await (const record of readRecords(o.file, o.side, start.at)) {
      if (fatal !== undefined) break;
      if (o.signal?.aborted) {
        interrupted = true;
        break;
      }
      pending.push(record);
      if (pending.length >= o.batchSize) {
        await dispatch(pending);
        pending = [];
      }
    }
    if (pending.length > 0 && !interrupted && fatal === undefined) await dispatch(pending);
  } catch (err) {
    inputError = err;
  }
  while (inflight.size > 0) await Promise.all(inflight);
  if (fatal !== undefined) throw fatal;
  if (inputError !== undefined) throw inputError;
  const seconds = (performance.now() - started) / 1000;
  return { encoded, alreadyDone: start.records, batches, seconds, docsPerSecond: encoded / Math.max(seconds, 1e-9), interrupted };
}

export function formatEncodeSummary(s: EncodeSummary): string {
  return (
    `${s.interrupted ? 'interrupted' : 'done'}: ${s.encoded} records encoded in ${s.batches} batches` +
    `${s.alreadyDone > 0 ? ` (${s.alreadyDone} already in the output)` : ''}, ${s.seconds.toFixed(1)} s, ${s.docsPerSecond.toFixed(1)} docs/s`
  );
}
