/**
 * The bulk index job: stream a BEIR-layout JSONL corpus into a sink (a collection in a data
 * directory, or a running server) in batches, a bounded number in flight.
 *
 * Guarantees:
 * - A batch is acknowledged only once the sink made it durable; nothing acknowledged is lost when
 *   the job dies, and running the job again skips what is stored (ids the sink reports as stored,
 *   and every line up to the checkpoint when one is kept), so a killed job resumes where it was.
 * - Writes are upserts by id: a batch re-sent after a crash replaces, never duplicates.
 * - An id is never in two batches in flight at once, so a later line with the same id wins.
 * - A 503 answer (encoder queue full, too many unsealed documents) is retried after its delay.
 */
import type { DocumentInput } from '../engine/types.js';
import { readCorpus } from '../eval/beir.js';
import { writeCheckpoint, type Checkpoint } from './checkpoint.js';

export interface DocumentSink {
  /** Which of these ids are stored already (an empty set when the sink cannot tell cheaply). */
  stored(ids: string[]): Promise<Set<string>>;
  /** Store a batch, all or nothing; resolves once durable. Retryable failures carry `retryAfter` seconds. */
  write(docs: DocumentInput[]): Promise<void>;
  /** Seal what was written (end of a complete run). */
  finish(): Promise<void>;
}

export interface IndexJobOptions {
  file: string;
  batchSize: number;
  /** batches in flight at once (encoding overlaps storing) */
  concurrency: number;
  onError: 'skip' | 'stop';
  /** progress file for sinks that cannot list stored ids: every line up to `line` is done */
  checkpoint?: { path: string; resumeFrom: Checkpoint | undefined };
  /** give up on a batch that stays overloaded this long */
  maxRetrySeconds: number;
  signal?: AbortSignal;
  onProgress?: (p: IndexProgress) => void;
  onMessage?: (message: string) => void;
  /** every document is stored; the sink now seals them (seconds, without progress of its own) */
  onSeal?: () => void;
}

export interface IndexProgress {
  indexed: number;
  bytes: number;
}

export interface IndexSummary {
  /** documents written by this run */
  indexed: number;
  /** documents found already stored (resume) */
  alreadyStored: number;
  /** lines skipped: malformed, or rejected by the sink under --on-error skip */
  skipped: number;
  errors: number;
  seconds: number;
  docsPerSecond: number;
  /** stopped early: --on-error stop, a fatal error, or an interrupt */
  failed: boolean;
  interrupted: boolean;
  /** 0 all indexed, 1 failed, 2 finished with skipped lines */
  exitCode: 0 | 1 | 2;
}

export const DEFAULT_INDEX_JOB = { batchSize: 256, concurrency: 2, onError: 'stop', maxRetrySeconds: 600 } as const;

