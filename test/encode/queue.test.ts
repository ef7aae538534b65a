/**
 * `sparrow encode --queue` with `sparrow encode-worker` processes over a real redis-server (started
 * here on a free port, append-only file on): a worker SIGKILLed mid-run and Redis restarted
 * mid-run change nothing in the output (byte-identical to a single-process run with the same
 * batch size: batch i holds the same records and goes through the same encoder call), the jobs
 * leave Redis once written, a worker with another model is refused, and `sparrow index
 * --encode-queue` loads a collection through the same path.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { ChildProcess } from 'node:child_process';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { writeTinyModelDir } from '../../scripts/make-tiny-model.js';
import { encodeCommand } from '../../src/cli/encode-command.js';
import { createEncoder } from '../../src/encoder/factory.js';
import { EngineManager } from '../../src/engine/manager.js';
import { closeEncoderPool } from '../../src/workers/pool.js';
import { runCli, spawnCli } from '../cli/helpers.js';
import { capture, lineCount, readVectorLines, TINY_MODEL, waitFor, writeLongCorpus } from './corpus.js';
import { RedisServer } from './redis-server.js';

vi.setConfig({ testTimeout: 150_000, hookTimeout: 60_000 });

let redis: RedisServer;
let dir: string;
const children = new Set<ChildProcess>();

beforeAll(async () => {
  redis = await RedisServer.start();
});
afterAll(async () => {
  await redis?.stop();
});
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sparrow-queue-'));
});
afterEach(async () => {
  await Promise.all([...children].map(stop));
  fs.rmSync(dir, { recursive: true, force: true });
});

interface Worker {
  child: ChildProcess;
  log: () => string;
}

/** An encode worker process, resolved once it is listening. */
async function startWorker(queueName: string, model = TINY_MODEL): Promise<Worker> {
  const child = spawnCli(['encode-worker', '--queue', redis.url, '--queue-name', queueName, '--model', model, '--concurrency', '1', '--lock-seconds', '2']);
  children.add(child);
  child.on('exit', () => children.delete(child));
  let log = '';
  child.stderr!.on('data', (d) => (log += d));
  child.stdout!.on('data', (d) => (log += d));
  await waitFor(`worker ready (${log})`, () => log.includes('encode worker'));
  return { child, log: () => log };
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  await exited;
}

function producer(args: string[]) {
  const child = spawnCli(args);
  children.add(child);
  let log = '';
  child.stderr!.on('data', (d) => (log += d));
  const code = new Promise<number | null>((resolve) => child.on('close', (c) => resolve(c)));
  return { child, code, log: () => log };
}

async function encodeLocally(corpus: string, output: string, batch: number): Promise<void> {
  const out = capture();
  expect(await encodeCommand({ model: TINY_MODEL, input: corpus, output, side: 'document', batch, threads: 2, out }), out.text()).toBe(0);
}

async function jobKeys(queueName: string): Promise<string[]> {
  const client = new Redis(redis.url);
  try {
    // the queue's own keys (meta, events, id...) stay; job hashes are named <run>-<batch>
    return (await client.keys(`bull:${queueName}:*`)).filter((k) => /:[0-9a-f]{16}-\d+$/.test(k));
  } finally {
    client.disconnect();
  }
}

