/**
 * `sparrow encode-worker`: takes batch jobs from the queue and encodes them with this machine's
 * encoder pool (the server's encoder). A job whose fingerprint is not this worker's for the job's
 * side is refused (failed at once, not retried) with ENCODER_MISMATCH naming both fingerprints and
 * what this worker's is made of: two encoders never write into one output.
 */
import os from 'node:os';
import { UnrecoverableError, Worker, type Job } from 'bullmq';
import type { SpladeQueryMode } from '../encoder/splade-encoder.js';
import { closeEncoderPool } from '../workers/pool.js';
import { encodeCpu, ModelEncoder } from './model-encoder.js';
import { DEFAULT_QUEUE_NAME, redisConnection, type EncodeJobData, type EncodeJobResult } from './queue.js';
import { packVectors } from './vector-line.js';

export interface EncodeWorkerOptions {
  url: string;
  queueName?: string;
  modelDir: string;
  query?: SpladeQueryMode;
  /** jobs taken at once, and encoder threads */
  concurrency: number;
  /** a job whose worker stops renewing its lock for this long is given to another worker */
  lockMs: number;
  signal: AbortSignal;
  log: (line: string) => void;
}

export interface EncodeWorkerSummary {
  batches: number;
  records: number;
  refused: number;
  seconds: number;
}

export async function runEncodeWorker(o: EncodeWorkerOptions): Promise<EncodeWorkerSummary> {
  const started = performance.now();
  const encoder = await ModelEncoder.open({ modelDir: o.modelDir, query: o.query, cpu: encodeCpu(o.concurrency) });
  const me = `${os.hostname()}:${process.pid}`;
  const summary = { batches: 0, records: 0, refused: 0 };
  const process_ = async (job: Job<EncodeJobData, EncodeJobResult>): Promise<EncodeJobResult> => {
    const { fingerprint, side, texts } = job.data;
    if (side !== 'document' && side !== 'query') throw new UnrecoverableError(`job ${job.id}: side ${JSON.stringify(side)} is neither document nor query`);
    const mine = encoder.fingerprint(side);
    if (fingerprint !== mine) {
      summary.refused++;
      const why =
        `ENCODER_MISMATCH: worker ${me} refuses job ${job.id}: the job was made for encoder ${fingerprint}, this worker's ${side} encoder is ${mine} ` +
        `(${JSON.stringify(encoder.parts(side))}, model ${encoder.modelDir}); start encode workers with the producer's model and version`;
      o.log(why);
      throw new UnrecoverableError(why);
    }
    if (!Array.isArray(texts) || !texts.every((t) => typeof t === 'string')) throw new UnrecoverableError(`job ${job.id}: texts must be an array of strings`);
    const vectors = await encoder.encode(side, texts);
    summary.batches++;
    summary.records += texts.length;
    return packVectors(vectors);
  };
  const worker = new Worker<EncodeJobData, EncodeJobResult>(o.queueName ?? DEFAULT_QUEUE_NAME, process_, {
    connection: redisConnection(o.url),
    concurrency: o.concurrency,
    lockDuration: o.lockMs,
    stalledInterval: o.lockMs,
    maxStalledCount: 5,
    autorun: false,
  });
  worker.on('error', (err) => o.log(`worker: ${err.message}`));
  worker.on('failed', (job, err) => {
    if (!(err instanceof UnrecoverableError)) o.log(`job ${job?.id} failed (attempt ${job?.attemptsMade}): ${err.message}`);
  });
  o.log(`encode worker ${me}: model ${encoder.modelDir}, document encoder ${encoder.fingerprint('document')}, query encoder ${encoder.fingerprint('query')}, concurrency ${o.concurrency}`);
  const running = worker.run();
  await new Promise<void>((resolve) => (o.signal.aborted ? resolve() : o.signal.addEventListener('abort', () => resolve(), { once: true })));
  o.log('stopping: the jobs in hand finish first');
  await worker.close();
  await running;
  await encoder.close();
  await closeEncoderPool();
  return { ...summary, seconds: (performance.now() - started) / 1000 };
}
