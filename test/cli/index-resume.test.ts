/**
 * The bulk index job killed midway (SIGKILL, a child process running `sparrow index`) and run
 * again: every document ends up stored exactly once, nothing acknowledged is lost.
 */
import Database from 'better-sqlite3';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { EngineManager } from '../../src/engine/manager.js';
import { createEncoder } from '../../src/encoder/factory.js';
import { closeEncoderPool } from '../../src/workers/pool.js';
import { runCli, spawnCli, writeCorpus } from './helpers.js';

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sparrow-resume-'));
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

function storedCount(db: string): number {
  if (!fs.existsSync(db)) return 0;
  const conn = new Database(db, { readonly: true, fileMustExist: true });
  try {
    return (conn.prepare('SELECT count(*) AS n FROM documents').get() as { n: number }).n;
  } catch {
    return 0; // schema not created yet
  } finally {
    conn.close();
  }
}

describe('sparrow index: kill -9 midway, then resume', () => {
  it('stores every document exactly once', async () => {
    const N = 12_000;
    const corpus = path.join(dir, 'corpus.jsonl');
    const ids = writeCorpus(corpus, N);
    const dataDir = path.join(dir, 'data');
    const db = path.join(dataDir, 'c', 'collection.db');
    const args = ['index', corpus, '--collection', 'c', '--data-dir', dataDir, '--batch-size', '100'];

    const child = spawnCli(args);
    const exited = new Promise<NodeJS.Signals | null>((resolve) => child.on('exit', (_code, signal) => resolve(signal)));
    let before = 0;
    for (let waited = 0; waited < 60_000 && before < 1_500; waited += 50) {
      await new Promise((r) => setTimeout(r, 50));
      before = storedCount(db);
    }
    child.kill('SIGKILL');
    expect(await exited).toBe('SIGKILL');
    const afterKill = storedCount(db);
    expect(afterKill).toBeGreaterThanOrEqual(1_500);
    expect(afterKill).toBeLessThan(N); // really midway

    const second = await runCli(args);
    expect(second.code, second.stderr).toBe(0);
    const summary = /done: (\d+) documents indexed, (\d+) already stored, 0 skipped, 0 errors/.exec(second.stderr);
    expect(summary, second.stderr).not.toBeNull();
    const [indexed, already] = [Number(summary![1]), Number(summary![2])];
    expect(already).toBeGreaterThanOrEqual(afterKill - 200); // at most the batches in flight are re-sent
    expect(indexed + already).toBe(N);

    const manager = await EngineManager.open({ dataDir, encoderFor: (config, cpu) => createEncoder(config.encoder, cpu) });
    try {
      const c = manager.get('c');
      expect(c.stats().documents).toBe(N);
      expect(ids.filter((id) => c.get(id) === undefined)).toEqual([]);
      const hits = (await c.search({ query: 'alpha', k: 10_000, exact: true })).hits.map((h) => h.id);
      expect(new Set(hits).size).toBe(hits.length);
      expect(hits.length).toBe(ids.filter((_, i) => [i % 8, (i * 3) % 8, (i * 5 + 1) % 8].includes(0)).length);
    } finally {
      await manager.close();
      await closeEncoderPool();
    }
  });

  it('Ctrl-C (SIGINT) drains the batches in flight, exits 1, and the next run completes', async () => {
    const N = 8_000;
    const corpus = path.join(dir, 'corpus.jsonl');
    writeCorpus(corpus, N);
    const dataDir = path.join(dir, 'data');
    const db = path.join(dataDir, 'c', 'collection.db');
    const args = ['index', corpus, '--collection', 'c', '--data-dir', dataDir, '--batch-size', '100'];
    const child = spawnCli(args);
    let stderr = '';
    child.stderr!.on('data', (d) => (stderr += d));
    const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
    for (let waited = 0; waited < 60_000 && storedCount(db) < 500; waited += 50) await new Promise((r) => setTimeout(r, 50));
    child.kill('SIGINT');
    expect(await exited).toBe(1);
    const summary = /interrupted: (\d+) documents indexed/.exec(stderr);
    expect(summary, stderr).not.toBeNull();
    expect(storedCount(db)).toBe(Number(summary![1])); // every acknowledged batch is stored, nothing half-done
    const second = await runCli(args);
    expect(second.code, second.stderr).toBe(0);
    expect(second.stderr).toContain(`${N - Number(summary![1])} documents indexed, ${summary![1]} already stored`);
    expect(storedCount(db)).toBe(N);
  });
});
