/**
 * `sparrow encode` (a JSONL file or BEIR folder → one `{"id","indices","values"}` line per record,
 * in input order, resumable) and `sparrow encode-worker` (encodes batches from a queue).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { SpladeQueryMode } from '../encoder/splade-encoder.js';
import { closeEncoderPool } from '../workers/pool.js';
import { formatEncodeSummary, runEncodeJob, type BatchEncoder, type EncodeSummary } from '../encode/job.js';
import { encodeCpu, ModelEncoder } from '../encode/model-encoder.js';
import { EncodeOutput } from '../encode/output.js';
import { QueueEncoder, runId } from '../encode/queue.js';
import { InputLineError, inputFile, type EncodeSide } from '../encode/records.js';
import { runEncodeWorker } from '../encode/worker.js';
import { createProgress } from './progress.js';

export const ENCODE_DEFAULTS = { batch: 64, inFlightQueue: 8, attempts: 5, lockSeconds: 10 } as const;

export interface EncodeCommandOptions {
  model: string;
  input: string;
  output: string;
  side: EncodeSide;
  batch: number;
  query?: SpladeQueryMode;
  /** encoder threads of this process (default: every core) */
  threads?: number;
  queue?: string;
  queueName?: string;
  /** batches encoding at once (default: the threads locally, 8 over a queue) */
  inFlight?: number;
  attempts?: number;
  out?: NodeJS.WritableStream;
  tty?: boolean;
  signal?: AbortSignal;
}

export function coreCount(): number {
  return Math.max(1, os.availableParallelism());
}

/** Runs the job; returns the exit code (0 done, 1 interrupted or failed, 2 malformed input line). */
export async function encodeCommand(o: EncodeCommandOptions): Promise<number> {
  const out = o.out ?? process.stderr;
  const file = inputFile(o.input, o.side);
  const threads = o.threads ?? coreCount();
  const model = await ModelEncoder.open({ modelDir: o.model, query: o.query, cpu: encodeCpu(threads) });
  let output: EncodeOutput | undefined;
  let queue: QueueEncoder | undefined;
  let summary: EncodeSummary | undefined;
  let code = 1;
  try {
    const fingerprint = model.fingerprint(o.side);
    const key = { input: path.resolve(file), side: o.side, batchSize: o.batch, fingerprint };
    output = await EncodeOutput.open(o.output, key);
    const start = output.start;
    if (start.records > 0) out.write(`resuming ${o.output}: ${start.records} records written, from ${file}:${start.at.lineNo}\n`);
    const progress = createProgress({ totalBytes: fs.statSync(file).size, tty: o.tty ?? Boolean((out as { isTTY?: boolean }).isTTY), out, verb: 'encoded' });
    let encoder: BatchEncoder;
    let inFlight: number;
    if (o.queue) {
      inFlight = o.inFlight ?? ENCODE_DEFAULTS.inFlightQueue;
      queue = new QueueEncoder({
        url: o.queue,
        queueName: o.queueName,
        run: runId({ output: path.resolve(o.output), ...key }),
        side: o.side,
        fingerprint,
        attempts: o.attempts,
        onMessage: progress.message,
      });
      await queue.ready();
      // finished jobs a crashed producer had not removed yet (at most the batches it had in flight)
      await queue.removeRange(start.nextBatch - inFlight - 1, start.nextBatch);
      encoder = queue;
    } else {
      inFlight = o.inFlight ?? threads;
      encoder = { encode: async (_batch, texts) => ({ vectors: await model.encode(o.side, texts) }) };
    }
    try {
      summary = await runEncodeJob({ file, side: o.side, batchSize: o.batch, inFlight, output, encoder, signal: o.signal, onProgress: progress.update });
    } finally {
      progress.stop();
    }
    out.write(`${formatEncodeSummary(summary)}\n`);
    if (queue) {
      const { batches, calls } = queue.stats;
      out.write(`queue: ${batches} batches through Redis, ${(calls / Math.max(1, batches)).toFixed(1)} Redis calls per batch by this producer\n`);
    }
    code = summary.interrupted ? 1 : 0;
    if (code === 1) out.write(`run the same command again to resume\n`);
  } catch (err) {
    if (!(err instanceof InputLineError)) throw err;
    out.write(`${err.code}: ${err.message}\n`);
    out.write(`the batches before that line are in ${o.output}; fix the line and run the same command again to resume\n`);
    code = 2;
  } finally {
    await output?.close(summary !== undefined && !summary.interrupted);
    await queue?.close();
    await model.close();
    await closeEncoderPool();
  }
  return code;
}

export interface EncodeWorkerCommandOptions {
  queue: string;
  queueName?: string;
  model: string;
  query?: SpladeQueryMode;
  concurrency: number;
  lockSeconds: number;
  signal: AbortSignal;
  out?: NodeJS.WritableStream;
}

export async function encodeWorkerCommand(o: EncodeWorkerCommandOptions): Promise<number> {
  const out = o.out ?? process.stderr;
  const summary = await runEncodeWorker({
    url: o.queue,
    queueName: o.queueName,
    modelDir: o.model,
    query: o.query,
    concurrency: o.concurrency,
    lockMs: o.lockSeconds * 1000,
    signal: o.signal,
    log: (line) => out.write(`${line}\n`),
  });
  out.write(`stopped: ${summary.batches} batches, ${summary.records} records encoded, ${summary.refused} refused, ${summary.seconds.toFixed(1)} s\n`);
  return 0;
}
