/**
 * Batches over a BullMQ queue on Redis: the producer side (`sparrow encode --queue`, `sparrow
 * index --encode-queue`) and what producer and workers agree on.
 *
 * A batch is one job, id `<run>-<batch index>` (BullMQ refuses integer ids; the run part keeps
 * runs apart on a shared queue and is stable for one output, so a resumed producer finds the jobs
 * of its crashed predecessor). Jobs are at-least-once: a worker that dies mid-batch loses its lock
 * and the job is run again; a failed attempt is retried with exponential backoff. A finished job
 * stays in Redis until the producer has written its vectors, then the producer removes it, so
 * Redis holds at most the batches in flight whatever the corpus size. The producer learns of a
 * finished job from the queue's event stream and, should an event be lost (Redis restarted), by
 * polling its jobs; a job that vanished with a restart is added again.
 */
import crypto from 'node:crypto';
import { Job, Queue, QueueEvents, type ConnectionOptions } from 'bullmq';
import type { SparseVector } from '../core/types.js';
import { AppError } from '../errors.js';
import type { EncodeSide } from './records.js';
import { unpackVectors, type PackedVectors } from './vector-line.js';
import type { BatchEncoder, EncodedBatch } from './job.js';

export const DEFAULT_QUEUE_NAME = 'sparrow-encode';

export interface EncodeJobData {
  /** the producer's encoder fingerprint for this side: a worker with another refuses the job */
  fingerprint: string;
  side: EncodeSide;
  texts: string[];
}

export type EncodeJobResult = PackedVectors;

/** redis://HOST:PORT[/DB] → connection options (reconnecting forever, commands waiting meanwhile). */
export function redisConnection(url: string): ConnectionOptions {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new AppError('INVALID_CONFIG', `--queue ${JSON.stringify(url)} is not a URL: expected redis://HOST:PORT[/DB]`);
  }
  const db = parsed.pathname.replace(/^\//, '');
  if (parsed.protocol !== 'redis:' || parsed.hostname === '' || (db !== '' && !/^\d+$/.test(db))) {
    throw new AppError('INVALID_CONFIG', `--queue ${JSON.stringify(url)}: expected redis://HOST:PORT[/DB]`);
  }
  return {
    host: parsed.hostname,
    port: parsed.port === '' ? 6379 : Number(parsed.port),
    db: db === '' ? 0 : Number(db),
    ...(parsed.password ? { password: decodeURIComponent(parsed.password) } : {}),
    ...(parsed.username ? { username: decodeURIComponent(parsed.username) } : {}),
    maxRetriesPerRequest: null,
  };
}

/** A run id that is the same for the same output of the same run (its resumed producers share jobs). */
export function runId(parts: unknown): string {
  return crypto.createHash('sha256').update(JSON.stringify(parts)).digest('hex').slice(0, 16);
}

export interface QueueEncoderOptions {
  url: string;
  queueName?: string;
  run: string;
  side: EncodeSide;
  fingerprint: string;
  /** attempts per batch (retries with exponential backoff from `backoffMs`) */
  attempts?: number;
  backoffMs?: number;
  /** how often jobs in flight are looked at when no event came */
  pollMs?: number;
  onMessage?: (text: string) => void;
}

const DAY_SECONDS = 86_400;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The producer side: batches become jobs, results come back as vectors. */
export class QueueEncoder implements BatchEncoder {
  private readonly queue: Queue<EncodeJobData, EncodeJobResult>;
  private readonly events: QueueEvents;
  private readonly waiters = new Map<string, () => void>();
  private readonly pending = new Set<number>();
  private closed = false;
  /** Redis calls of this producer, and batches done (the queue's round trips per batch) */
  readonly stats = { batches: 0, calls: 0 };

  constructor(private readonly o: QueueEncoderOptions) {
    const connection = redisConnection(o.url);
    const name = o.queueName ?? DEFAULT_QUEUE_NAME;
    this.queue = new Queue(name, { connection });
    this.events = new QueueEvents(name, { connection });
    const wake = ({ jobId }: { jobId: string }) => this.waiters.get(jobId)?.();
    this.events.on('completed', wake);
    this.events.on('failed', wake);
    // connection errors are retried by the client; they must not crash the process
    this.queue.on('error', () => undefined);
    this.events.on('error', () => undefined);
  }

