/** `sparrow index --url`: the job through a real listening server, pushed back with 503s. */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { indexCommand } from '../../src/cli/index-command.js';
import { defaultConfig } from '../../src/config.js';
import { startServer, type RunningServer } from '../../src/server.js';
import { writeCorpus } from './helpers.js';

let dir: string;
let server: RunningServer;

beforeEach(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sparrow-index-http-'));
  const config = defaultConfig();
  config.server = { ...config.server, port: 0, dataDir: path.join(dir, 'data'), sample: false, apiKey: 'secret', logLevel: 'silent' };
  // small unsealed budget: the server answers 503 + Retry-After while segments seal
  config.index = { ...config.index, mutableMaxDocs: 40, maxUnsealedDocs: 60 };
  server = await startServer(config);
  await server.ready;
});
afterEach(async () => {
  await server.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

const out = () => {
  const chunks: string[] = [];
  const stream = { write: (s: string) => chunks.push(s) } as unknown as NodeJS.WritableStream;
  return { stream, text: () => chunks.join('') };
};

describe('sparrow index --url', () => {
  it('creates the collection, writes every batch (retrying 503s), seals and removes its checkpoint', async () => {
    const corpus = path.join(dir, 'corpus.jsonl');
    writeCorpus(corpus, 250, { 100: '{"_id": 1' });
    const checkpoint = path.join(dir, 'cp.json');
    const o = out();
    const summary = await indexCommand({
      input: corpus,
      collection: 'remote',
      dataDir: 'unused',
      url: server.url,
      apiKey: 'secret',
      encoder: { kind: 'lexical' },
      batchSize: 30,
      concurrency: 3,
      onError: 'skip',
      checkpoint,
      out: o.stream,
      tty: false,
    });
    expect(summary).toMatchObject({ indexed: 250, skipped: 1, exitCode: 2 });
    expect(o.text()).toMatch(/corpus\.jsonl:100: invalid JSON/);
    expect(o.text()).toMatch(/done: 250 documents indexed, 0 already stored, 1 skipped, 1 errors/);
    expect(fs.existsSync(checkpoint)).toBe(false);
    const res = await fetch(`${server.url}/v1/collections/remote`, { headers: { authorization: 'Bearer secret' } });
    const stats = (await res.json()) as { documents: number; segments: Array<{ sealed: boolean; documents: number }> };
    expect(stats.documents).toBe(250);
    expect(stats.segments.filter((s) => s.documents > 0).every((s) => s.sealed)).toBe(true);
  });

  it('fails with the server message on a wrong API key, keeping nothing', async () => {
    const corpus = path.join(dir, 'corpus.jsonl');
    writeCorpus(corpus, 5);
    const run = indexCommand({
      input: corpus,
      collection: 'remote',
      dataDir: 'unused',
      url: server.url,
      apiKey: 'wrong',
      encoder: { kind: 'lexical' },
      batchSize: 30,
      concurrency: 1,
      onError: 'skip',
      checkpoint: path.join(dir, 'cp.json'),
      out: out().stream,
      tty: false,
    });
    await expect(run).rejects.toMatchObject({ status: 401, code: 'UNAUTHORIZED' });
  });
});
