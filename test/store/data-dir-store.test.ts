/**
 * The data directory's own database: one holder at a time (the lock dies with its holder), and
 * task states that survive a restart; a task that was running is failed with INTERRUPTED.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { EngineManager } from '../../src/engine/manager.js';
import { TaskRegistry } from '../../src/http/tasks.js';
import { DataDirStore } from '../../src/store/data-dir-store.js';

const dirs: string[] = [];
afterEach(() => dirs.splice(0).forEach((d) => fs.rmSync(d, { recursive: true, force: true })));
function tempDir(): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'sparrow-datadir-'));
  dirs.push(d);
  return d;
}

describe('DataDirStore', () => {
  it('lets one manager hold a data directory: a second gets DATA_DIR_LOCKED naming the pid, and opens once the first closes', async () => {
    const dir = tempDir();
    const first = await EngineManager.open({ dataDir: dir });
    await first.create('c', { encoder: { kind: 'splade' } });
    await expect(EngineManager.open({ dataDir: dir })).rejects.toMatchObject({ code: 'DATA_DIR_LOCKED', extra: { pid: process.pid } });
    expect(first.list()).toEqual(['c']); // the refused open touched nothing
    await first.close();
    const second = await EngineManager.open({ dataDir: dir });
    expect(second.list()).toEqual(['c']);
    await second.close();
  });

  it('keeps task states across a restart; a task running when the process stopped is failed with INTERRUPTED', async () => {
    const dir = tempDir();
    let store = DataDirStore.open(dir);
    let tasks = new TaskRegistry(store);
    const done = tasks.start('flush', 'c', async () => undefined);
    const failed = tasks.start('backup', 'c', async () => {
      throw new Error('boom');
    });
    const running = tasks.start('optimize', 'c', () => new Promise(() => undefined)); // never ends: the "process" stops first
    await new Promise((r) => setTimeout(r, 10));
    expect(tasks.get(running.id).status).toBe('running');
    store.close(); // the process is gone: nothing more is written

    store = DataDirStore.open(dir);
    tasks = new TaskRegistry(store);
    expect(tasks.get(done.id)).toMatchObject({ status: 'succeeded', type: 'flush', collection: 'c' });
    expect(tasks.get(failed.id)).toMatchObject({ status: 'failed', error: { code: 'INTERNAL' } });
    expect(tasks.get(running.id)).toMatchObject({ status: 'failed', type: 'optimize', error: { code: 'INTERRUPTED' } });
    expect(tasks.list().map((t) => t.id)).toEqual([done.id, failed.id, running.id]);
    store.close();
    // the INTERRUPTED state itself was stored
    const reopened = DataDirStore.open(dir);
    expect(reopened.tasks().find((t) => t.id === running.id)).toMatchObject({ status: 'failed' });
    reopened.close();
  });

  it('prunes the oldest finished tasks beyond its limit from the database too', async () => {
    const dir = tempDir();
    const store = DataDirStore.open(dir);
    const tasks = new TaskRegistry(store, 2);
    for (let i = 0; i < 4; i++) tasks.start('flush', `c${i}`, async () => undefined);
    await tasks.close();
    expect(store.tasks().map((t) => t.collection)).toEqual(['c2', 'c3']);
    store.close();
  });
});
