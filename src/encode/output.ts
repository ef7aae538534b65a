/**
 * The output file of `sparrow encode`, written in input order however batches complete: a
 * reorder buffer holds the batches that finished early, and only the contiguous run from the
 * next expected batch is appended. A checkpoint beside the output (OUTPUT.checkpoint.json, written
 * atomically after an fsync of the output) names the last contiguous batch written: the output's
 * length then, and the input position after it. A resumed run truncates the output to that length
 * (a partial last line, or batches written after the checkpoint, go away) and reads the input
 * from that position: no line twice, none missing. The checkpoint is deleted when the run is done.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { AppError } from '../errors.js';
import { writeJsonAtomic } from '../bulk/checkpoint.js';
import { INPUT_START, type EncodeSide, type InputPosition } from './records.js';

/** What a run is: a resumed run must be the same one (same input, batches and encoder). */
export interface EncodeRunKey {
  input: string;
  side: EncodeSide;
  batchSize: number;
  fingerprint: string;
}

/** Where the run stands after the batches written so far. */
export interface RunPosition {
  nextBatch: number;
  /** the input line after the last record written */
  at: InputPosition;
  records: number;
}

interface CheckpointFile extends EncodeRunKey, RunPosition {
  version: 1;
  outputBytes: number;
}

const CHECKPOINT_EVERY_MS = 1_000;

export function checkpointPathOf(output: string): string {
  return `${output}.checkpoint.json`;
}

/** OUTPUT.lock names the process writing OUTPUT: a second run on one output is refused while the
 * first lives (a lock left by a dead process on this host is taken over). */
function lockOutput(output: string): string {
  const lock = `${output}.lock`;
  const me = { pid: process.pid, host: os.hostname() };
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      fs.writeFileSync(lock, JSON.stringify(me), { flag: 'wx' });
      return lock;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    let owner: { pid?: unknown; host?: unknown } = {};
    try {
      owner = JSON.parse(fs.readFileSync(lock, 'utf8')) as typeof owner;
    } catch {
      // a torn lock file: its writer died while writing it
    }
    if (owner.host === me.host && typeof owner.pid === 'number' && isAlive(owner.pid)) {
      throw invalid(`${output} is being written by another sparrow encode (pid ${owner.pid}); wait for it or stop it`);
    }
    if (owner.host !== undefined && owner.host !== me.host) throw invalid(`${output} is locked by a process on ${String(owner.host)} (${lock}); delete the lock if that process is gone`);
    fs.rmSync(lock, { force: true });
  }
  throw invalid(`cannot lock ${output}: ${lock} keeps reappearing`);
}

/** The input may change after the checkpoint (a malformed line fixed), not before: it must still
 * reach the checkpoint's offset with a line ending there. */
function checkInputPrefix(input: string, offset: number): void {
  if (offset === 0) return;
  const ok = fs.statSync(input).size >= offset && readByte(input, offset - 1) === 10;
  if (!ok) throw invalid(`${input} changed before the point the checkpoint reached (byte ${offset}): delete the output and its checkpoint to start over`);
}

