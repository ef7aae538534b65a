import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DEFAULT_INDEX } from '../../src/config.js';
import { runIndexJob, type IndexJobOptions } from '../../src/bulk/index-job.js';
import { readCheckpoint } from '../../src/bulk/checkpoint.js';
import { CollectionSink } from '../../src/bulk/index-sinks.js';
import { EngineManager } from '../../src/engine/manager.js';
import { createEncoder } from '../../src/encoder/factory.js';
import { closeEncoderPool } from '../../src/workers/pool.js';
import type { Collection } from '../../src/engine/types.js';
import { writeCorpus } from './helpers.js';

let dir: string;
let manager: EngineManager;

beforeEach(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sparrow-index-job-'));
  manager = await EngineManager.open({ dataDir: path.join(dir, 'data'), encoderFor: (config, cpu) => createEncoder(config.encoder, cpu) });
});
afterEach(async () => {
  await manager.close();
  await closeEncoderPool();
  fs.rmSync(dir, { recursive: true, force: true });
});

const job = (file: string, over: Partial<IndexJobOptions> = {}): IndexJobOptions => ({
  file,
  batchSize: 16,
  concurrency: 2,
  onError: 'skip',
  maxRetrySeconds: 60,
  ...over,
});

async function ids(c: Collection, expected: string[]): Promise<string[]> {
  return expected.filter((id) => c.get(id) !== undefined);
}

