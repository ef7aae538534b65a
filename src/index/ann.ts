/**
 * Approximate dense search: a usearch HNSW index living in its own worker thread
 * (src/index/ann-worker.ts), so inserts never block the event loop.
 *
 * Persistence: saveSnapshot(dir, seq) writes `dense-ann-<seq>.usearch` and then the small manifest
 * `dense-ann.json` naming it and the last sequence number it contains (temp name, fsync, rename,
 * fsync dir: the manifest only ever names a complete file). openSnapshot(dir) loads it; the caller
 * replays rows newer than `seq` from SQLite and removes tombstoned docnos. The snapshot is derived
 * data: a missing, foreign or damaged one (size + SHA-256 checked before usearch reads it: usearch
 * trusts its input) is reported as absent and the index is rebuilt.
 *
 * Results are docnos with usearch distances (1 − dot for "dot", 1 − cosine for "cosine"); the dense
 * field rescores them exactly, so approximate and exact paths report identical scores.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { Worker } from 'node:worker_threads';
import { DEFAULT_DENSE_INDEX } from '../config.js';
import { AppError } from '../errors.js';
import type { AnnMatches, AnnReply, AnnRequest, AnnWorkerInit } from './ann-worker.js';
import { startModuleWorker } from '../workers/module-worker.js';

export type { AnnMatches } from './ann-worker.js';

export interface AnnOptions {
  dims: number;
  metric: 'dot' | 'cosine';
  /** HNSW graph degree (M) */
  connectivity?: number;
  /** candidate list size while inserting (efConstruction) */
  expansionAdd?: number;
  /** candidate list size while searching (ef); results beyond it are not found */
  expansionSearch?: number;
  /** threads usearch may use for an insert batch (default 1: one of the CPU budget's consumers) */
  threads?: number;
}

export const DEFAULT_ANN = DEFAULT_DENSE_INDEX.ann;

export const ANN_MANIFEST = 'dense-ann.json';
const ANN_FORMAT = 1;
/** Rows per message: searches queued meanwhile wait for at most one slice of inserts. */
const ADD_SLICE_ROWS = 512;

interface AnnManifest {
  format: number;
  dims: number;
  metric: 'dot' | 'cosine';
  connectivity: number;
  seq: number;
  file: string;
  /** integrity of the usearch file, checked before loading it (usearch trusts its input) */
  bytes: number;
  sha256: string;
  /** the docnos the index holds (little-endian uint32), so the caller can reconcile by docno */
  docnosFile: string;
}

const CLOSE_TIMEOUT_MS = 30_000;

type Pending = { resolve: (v: unknown) => void; reject: (e: Error) => void };
type Op<R extends AnnRequest> = R extends unknown ? Omit<R, 'id'> : never;

/** Starts the worker (ann-worker.ts, or .js when built). */
function spawnWorker(init: AnnWorkerInit): Worker {
  return startModuleWorker(import.meta.url, 'ann-worker', { workerData: init });
}

export class AnnIndex {
  readonly dims: number;
  readonly metric: 'dot' | 'cosine';
  readonly connectivity: number;
  private readonly worker: Worker;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private failure?: Error;
  private closed = false;

  private constructor(worker: Worker, init: AnnWorkerInit) {
    this.worker = worker;
    this.dims = init.dims;
    this.metric = init.metric;
    this.connectivity = init.connectivity;
    worker.on('message', (reply: AnnReply) => this.settle(reply));
    worker.on('error', (err) => this.fail(err));
    worker.on('exit', (code) => this.fail(new Error(`ANN worker exited with code ${code}`)));
  }

  /** A new empty index. */
  static async create(options: AnnOptions): Promise<AnnIndex> {
    return AnnIndex.start(resolveOptions(options));
  }