interface Batch {
  firstLine: number;
  lastLine: number;
  lines: number[];
  docs: DocumentInput[];
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function retryAfterOf(err: unknown): number | undefined {
  if (err === null || typeof err !== 'object') return undefined;
  const { status, retryAfter } = err as { status?: unknown; retryAfter?: unknown };
  if (status !== 503) return undefined;
  return typeof retryAfter === 'number' && retryAfter > 0 ? retryAfter : 1;
}

/** write() with retries while the sink answers 503; other errors are thrown. */
export async function writeWithRetry(sink: DocumentSink, docs: DocumentInput[], maxRetrySeconds: number, signal?: AbortSignal): Promise<void> {
  let waited = 0;
  for (;;) {
    try {
      return await sink.write(docs);
    } catch (err) {
      const delay = retryAfterOf(err);
      if (delay === undefined || waited + delay > maxRetrySeconds || signal?.aborted) throw err;
      waited += delay;
      await sleep(delay * 1000);
    }
  }
}

export async function runIndexJob(sink: DocumentSink, options: IndexJobOptions): Promise<IndexSummary> {
  const started = performance.now();
  const say = options.onMessage ?? (() => undefined);
  const summary = { indexed: 0, alreadyStored: 0, skipped: 0, errors: 0, failed: false, interrupted: false };
  const inflight = new Map<Batch, Promise<void>>();
  const inflightIds = new Set<string>();
  const resumeLine = options.checkpoint?.resumeFrom?.line ?? 0;
  let pending: Batch = { firstLine: 0, lastLine: 0, lines: [], docs: [] };
  let pendingIds = new Set<string>();
  let lastLineRead = resumeLine;
  let bytes = 0;
  let fatal: unknown;
  /** the first line of a batch that failed: the checkpoint never passes it */
  let unackedFloor = Infinity;
  // Resume by id: skip the ids stored before this run. An earlier run acknowledged at most
  // `concurrency` batches out of order past its last complete one, so after more clean batches in a
  // row than that, the rest is new and the lookups stop. Until then the ids this run wrote are
  // remembered, so that an id repeated in the input is written again (the later line wins).
  let resuming = true;
  let cleanBatches = 0;
  const writtenThisRun = new Set<string>();

  const safeLine = (): number => {
    let line = pending.docs.length > 0 ? pending.firstLine - 1 : lastLineRead;
    for (const b of inflight.keys()) line = Math.min(line, b.firstLine - 1);
    return Math.min(line, unackedFloor - 1);
  };
  // saves are chained so that two acknowledgements never write the file at once
  let saving: Promise<void> = Promise.resolve();
  const saveCheckpoint = () => {
    const cp = options.checkpoint;
    if (cp) saving = saving.then(() => writeCheckpoint(cp.path, { file: options.file, line: safeLine() }));
    return saving;
  };

  const rejectDoc = (lineNo: number, message: string) => {
    summary.errors++;
    say(`${options.file}:${lineNo}: ${message}`);
    if (options.onError === 'stop') {
      summary.failed = true;
      unackedFloor = Math.min(unackedFloor, lineNo);
    } else summary.skipped++;
  };

  /** Store one batch. A batch the sink rejects (4xx) is retried document by document to find the
   * bad line: under --on-error stop the job stops there, under skip it goes on without it. */
  const store = async (batch: Batch): Promise<void> => {
    try {
      await writeWithRetry(sink, batch.docs, options.maxRetrySeconds, options.signal);
      summary.indexed += batch.docs.length;
      return;
    } catch (err) {
      if (!isDocumentError(err)) {
        unackedFloor = Math.min(unackedFloor, batch.firstLine);
        throw err;
      }
      if (batch.docs.length === 1) {
        rejectDoc(batch.firstLine, messageOf(err, batch));
        return;
      }
    }
    for (let i = 0; i < batch.docs.length; i++) {
      if (summary.failed) {
        unackedFloor = Math.min(unackedFloor, batch.lines[i]);
        return;
      }
      await store({ firstLine: batch.lines[i], lastLine: batch.lines[i], lines: [batch.lines[i]], docs: [batch.docs[i]] });
    }
  };

  const dispatch = async (batch: Batch) => {
    if (resuming) {
      const stored = await sink.stored(batch.docs.map((d) => d.id).filter((id) => !writtenThisRun.has(id)));
      cleanBatches = stored.size === 0 ? cleanBatches + 1 : 0;
      if (cleanBatches > options.concurrency) {
        resuming = false; // past whatever an earlier run can have acknowledged
        writtenThisRun.clear();
      } else for (const d of batch.docs) if (!stored.has(d.id)) writtenThisRun.add(d.id);
      if (stored.size > 0) {
        const keep = batch.docs.map((d, i) => [d, batch.lines[i]] as const).filter(([d]) => !stored.has(d.id));
        summary.alreadyStored += batch.docs.length - keep.length;
        batch = { ...batch, docs: keep.map(([d]) => d), lines: keep.map(([, l]) => l) };
        if (batch.docs.length === 0) return;
      }
    }
    while (inflight.size >= options.concurrency || batch.docs.some((d) => inflightIds.has(d.id))) await Promise.race(inflight.values());
    for (const d of batch.docs) inflightIds.add(d.id);
    const done = store(batch)
      .catch((err) => {
        fatal ??= err;
      })
      .finally(() => {
        inflight.delete(batch);
        for (const d of batch.docs) inflightIds.delete(d.id);
        options.onProgress?.({ indexed: summary.indexed, bytes });
      })
      .then(saveCheckpoint);
    inflight.set(batch, done);
  };

  const flushPending = async () => {
    if (pending.docs.length === 0) return;
    const batch = pending;
    pending = { firstLine: 0, lastLine: 0, lines: [], docs: [] };
    pendingIds = new Set();
    await dispatch(batch);
  };

  for await (const line of readCorpus(options.file)) {
    if (summary.failed || fatal !== undefined) break;
    if (options.signal?.aborted) {
      summary.interrupted = true;
      break;
    }
    bytes = line.bytes;
    if (line.lineNo <= resumeLine) continue;
    if ('error' in line) {
      if (options.onError === 'stop') await flushPending(); // the valid lines before it are written
      rejectDoc(line.lineNo, line.error);
      lastLineRead = line.lineNo;
      continue;
    }
    if (pendingIds.has(line.doc.id)) await flushPending();
    if (pending.docs.length === 0) pending.firstLine = line.lineNo;
    pending.docs.push(line.doc);
    pending.lines.push(line.lineNo);
    pending.lastLine = line.lineNo;
    pendingIds.add(line.doc.id);
    lastLineRead = line.lineNo;
    if (pending.docs.length >= options.batchSize) await flushPending();
  }
  if (!summary.failed && fatal === undefined && !summary.interrupted) await flushPending();
  await Promise.all(inflight.values());
  if (fatal !== undefined) {
    summary.failed = true;
    summary.errors++;
    say(`error: ${messageOf(fatal)}`);
  }
  if (!summary.failed && !summary.interrupted) {
    options.onSeal?.();
    await sink.finish();
  }
  const seconds = (performance.now() - started) / 1000;
  const exitCode = summary.failed || summary.interrupted ? 1 : summary.skipped > 0 ? 2 : 0;
  return { ...summary, seconds, docsPerSecond: summary.indexed / Math.max(seconds, 1e-9), exitCode };
}

/** A rejection of the documents themselves (400, 413), as opposed to the sink failing (401, 404, 5xx). */
function isDocumentError(err: unknown): boolean {
  const status = (err as { status?: unknown } | null)?.status;
  return status === 400 || status === 413;
}

function messageOf(err: unknown, batch?: Batch): string {
  const e = err as { code?: unknown; message?: unknown };
  const text = typeof e?.message === 'string' ? e.message : String(err);
  const prefix = typeof e?.code === 'string' ? `${e.code}: ` : '';
  const where = batch && batch.docs.length === 1 ? ` (document ${JSON.stringify(batch.docs[0].id)})` : '';
  return `${prefix}${text}${where}`;
}