  jobId(batch: number): string {
    return `${this.o.run}-${batch}`;
  }

  async ready(): Promise<void> {
    await Promise.all([this.queue.waitUntilReady(), this.events.waitUntilReady()]);
  }

  /** Redis calls are counted and retried while Redis is away. */
  private async redis<T>(what: string, call: () => Promise<T>): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      this.stats.calls++;
      try {
        return await call();
      } catch (err) {
        if (this.closed || attempt >= 60 || !isConnectionError(err)) throw err;
        if (attempt === 0) this.o.onMessage?.(`redis: ${what}: ${(err as Error).message}; retrying`);
        await sleep(1_000);
      }
    }
  }

  private add(batch: number, texts: string[]) {
    return this.redis('add', () =>
      this.queue.add(
        'encode',
        { fingerprint: this.o.fingerprint, side: this.o.side, texts },
        {
          jobId: this.jobId(batch),
          attempts: this.o.attempts ?? 5,
          backoff: { type: 'exponential', delay: this.o.backoffMs ?? 1_000 },
          removeOnComplete: { age: DAY_SECONDS },
          removeOnFail: { age: DAY_SECONDS },
        },
      ),
    );
  }

  async encode(batch: number, texts: string[]): Promise<EncodedBatch> {
    const id = this.jobId(batch);
    this.pending.add(batch);
    await this.add(batch, texts);
    for (;;) {
      const woken = new Promise<void>((resolve) => this.waiters.set(id, resolve));
      // the state first, then the job: a job read before it completed would carry no result
      const state = await this.redis('job state', () => this.queue.getJobState(id));
      if (state === 'unknown') {
        this.o.onMessage?.(`batch ${batch}: job ${id} is not in Redis any more (Redis restarted without it?): adding it again`);
        await this.add(batch, texts);
        continue;
      }
      if (state === 'completed' || state === 'failed') {
        const job = await this.redis('read a job', () => Job.fromId<EncodeJobData, EncodeJobResult>(this.queue, id));
        if (job === undefined) continue;
        this.waiters.delete(id);
        if (state === 'failed') {
          const refused = job.failedReason?.includes('ENCODER_MISMATCH');
          throw new AppError(refused ? 'ENCODER_MISMATCH' : 'ENCODE_JOB_FAILED', `batch ${batch} (job ${id}) failed after ${job.attemptsMade} attempt(s): ${job.failedReason}`);
        }
        let vectors: SparseVector[];
        try {
          vectors = unpackVectors(job.returnvalue, texts.length);
        } catch (err) {
          throw new AppError('ENCODE_JOB_FAILED', `batch ${batch} (job ${id}): ${(err as Error).message}`);
        }
        return { vectors, written: () => this.remove(batch) };
      }
      await Promise.race([woken, sleep(this.o.pollMs ?? 500)]);
    }
  }

  /** The batch is written: its job leaves Redis. */
  async remove(batch: number): Promise<void> {
    this.pending.delete(batch);
    this.stats.batches++;
    await this.redis('remove a job', () => this.queue.remove(this.jobId(batch)));
  }

  /** Removes finished jobs of batches `from`..`to` - 1 that a crashed producer left behind. */
  async removeRange(from: number, to: number): Promise<void> {
    for (let b = Math.max(0, from); b < to; b++) await this.redis('remove a job', () => this.queue.remove(this.jobId(b)));
  }

  async close(): Promise<void> {
    this.closed = true;
    // jobs of batches never written (a failed or interrupted run) are withdrawn where possible
    for (const batch of this.pending) await this.queue.remove(this.jobId(batch)).catch(() => 0);
    for (const wake of this.waiters.values()) wake();
    await Promise.allSettled([this.events.close(), this.queue.close()]);
  }
}

export function isConnectionError(err: unknown): boolean {
  const text = `${(err as { code?: unknown })?.code ?? ''} ${(err as Error)?.message ?? ''}`;
  return /ECONNREFUSED|ECONNRESET|EPIPE|ETIMEDOUT|Connection is closed|LOADING|Stream isn't writeable|READONLY/i.test(text);
}