  /**
   * The snapshot in `dir`, the last sequence number and the docnos it holds, or undefined when there
   * is none usable (absent, another dims/metric/format, or damaged): then build from all rows.
   */
  static async openSnapshot(dir: string, options: AnnOptions): Promise<{ index: AnnIndex; seq: number; docnos: Uint32Array } | undefined> {
    const init = resolveOptions(options);
    const manifest = readManifest(dir);
    if (!manifest || manifest.dims !== init.dims || manifest.metric !== init.metric || manifest.connectivity !== init.connectivity) return undefined;
    const file = path.join(dir, manifest.file);
    try {
      if (fs.statSync(file).size !== manifest.bytes || (await sha256Of(file)) !== manifest.sha256) return undefined;
      const raw = fs.readFileSync(path.join(dir, manifest.docnosFile));
      if (raw.length % 4 !== 0) return undefined;
      const docnos = new Uint32Array(raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.length));
      return { index: await AnnIndex.start({ ...init, loadPath: file }), seq: manifest.seq, docnos };
    } catch {
      return undefined; // damaged file: the caller rebuilds from SQLite
    }
  }

  private static start(init: AnnWorkerInit): Promise<AnnIndex> {
    const worker = spawnWorker(init);
    return new Promise((resolve, reject) => {
      const onError = (err: Error): void => reject(err);
      const onExit = (code: number): void => reject(new Error(`ANN worker exited with code ${code} while starting`));
      worker.once('error', onError);
      worker.once('exit', onExit);
      worker.once('message', () => {
        worker.off('error', onError);
        worker.off('exit', onExit);
        resolve(new AnnIndex(worker, init));
      });
    });
  }

  /**
   * Inserts rows (row-major docnos.length × dims); a docno already present is replaced. The
   * messages are posted before this returns, so a later search or snapshot sees these rows.
   */
  add(docnos: Uint32Array, vectors: Float32Array): Promise<void> {
    if (!(docnos instanceof Uint32Array)) throw new TypeError('docnos must be a Uint32Array');
    if (!(vectors instanceof Float32Array) || vectors.length !== docnos.length * this.dims) {
      throw new TypeError(`vectors must be a Float32Array of docnos.length × ${this.dims} floats`);
    }
    const sent = [this.remove(docnos)]; // usearch (multi: false) refuses a key twice: an update replaces
    for (let at = 0; at < docnos.length; at += ADD_SLICE_ROWS) {
      const end = Math.min(docnos.length, at + ADD_SLICE_ROWS);
      sent.push(this.call({ op: 'add', docnos: docnos.slice(at, end), vectors: vectors.slice(at * this.dims, end * this.dims) }).then(() => undefined));
    }
    return Promise.all(sent).then(() => undefined);
  }

  /** Removes docnos (absent ones are ignored); posted before this returns, like add. */
  remove(docnos: Uint32Array): Promise<void> {
    if (!(docnos instanceof Uint32Array)) throw new TypeError('docnos must be a Uint32Array');
    if (docnos.length === 0) return Promise.resolve();
    return this.call({ op: 'remove', docnos: docnos.slice() }).then(() => undefined);
  }

  /** The approximate k nearest, best first. */
  search(query: Float32Array, k: number): Promise<AnnMatches> {
    if (!(query instanceof Float32Array) || query.length !== this.dims) throw new TypeError(`query must be a Float32Array of ${this.dims} floats`);
    if (!Number.isInteger(k) || k < 1) throw new TypeError('k must be a positive integer');
    return this.call({ op: 'search', query: query.slice(), k }) as Promise<AnnMatches>;
  }

  /** Vectors in the index (inserts and removals sent before this call included). */
  size(): Promise<number> {
    return this.call({ op: 'size' }) as Promise<number>;
  }

  /**
   * Persists everything sent before this call as the snapshot of `dir`, holding rows up to `seq`;
   * `docnos` must be exactly the docnos those writes leave in the index. Older snapshot files are
   * removed once the manifest names the new ones.
   */
  async saveSnapshot(dir: string, seq: number, docnos: Uint32Array): Promise<void> {
    if (!Number.isInteger(seq) || seq < 0) throw new TypeError('seq must be an integer >= 0');
    if (!(docnos instanceof Uint32Array)) throw new TypeError('docnos must be a Uint32Array');
    fs.mkdirSync(dir, { recursive: true });
    const file = `dense-ann-${seq}.usearch`;
    const docnosFile = `dense-ann-${seq}.docnos`;
    const tmp = path.join(dir, `${file}.tmp`);
    const saved = this.call({ op: 'save', path: tmp }); // posted now: after every earlier write
    writeDurable(path.join(dir, docnosFile), Buffer.from(docnos.buffer, docnos.byteOffset, docnos.byteLength));
    await saved;
    fsyncFile(tmp);
    const integrity = { bytes: fs.statSync(tmp).size, sha256: await sha256Of(tmp) };
    fs.renameSync(tmp, path.join(dir, file));
    const manifest: AnnManifest = { format: ANN_FORMAT, dims: this.dims, metric: this.metric, connectivity: this.connectivity, seq, file, ...integrity, docnosFile };
    writeDurable(path.join(dir, ANN_MANIFEST), Buffer.from(JSON.stringify(manifest)));
    fsyncFile(dir);
    for (const name of fs.readdirSync(dir)) {
      if (name.startsWith('dense-ann-') && name !== file && name !== docnosFile) fs.rmSync(path.join(dir, name), { force: true });
    }
  }

  /** Lets queued operations finish, then the worker exits by itself (terminate() only as a last
   * resort after CLOSE_TIMEOUT_MS: stopping a thread inside a native usearch call aborts the process). */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.failure === undefined) {
      const exited = new Promise<void>((resolve) => this.worker.once('exit', () => resolve()));
      this.worker.postMessage({ id: this.nextId++, op: 'close' } satisfies AnnRequest);
      let timer: NodeJS.Timeout | undefined;
      const timedOut = new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(true), CLOSE_TIMEOUT_MS)));
      const late = await Promise.race([exited.then(() => false), timedOut]);
      clearTimeout(timer);
      if (late) await this.worker.terminate();
    } else {
      await this.worker.terminate();
    }
    this.fail(new AppError('SHUTTING_DOWN', 'ANN index is closed'));
  }

  private call(op: Op<AnnRequest>): Promise<unknown> {
    if (this.failure) return Promise.reject(this.failure);
    if (this.closed) return Promise.reject(new AppError('SHUTTING_DOWN', 'ANN index is closed'));
    const id = this.nextId++;
    const req = { ...op, id } as AnnRequest;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.worker.postMessage(req, transferables(req));
    });
  }

  private settle(reply: AnnReply): void {
    const p = this.pending.get(reply.id);
    if (!p) return;
    this.pending.delete(reply.id);
    if (reply.ok) p.resolve(reply.result);
    else p.reject(new AppError('INTERNAL', `ANN index: ${reply.message}`));
  }

  private fail(err: Error): void {
    this.failure ??= this.closed ? new AppError('SHUTTING_DOWN', 'ANN index is closed') : new AppError('INTERNAL', `ANN index failed: ${err.message}`, { cause: err });
    for (const p of this.pending.values()) p.reject(this.failure);
    this.pending.clear();
  }
}