describe('sparrow encode over BullMQ/Redis', () => {
  it('three workers, one killed with SIGKILL mid-run: the output equals a single-process run', async () => {
    const corpus = path.join(dir, 'corpus.jsonl');
    writeLongCorpus(corpus, 320);
    const reference = path.join(dir, 'reference.jsonl');
    await encodeLocally(corpus, reference, 16);

    const workers = [await startWorker('q-kill'), await startWorker('q-kill'), await startWorker('q-kill')];
    const output = path.join(dir, 'out.jsonl');
    const run = producer(['encode', '--model', TINY_MODEL, '--input', corpus, '--output', output, '--batch', '16', '--queue', redis.url, '--queue-name', 'q-kill', '--in-flight', '6']);
    await waitFor('some batches done', () => lineCount(output) >= 48);
    workers[0].child.kill('SIGKILL');
    expect(await run.code, run.log()).toBe(0);
    expect(run.log()).toMatch(/done: 320 records encoded in 20 batches/);
    expect(fs.readFileSync(output)).toEqual(fs.readFileSync(reference));
    expect(await jobKeys('q-kill')).toEqual([]); // every job removed once written
  });

  it('Redis killed and restarted mid-run (append-only file): the job completes with the same output', async () => {
    const corpus = path.join(dir, 'corpus.jsonl');
    writeLongCorpus(corpus, 320);
    const reference = path.join(dir, 'reference.jsonl');
    await encodeLocally(corpus, reference, 16);

    await startWorker('q-restart');
    await startWorker('q-restart');
    const output = path.join(dir, 'out.jsonl');
    const run = producer(['encode', '--model', TINY_MODEL, '--input', corpus, '--output', output, '--batch', '16', '--queue', redis.url, '--queue-name', 'q-restart']);
    await waitFor('some batches done', () => lineCount(output) >= 48);
    await redis.kill();
    await new Promise((r) => setTimeout(r, 1_500));
    await redis.restart();
    expect(await run.code, run.log()).toBe(0);
    expect(lineCount(output)).toBe(320);
    expect(fs.readFileSync(output)).toEqual(fs.readFileSync(reference));
    expect(await jobKeys('q-restart')).toEqual([]);
  });

  it('refuses a worker with another model: ENCODER_MISMATCH on both sides, nothing written', async () => {
    const other = path.join(dir, 'other-model');
    writeTinyModelDir(other, { tokenTypes: false }); // another graph: another fingerprint
    const worker = await startWorker('q-other', other);
    const corpus = path.join(dir, 'corpus.jsonl');
    writeLongCorpus(corpus, 40);
    const output = path.join(dir, 'out.jsonl');
    const res = await runCli(['encode', '--model', TINY_MODEL, '--input', corpus, '--output', output, '--batch', '16', '--queue', redis.url, '--queue-name', 'q-other']);
    expect(res.code).toBe(1);
    expect(res.stderr).toMatch(/ENCODER_MISMATCH: batch \d+ .* failed after \d attempt\(s\): ENCODER_MISMATCH: worker .* refuses job/);
    expect(worker.log()).toMatch(/refuses job [0-9a-f]{16}-\d+: the job was made for encoder [0-9a-f]{24}, this worker's document encoder is [0-9a-f]{24}/);
    expect(lineCount(output)).toBe(0);
  });

  it('sparrow index --encode-queue loads a collection with the vectors the workers computed', async () => {
    const corpus = path.join(dir, 'corpus.jsonl');
    writeLongCorpus(corpus, 64);
    const reference = path.join(dir, 'reference.jsonl');
    await encodeLocally(corpus, reference, 16);
    await startWorker('q-index');
    const dataDir = path.join(dir, 'data');
    const res = await runCli(['index', corpus, '--collection', 'c', '--data-dir', dataDir, '--encoder', 'splade', '--model', TINY_MODEL, '--batch-size', '16', '--encode-queue', redis.url, '--queue-name', 'q-index']);
    expect(res.code, res.stderr).toBe(0);
    const manager = await EngineManager.open({ dataDir, encoderFor: (config, cpu) => createEncoder(config.encoder, cpu) });
    try {
      const c = manager.get('c');
      expect(c.stats().documents).toBe(64);
      for (const line of readVectorLines(reference)) {
        const stored = c.get(line.id)!.sparse;
        expect([...stored.indices]).toEqual(line.indices);
        expect([...stored.values]).toEqual(line.values.map(Math.fround));
      }
    } finally {
      await manager.close();
      await closeEncoderPool();
    }
    expect(await jobKeys('q-index')).toEqual([]);
  });
});
