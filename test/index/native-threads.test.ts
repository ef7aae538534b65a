import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { createForwardIndex, getSearchThreads, setSearchThreads } from '../../src/index/native.js';
import { randomRows, shuffledDocnos } from './native-fixtures.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const nativeModule = path.resolve(here, '../../src/index/native.ts');
const fixtures = path.resolve(here, 'native-fixtures.ts');
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sparrow-threads-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

/** Runs a TS script in a child node (through tsx); resolves with its exit code, or 'timeout'. */
function runChild(source: string, timeoutMs: number): Promise<{ code: number | null | 'timeout'; stderr: string }> {
  const file = path.join(dir, `child-${Math.random().toString(36).slice(2)}.mts`);
  fs.writeFileSync(file, source);
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', file], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      resolve({ code: 'timeout', stderr });
    }, timeoutMs);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stderr });
    });
  });
}

describe('native threads', () => {
  it('setSearchThreads resizes the pool and validates n', () => {
    const before = getSearchThreads();
    setSearchThreads(3);
    expect(getSearchThreads()).toBe(3);
    setSearchThreads(before);
    for (const n of [0, -1, 1.5, NaN, 5000]) expect(() => setSearchThreads(n)).toThrow(/n must be an integer in \[1, 1024\]/);
  });

  it('resizing the pool during batches neither waits for them nor loses a query', async () => {
    const rows = randomRows(71, { rows: 4000, vocab: 500, minLen: 20, maxLen: 60 });
    const forward = createForwardIndex(rows, shuffledDocnos(4000, 71));
    const queries = randomRows(72, { rows: 100, vocab: 500, minLen: 5, maxLen: 15 });
    const expected = await forward.searchExact(queries, { k: 7 });
    const before = getSearchThreads();
    const pending = [forward.searchExact(queries, { k: 7 }), forward.searchExact(queries, { k: 7 })];
    for (const n of [1, 4, 2, 1, 3]) setSearchThreads(n);
    pending.push(forward.searchExact(queries, { k: 7 }));
    for (const result of await Promise.all(pending)) expect(result).toEqual(expected);
    setSearchThreads(before);
    forward.close();
  });

  it('a long batch search does not block the event loop (a timer keeps firing)', async () => {
    const rows = randomRows(61, { rows: 10_000, vocab: 2000, minLen: 60, maxLen: 120 });
    const forward = createForwardIndex(rows, shuffledDocnos(10_000, 61));
    const queries = randomRows(62, { rows: 200, vocab: 2000, minLen: 20, maxLen: 40 });
    let ticks = 0;
    const interval = setInterval(() => ticks++, 2);
    const started = performance.now();
    const result = await forward.searchExact(queries, { k: 10 });
    const elapsed = performance.now() - started;
    clearInterval(interval);
    expect(result.offsets.length).toBe(201);
    expect(elapsed).toBeGreaterThan(20); // the batch really was long enough to observe
    expect(ticks).toBeGreaterThanOrEqual(3);
    forward.close();
  });

  it('a process that opened, searched and saved an index exits by itself', async () => {
    const source = `
      import { buildInvertedIndex, createBitmap, createForwardIndex, setSearchThreads } from ${JSON.stringify(nativeModule)};
      import { randomRows, shuffledDocnos } from ${JSON.stringify(fixtures)};
      setSearchThreads(2);
      const forward = createForwardIndex(randomRows(1, { rows: 2000, vocab: 300, minLen: 5, maxLen: 30 }), shuffledDocnos(2000, 1));
      const inverted = buildInvertedIndex(forward);
      const queries = randomRows(2, { rows: 50, vocab: 300, minLen: 3, maxLen: 10 });
      const tombstones = createBitmap(); tombstones.set(4);
      const a = await forward.searchExact(queries, { k: 5, tombstones });
      const b = await inverted.search(queries, { k: 5 });
      await forward.save(${JSON.stringify(path.join(dir, 'child.fwd'))});
      if (a.docnos.length === 0 || b.docnos.length === 0) process.exit(3);
      // No close(), no process.exit(): the indexes and the pool threads stay open.
    `;
    const { code, stderr } = await runChild(source, 30_000);
    expect(stderr).toBe('');
    expect(code).toBe(0);
  });

  it('a process exits by itself while a search is still queued when its script ends', async () => {
    const source = `
      import { createForwardIndex } from ${JSON.stringify(nativeModule)};
      import { randomRows, shuffledDocnos } from ${JSON.stringify(fixtures)};
      const forward = createForwardIndex(randomRows(3, { rows: 5000, vocab: 300, minLen: 20, maxLen: 60 }), shuffledDocnos(5000, 3));
      void forward.searchExact(randomRows(4, { rows: 200, vocab: 300, minLen: 3, maxLen: 10 }), { k: 5 }).then((r) => {
        if (r.offsets.length !== 201) process.exitCode = 4;
      });
    `;
    const { code, stderr } = await runChild(source, 30_000);
    expect(stderr).toBe('');
    expect(code).toBe(0);
  });

  it('searches share one settling channel: every answer arrives, one after another, together and after idle gaps, then the process exits', async () => {
    const source = `
      import { createForwardIndex } from ${JSON.stringify(nativeModule)};
      import { randomRows, shuffledDocnos } from ${JSON.stringify(fixtures)};
      const forward = createForwardIndex(randomRows(5, { rows: 3000, vocab: 300, minLen: 20, maxLen: 60 }), shuffledDocnos(3000, 5));
      const queries = randomRows(6, { rows: 20, vocab: 300, minLen: 3, maxLen: 10 });
      const want = (await forward.searchExact(queries, { k: 5 })).docnos.join();
      for (let i = 0; i < 20; i++) {
        if ((await forward.searchExact(queries, { k: 5 })).docnos.join() !== want) process.exit(5);
        if (i % 5 === 0) await new Promise((r) => setTimeout(r, 20)); // idle: nothing pending
      }
      const together = await Promise.all(Array.from({ length: 50 }, () => forward.searchExact(queries, { k: 5 })));
      if (together.some((r) => r.docnos.join() !== want)) process.exit(6);
      process.exitCode = 7; // set back to 0 by the last answer
      setTimeout(() => void forward.searchExact(queries, { k: 5 }).then(() => (process.exitCode = 0)), 30);
    `;
    const { code, stderr } = await runChild(source, 30_000);
    expect(stderr).toBe('');
    expect(code).toBe(0);
  });

  it.skipIf(process.platform !== 'linux')('lowerThreadPriority lowers the calling thread only (nice +10)', async () => {
    // In a child: its main thread lowers itself to nice 10; a worker thread started before keeps its nice.
    const { code, stderr } = await runChild(
      `
      import fs from 'node:fs';
      import { Worker } from 'node:worker_threads';
      import { lowerThreadPriority } from ${JSON.stringify(nativeModule)};
      const niceOf = (tid) => Number(fs.readFileSync('/proc/self/task/' + tid + '/stat', 'utf8').split(') ')[1].split(' ')[16]);
      const worker = new Worker("require('node:worker_threads').parentPort.postMessage(require('node:fs').readlinkSync('/proc/thread-self').split('/').pop()); setInterval(() => {}, 1000);", { eval: true });
      const workerTid = await new Promise((resolve) => worker.once('message', resolve));
      const before = niceOf(process.pid);
      lowerThreadPriority();
      const result = [before, niceOf(process.pid), niceOf(workerTid)];
      await worker.terminate();
      // (a process already niced above 10 is left as it is: nothing to check then)
      const want = before > 10 ? result : [before, 10, before];
      if (result.join() !== want.join()) { console.error('nice before, after, other thread:', result.join()); process.exit(1); }
      `,
      60_000,
    );
    expect(stderr).toBe('');
    expect(code).toBe(0);
  });
});

