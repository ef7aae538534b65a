/**
 * The one encoder worker pool of the process (piscina). Sized by the CPU budget
 * (cpu.encoderWorkers threads, each ONNX session with cpu.onnxIntraOpThreads threads); a bounded
 * queue (cpu.encoderQueue tasks) whose overflow is AppError OVERLOADED with a retry delay (the HTTP
 * layer answers 503 + Retry-After); idle workers exit after IDLE_MS and release their sessions;
 * a crashed worker is replaced by piscina. Results arrive as transferred TypedArrays.
 */
import { Piscina } from 'piscina';
import type { CpuConfig } from '../config.js';
import { AppError, ERROR_CODES, type ErrorCode } from '../errors.js';
import type { EncodedDocument } from '../encoder/types.js';
import { unpackDocuments, type EncodeReply, type EncodeTask, type EncoderSpec } from './protocol.js';

const IDLE_MS = 60_000;
/** Seconds a client is told to wait when the queue is full. */
export const OVERLOADED_RETRY_AFTER = 1;

/** The worker entry beside this file: .ts under vitest/tsx (loaded through tsx), .js from dist/. */
function workerEntry(): { filename: string; execArgv: string[] } {
  const fromSource = import.meta.url.endsWith('.ts');
  const filename = new URL(fromSource ? './encode-worker.ts' : './encode-worker.js', import.meta.url).href;
  return { filename, execArgv: fromSource ? ['--import', 'tsx'] : [] };
}

export class EncoderPool {
  private readonly piscina: Piscina<EncodeTask, EncodeReply>;
  private isClosed = false;
  private readonly inFlight = new Set<Promise<unknown>>();

  /** idleTimeoutMs: an idle worker exits after this long, releasing its ONNX sessions (recycling). */
  constructor(
    readonly cpu: Pick<CpuConfig, 'encoderWorkers' | 'encoderQueue'>,
    idleTimeoutMs = IDLE_MS,
  ) {
    if (!Number.isInteger(cpu.encoderWorkers) || cpu.encoderWorkers < 1) throw new TypeError('cpu.encoderWorkers must be an integer >= 1');
    if (!Number.isInteger(cpu.encoderQueue) || cpu.encoderQueue < 0) throw new TypeError('cpu.encoderQueue must be an integer >= 0');
    this.piscina = new Piscina({
      ...workerEntry(),
      minThreads: 0,
      maxThreads: cpu.encoderWorkers,
      idleTimeout: idleTimeoutMs,
      maxQueue: cpu.encoderQueue,
      // Workers wait for tasks on their message port rather than blocking in Atomics.wait, so
      // their event loop (ONNX promises, timers) keeps running between tasks.
      atomics: 'disabled',
    });
    // A worker that fails outside any task (while starting, or as close() terminates it) is replaced
    // by piscina and reported here: with no listener the pool's 'error' event would be thrown as an
    // uncaught exception and stop the server (on SIGTERM: exit code 1 instead of a clean exit).
    this.piscina.on('error', (err: unknown) => console.error('sparrow: an encoder worker failed outside a task:', err));
  }

  get closed(): boolean {
    return this.isClosed;
  }

  get threads(): number {
    return this.piscina.threads.length;
  }

  get queueSize(): number {
    return this.piscina.queueSize;
  }

  /** Encodes texts in one task on one worker. */
  async run(spec: EncoderSpec, texts: string[]): Promise<EncodedDocument[]> {
    return unpackDocuments((await this.task({ spec, texts })).docs);
  }

  /** SPLADE attribution of texts in one task (EncodeTask.attribute): 'pooled' when the model cannot tell. */
  async attribute(spec: EncoderSpec, texts: string[]): Promise<EncodedDocument[] | 'pooled'> {
    const reply = await this.task({ spec, texts, attribute: true });
    return reply.pooled ? 'pooled' : unpackDocuments(reply.docs);
  }

  private async task(input: EncodeTask): Promise<Extract<EncodeReply, { ok: true }>> {
    if (this.isClosed) throw new AppError('SHUTTING_DOWN', 'the encoder pool is closed');
    let reply: EncodeReply;
    const task = this.piscina.run(input);
    this.inFlight.add(task);
    try {
      reply = await task;
    } catch (err) {
      if ((err as Error).message === 'Task queue is at limit') throw this.overloaded();
      throw err;
    } finally {
      this.inFlight.delete(task);
    }
    if (!reply.ok) throw new AppError(reply.code in ERROR_CODES ? (reply.code as ErrorCode) : 'INTERNAL', reply.message);
    return reply;
  }

  /** Encodes texts split into tasks of about `perTask` texts, spread over the workers. Tasks grow
   * so that one call alone never needs more than the queue holds; a call that does not fit in what
   * is free is refused whole (OVERLOADED) rather than in part. */
  async runAll(spec: EncoderSpec, texts: string[], perTask: number): Promise<EncodedDocument[]> {
    const size = Math.max(perTask, Math.ceil(texts.length / Math.max(1, this.cpu.encoderQueue)));
    const needed = Math.ceil(texts.length / size);
    if (needed > 1 && needed > this.cpu.encoderQueue - this.piscina.queueSize) throw this.overloaded();
    const tasks: Array<Promise<EncodedDocument[]>> = [];
    for (let i = 0; i < texts.length; i += size) tasks.push(this.run(spec, texts.slice(i, i + size)));
    return (await Promise.all(tasks)).flat();
  }

  async close(): Promise<void> {
    if (this.isClosed) return;
    this.isClosed = true;
    // Tasks already accepted finish; new ones get SHUTTING_DOWN.
    await Promise.allSettled([...this.inFlight]);
    await this.piscina.close();
  }

  private overloaded(): AppError {
    return new AppError('OVERLOADED', `encoder queue is full (${this.cpu.encoderQueue} tasks waiting); retry later`, { retryAfter: OVERLOADED_RETRY_AFTER });
  }
}

let shared: EncoderPool | undefined;

/** The process's pool, created on first use with this CPU budget. */
export function getEncoderPool(cpu: CpuConfig): EncoderPool {
  if (shared === undefined || shared.closed) shared = new EncoderPool(cpu);
  return shared;
}

/** Closes the process's pool (server shutdown). */
export async function closeEncoderPool(): Promise<void> {
  const pool = shared;
  shared = undefined;
  await pool?.close();
}