function readByte(file: string, at: number): number {
  const fd = fs.openSync(file, 'r');
  try {
    const b = Buffer.alloc(1);
    fs.readSync(fd, b, 0, 1, at);
    return b[0];
  } finally {
    fs.closeSync(fd);
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function invalid(message: string): AppError {
  return new AppError('INVALID_CONFIG', message);
}

function readCheckpointFile(file: string): CheckpointFile {
  try {
    const cp = JSON.parse(fs.readFileSync(file, 'utf8')) as CheckpointFile;
    if (cp.version === 1 && Number.isInteger(cp.outputBytes) && Number.isInteger(cp.nextBatch) && Number.isInteger(cp.at?.offset)) return cp;
  } catch {
    // reported below
  }
  throw invalid(`checkpoint ${file} is not a checkpoint of sparrow encode: delete it and the output to start over`);
}

interface Pending {
  text: string;
  after: RunPosition;
  written: () => void;
  failed: (err: unknown) => void;
}

export class EncodeOutput {
  private readonly reorder = new Map<number, Pending>();
  private position: RunPosition;
  private outputBytes: number;
  private io: Promise<void> = Promise.resolve();
  private lastCheckpoint = 0;
  private failure: unknown;
  private abandoned: unknown;

  private constructor(
    readonly file: string,
    private readonly key: EncodeRunKey,
    private readonly fd: fs.promises.FileHandle,
    private readonly lock: string,
    readonly start: RunPosition,
    outputBytes: number,
  ) {
    this.position = start;
    this.outputBytes = outputBytes;
  }

  /** Starts a new output, or resumes the run its checkpoint describes (which must be this run). */
  static async open(file: string, key: EncodeRunKey): Promise<EncodeOutput> {
    fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
    const lock = lockOutput(file);
    try {
      return await EncodeOutput.openLocked(file, key, lock);
    } catch (err) {
      fs.rmSync(lock, { force: true });
      throw err;
    }
  }

  private static async openLocked(file: string, key: EncodeRunKey, lock: string): Promise<EncodeOutput> {
    const cpFile = checkpointPathOf(file);
    let start: RunPosition = { nextBatch: 0, at: INPUT_START, records: 0 };
    let bytes = 0;
    if (fs.existsSync(cpFile)) {
      const cp = readCheckpointFile(cpFile);
      for (const field of ['input', 'side', 'batchSize', 'fingerprint'] as const) {
        if (cp[field] !== key[field]) {
          throw invalid(`${file} belongs to another run (${field}: ${JSON.stringify(cp[field])} there, ${JSON.stringify(key[field])} now): resume with the same input, --side, --batch and model, or delete ${file} and ${cpFile}`);
        }
      }
      checkInputPrefix(key.input, cp.at.offset);
      const size = fs.existsSync(file) ? fs.statSync(file).size : 0;
      if (size < cp.outputBytes) throw invalid(`${file} is shorter (${size} bytes) than its checkpoint says (${cp.outputBytes}): delete it and ${cpFile} to start over`);
      start = { nextBatch: cp.nextBatch, at: cp.at, records: cp.records };
      bytes = cp.outputBytes;
    } else if (fs.existsSync(file)) {
      throw invalid(`${file} exists and has no checkpoint (a finished run, or another file): delete it or choose another --output`);
    } else {
      await writeJsonAtomic(cpFile, { version: 1, ...key, ...start, outputBytes: 0 } satisfies CheckpointFile);
    }
    const fd = await fs.promises.open(file, fs.existsSync(file) ? 'r+' : 'w');
    await fd.truncate(bytes);
    return new EncodeOutput(file, key, fd, lock, start, bytes);
  }

  /** Where the run stands: everything before it is in the file. */
  get written(): RunPosition {
    return this.position;
  }

  /** Hands over batch `batch` (its lines, and the position after it); resolves once its lines are
   * in the file, i.e. after every earlier batch. */
  put(batch: number, text: string, after: RunPosition): Promise<void> {
    const refusal = this.failure ?? this.abandoned;
    if (refusal !== undefined) return Promise.reject(refusal);
    if (batch < this.position.nextBatch || this.reorder.has(batch)) return Promise.resolve(); // a duplicate delivery
    return new Promise<void>((written, failed) => {
      this.reorder.set(batch, { text, after, written, failed });
      this.io = this.io.then(() => this.drain());
    });
  }

  /** A batch failed: the batches waiting for it are refused (put rejects); what is written stays. */
  abandon(err: unknown): void {
    this.abandoned ??= err;
    for (const p of this.reorder.values()) p.failed(err);
    this.reorder.clear();
  }

  /** Batches waiting for an earlier one. */
  get buffered(): number {
    return this.reorder.size;
  }

  /** Never rejects: a write failure fails every batch waiting, and every later put. */
  private async drain(): Promise<void> {
    if (this.failure !== undefined) return;
    try {
      for (let next = this.reorder.get(this.position.nextBatch); next !== undefined; next = this.reorder.get(this.position.nextBatch)) {
        this.reorder.delete(this.position.nextBatch);
        const bytes = Buffer.from(next.text, 'utf8');
        await this.fd.write(bytes, 0, bytes.length, this.outputBytes);
        this.outputBytes += bytes.length;
        this.position = next.after;
        next.written();
      }
      if (performance.now() - this.lastCheckpoint >= CHECKPOINT_EVERY_MS) await this.checkpoint();
    } catch (err) {
      this.failure = err;
      for (const p of this.reorder.values()) p.failed(err);
      this.reorder.clear();
    }
  }

  private async checkpoint(): Promise<void> {
    await this.fd.datasync();
    await writeJsonAtomic(checkpointPathOf(this.file), { version: 1, ...this.key, ...this.position, outputBytes: this.outputBytes } satisfies CheckpointFile);
    this.lastCheckpoint = performance.now();
  }

  /** Stops: the checkpoint names what is written (a later run resumes there); `done` removes it. */
  async close(done: boolean): Promise<void> {
    try {
      await this.io;
      if (this.failure === undefined) {
        if (done) {
          await this.fd.datasync();
          fs.rmSync(checkpointPathOf(this.file), { force: true });
        } else await this.checkpoint();
      }
    } finally {
      await this.fd.close();
      fs.rmSync(this.lock, { force: true });
    }
  }
}