function resolveOptions(o: AnnOptions): AnnWorkerInit {
  if (!Number.isInteger(o.dims) || o.dims < 1) throw new TypeError('dims must be a positive integer');
  if (o.metric !== 'dot' && o.metric !== 'cosine') throw new TypeError('metric must be "dot" or "cosine"');
  const init = { dims: o.dims, metric: o.metric, ...DEFAULT_ANN, threads: 1, ...stripUndefined(o) };
  for (const key of ['connectivity', 'expansionAdd', 'expansionSearch'] as const) {
    if (!Number.isInteger(init[key]) || init[key] < 2) throw new TypeError(`${key} must be an integer >= 2`);
  }
  if (!Number.isInteger(init.threads) || init.threads < 1 || init.threads > 256) throw new TypeError('threads must be an integer in [1, 256]');
  return init;
}

function stripUndefined(o: AnnOptions): Partial<AnnOptions> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));
}

function readManifest(dir: string): AnnManifest | undefined {
  try {
    const m = JSON.parse(fs.readFileSync(path.join(dir, ANN_MANIFEST), 'utf8')) as AnnManifest;
    if (m.format !== ANN_FORMAT || !Number.isInteger(m.seq) || typeof m.file !== 'string' || path.basename(m.file) !== m.file || typeof m.sha256 !== 'string' || typeof m.docnosFile !== 'string' || path.basename(m.docnosFile) !== m.docnosFile) return undefined;
    return m;
  } catch {
    return undefined;
  }
}

async function sha256Of(file: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of fs.createReadStream(file, { highWaterMark: 1 << 20 })) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** temp name, fsync, rename (the caller fsyncs the directory) */
function writeDurable(file: string, data: Buffer): void {
  const tmp = `${file}.tmp`;
  fs.writeFileSync(tmp, data);
  fsyncFile(tmp);
  fs.renameSync(tmp, file);
}

function fsyncFile(p: string): void {
  const fd = fs.openSync(p, 'r');
  try {
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

function transferables(req: AnnRequest): ArrayBuffer[] {
  // The arrays were sliced for the message: hand their buffers over instead of copying them.
  if (req.op === 'add') return [req.docnos.buffer as ArrayBuffer, req.vectors.buffer as ArrayBuffer];
  if (req.op === 'remove') return [req.docnos.buffer as ArrayBuffer];
  if (req.op === 'search') return [req.query.buffer as ArrayBuffer];
  return [];
}