describe('runIndexJob into a collection', () => {
  it('indexes every document, seals, and the documents are searchable', async () => {
    const file = path.join(dir, 'corpus.jsonl');
    const all = writeCorpus(file, 100);
    const c = await manager.create('c', { encoder: { kind: 'lexical' } });
    const progress: number[] = [];
    const summary = await runIndexJob(new CollectionSink(c), job(file, { onProgress: (p) => progress.push(p.indexed) }));
    expect(summary).toMatchObject({ indexed: 100, alreadyStored: 0, skipped: 0, errors: 0, exitCode: 0, failed: false });
    expect(await ids(c, all)).toHaveLength(100);
    expect(c.stats().documents).toBe(100);
    expect(c.stats().segments.filter((s) => s.documents > 0).every((s) => s.sealed)).toBe(true);
    expect(progress.at(-1)).toBe(100);
    const res = await c.search({ query: 'number42', k: 3 });
    expect(res.hits[0].id).toBe('doc-42');
  });

  it('skips a malformed line with its line number and exits 2 under --on-error skip', async () => {
    const file = path.join(dir, 'corpus.jsonl');
    writeCorpus(file, 40, { 5: '{"_id": "broken", "text": ', 20: '{"title": "no id"}' });
    const c = await manager.create('c', {});
    const messages: string[] = [];
    const summary = await runIndexJob(new CollectionSink(c), job(file, { onMessage: (m) => messages.push(m) }));
    expect(summary).toMatchObject({ indexed: 40, skipped: 2, errors: 2, exitCode: 2 });
    expect(messages).toEqual([expect.stringMatching(/corpus\.jsonl:5: invalid JSON/), expect.stringMatching(/corpus\.jsonl:20: "_id" must be a non-empty string/)]);
  });

  it('stops at the first malformed line under --on-error stop: exit 1, nothing after it written', async () => {
    const file = path.join(dir, 'corpus.jsonl');
    const all = writeCorpus(file, 60, { 31: 'not json' });
    const c = await manager.create('c', {});
    const summary = await runIndexJob(new CollectionSink(c), job(file, { onError: 'stop', batchSize: 10, concurrency: 1 }));
    expect(summary).toMatchObject({ failed: true, exitCode: 1, errors: 1 });
    const stored = await ids(c, all);
    expect(stored.length).toBeLessThanOrEqual(30);
    expect(stored).not.toContain('doc-30');
  });

  it('finds the rejected document of a batch and reports its line (engine validation)', async () => {
    const file = path.join(dir, 'corpus.jsonl');
    const all = writeCorpus(file, 30, { 12: JSON.stringify({ _id: 'bad-sparse', sparse: { indices: [1, 1], values: [1, 2] } }) });
    const c = await manager.create('c', {});
    const messages: string[] = [];
    const summary = await runIndexJob(new CollectionSink(c), job(file, { onMessage: (m) => messages.push(m) }));
    expect(summary).toMatchObject({ indexed: 30, skipped: 1, exitCode: 2 });
    expect(messages).toHaveLength(1);
    expect(messages[0]).toMatch(/corpus\.jsonl:12: INVALID_\w+: .*\(document "bad-sparse"\)/);
    expect(await ids(c, all)).toHaveLength(30);
  });

  it('resumes: a second run skips the stored ids and writes only the rest', async () => {
    const file = path.join(dir, 'corpus.jsonl');
    const all = writeCorpus(file, 50);
    const c = await manager.create('c', {});
    await c.upsert(all.slice(0, 20).map((id) => ({ id, text: 'already here' })));
    const summary = await runIndexJob(new CollectionSink(c), job(file));
    expect(summary).toMatchObject({ indexed: 30, alreadyStored: 20, exitCode: 0 });
    expect(c.get('doc-3')?.text).toBe('already here');
    expect(c.stats().documents).toBe(50);
  });

  it('keeps the last version when an id repeats in the input (never two batches with one id in flight)', async () => {
    const file = path.join(dir, 'corpus.jsonl');
    const lines = Array.from({ length: 30 }, (_, i) => JSON.stringify({ _id: `d${i % 3}`, text: `version ${i}` }));
    fs.writeFileSync(file, lines.join('\n'));
    const c = await manager.create('c', {});
    const summary = await runIndexJob(new CollectionSink(c), job(file, { batchSize: 2, concurrency: 4 }));
    expect(summary.exitCode).toBe(0);
    expect(c.stats().documents).toBe(3);
    expect(c.get('d0')?.text).toBe('version 27');
    expect(c.get('d2')?.text).toBe('version 29');
  });

  it('retries while the collection pushes back (BACKPRESSURE with Retry-After) and loses nothing', async () => {
    const file = path.join(dir, 'corpus.jsonl');
    const all = writeCorpus(file, 300);
    const index = { ...DEFAULT_INDEX, mutableMaxDocs: 40, maxUnsealedDocs: 60 };
    const c = await manager.create('c', { index });
    const summary = await runIndexJob(new CollectionSink(c), job(file, { batchSize: 30, concurrency: 3 }));
    expect(summary).toMatchObject({ indexed: 300, exitCode: 0 });
    expect(await ids(c, all)).toHaveLength(300);
  });

  it('keeps a checkpoint that never passes an unacknowledged line', async () => {
    const file = path.join(dir, 'corpus.jsonl');
    writeCorpus(file, 45, { 31: 'oops' });
    const c = await manager.create('c', {});
    const checkpoint = path.join(dir, 'cp.json');
    const stop = await runIndexJob(new CollectionSink(c), job(file, { onError: 'stop', batchSize: 10, concurrency: 1, checkpoint: { path: checkpoint, resumeFrom: undefined } }));
    expect(stop.exitCode).toBe(1);
    expect(readCheckpoint(checkpoint, file)?.line).toBe(30);
    fs.writeFileSync(file, fs.readFileSync(file, 'utf8').replace('oops\n', '\n'));
    const resumed = await runIndexJob(new CollectionSink(c), job(file, { checkpoint: { path: checkpoint, resumeFrom: readCheckpoint(checkpoint, file) } }));
    expect(resumed).toMatchObject({ indexed: 15, alreadyStored: 0, exitCode: 0 });
    expect(c.stats().documents).toBe(45);
    expect(readCheckpoint(checkpoint, file)?.line).toBe(46);
    expect(() => readCheckpoint(checkpoint, path.join(dir, 'other.jsonl'))).toThrow(/belongs to/);
  });
});
