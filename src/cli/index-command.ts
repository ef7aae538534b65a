/**
 * `sparrow index INPUT --collection NAME`: the bulk index job from the command line. Writes into a
 * data directory (server stopped) or, with --url, through a running server.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { defaultConfig } from '../config.js';
import type { CollectionConfig, CollectionManager, EncoderConfig } from '../engine/types.js';
import { AppError } from '../errors.js';
import { createEncoder } from '../encoder/factory.js';
import { EngineManager } from '../engine/manager.js';
import { closeEncoderPool } from '../workers/pool.js';
import { readCheckpoint } from '../bulk/checkpoint.js';
import { checkEncoderCanIndex } from '../bulk/encoder-check.js';
import { DEFAULT_INDEX_JOB, runIndexJob, type DocumentSink, type IndexSummary } from '../bulk/index-job.js';
import { CollectionSink, HttpSink, QueueEncodingSink } from '../bulk/index-sinks.js';
import { encodeCpu, ModelEncoder } from '../encode/model-encoder.js';
import { QueueEncoder, runId } from '../encode/queue.js';
import { createProgress, formatSummary } from './progress.js';

export interface IndexCommandOptions {
  input: string;
  collection: string;
  dataDir: string;
  url?: string;
  apiKey?: string;
  encoder: EncoderConfig;
  batchSize: number;
  concurrency: number;
  onError: 'skip' | 'stop';
  checkpoint?: string;
  /** encode on encode workers over this queue (splade with a model only) */
  encodeQueue?: { url: string; queueName?: string };
  out?: NodeJS.WritableStream;
  tty?: boolean;
  signal?: AbortSignal;
}

/** A JSONL file, or a BEIR folder (its corpus.jsonl). */
export function corpusFile(input: string): string {
  if (!fs.existsSync(input)) throw new AppError('INVALID_DATASET', `input ${input} does not exist`);
  if (!fs.statSync(input).isDirectory()) return input;
  const corpus = path.join(input, 'corpus.jsonl');
  if (!fs.existsSync(corpus)) throw new AppError('INVALID_DATASET', `folder ${input} has no corpus.jsonl (a BEIR folder is expected)`);
  return corpus;
}

/** The open collections of a data directory, with the production encoders (one worker pool). */
export async function openDataDir(dataDir: string): Promise<{ manager: CollectionManager; close(): Promise<void> }> {
  const config = defaultConfig();
  const manager = await EngineManager.open({
    dataDir,
    cpu: config.cpu,
    index: config.index,
    // kind "splade" without a model: a collection of pre-encoded vectors (no encoder to run)
    encoderFor: async ({ encoder }, cpu) => (encoder.kind === 'splade' && encoder.model === undefined ? undefined : createEncoder(encoder, cpu)),
  });
  return {
    manager,
    close: async () => {
      await manager.close();
      await closeEncoderPool();
    },
  };
}

export async function getOrCreateCollection(manager: CollectionManager, name: string, config: Partial<CollectionConfig>) {
  return manager.list().includes(name) ? manager.get(name) : manager.create(name, config);
}

/** Run the job with progress and a summary; returns the exit code. */
export async function indexCommand(o: IndexCommandOptions): Promise<IndexSummary> {
  const file = corpusFile(o.input);
  const out = o.out ?? process.stderr;
  const progress = createProgress({ totalBytes: fs.statSync(file).size, tty: o.tty ?? Boolean((out as { isTTY?: boolean }).isTTY), out });
  const job = {
    file,
    batchSize: o.batchSize,
    concurrency: o.concurrency,
    onError: o.onError,
    maxRetrySeconds: DEFAULT_INDEX_JOB.maxRetrySeconds,
    signal: o.signal,
    onProgress: progress.update,
    onMessage: progress.message,
    onSeal: () => progress.stage('sealing… (building the search index of what was written)'),
  };
  const queued = o.encodeQueue === undefined ? undefined : await openEncodeQueue(o, o.encodeQueue, progress.message);
  const sinkOf = (sink: DocumentSink): DocumentSink => (queued ? new QueueEncodingSink(sink, queued.queue) : sink);
  let summary: IndexSummary;
  try {
    if (o.url) {
      const sink = new HttpSink({ url: o.url, apiKey: o.apiKey, collection: o.collection });
      await sink.ensureCollection({ encoder: o.encoder }, () => checkEncoderCanIndex(o.encoder, file));
      const checkpointPath = o.checkpoint ?? `.sparrow-index-${o.collection}.json`;
      summary = await runIndexJob(sinkOf(sink), { ...job, checkpoint: { path: checkpointPath, resumeFrom: readCheckpoint(checkpointPath, file) } });
      if (summary.exitCode !== 1) fs.rmSync(checkpointPath, { force: true });
    } else {
      const data = await openDataDir(o.dataDir);
      try {
        const created = !data.manager.list().includes(o.collection);
        if (created) await checkEncoderCanIndex(o.encoder, file);
        const collection = await getOrCreateCollection(data.manager, o.collection, { encoder: o.encoder });
        const sink: DocumentSink = new CollectionSink(collection);
        summary = await runIndexJob(sinkOf(sink), job);
        // a collection this run created and could not fill is not left behind
        if (created && summary.failed && collection.stats().documents === 0) {
          await data.manager.drop(o.collection);
          progress.message(`collection ${o.collection} removed: this run created it and stored nothing`);
        }
      } finally {
        await data.close();
      }
    }
  } finally {
    await queued?.close();
  }
  progress.stop();
  out.write(`${formatSummary(summary)}\n`);
  return summary;
}

/** The queue of `--encode-queue`: batches carry the fingerprint of the collection's model. */
async function openEncodeQueue(o: IndexCommandOptions, q: { url: string; queueName?: string }, say: (text: string) => void) {
  if (o.encoder.kind !== 'splade' || o.encoder.model === undefined) throw new AppError('INVALID_CONFIG', '--encode-queue needs --encoder splade --model DIR (the model the encode workers run)');
  const model = await ModelEncoder.open({ modelDir: o.encoder.model, cpu: encodeCpu(1) });
  const fingerprint = model.fingerprint('document');
  await model.close();
  const queue = new QueueEncoder({ url: q.url, queueName: q.queueName, run: runId({ collection: o.collection, nonce: crypto.randomUUID() }), side: 'document', fingerprint, onMessage: say });
  await queue.ready();
  return { queue, close: () => queue.close() };
}
