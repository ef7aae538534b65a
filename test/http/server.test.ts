/**
 * A real listening server in a child process: restart with identical exact answers, graceful
 * SIGTERM, and kill -9 during ingest with every acknowledged batch present afterwards.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { main } from '../../src/cli/main.js';
import { tempDir } from './helpers.js';

const CHILD = fileURLToPath(new URL('./fixtures/serve-child.ts', import.meta.url));
const children = new Set<ChildProcess>();

interface Server {
  child: ChildProcess;
  url: string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Everything the child printed so far. */
  output: () => string;
}

async function start(dataDir: string, env: Record<string, string> = {}): Promise<Server> {
  const child = spawn(process.execPath, ['--import', 'tsx', CHILD, '--port', '0', '--host', '127.0.0.1', '--data-dir', dataDir], {
    env: { ...process.env, SPARROW_SAMPLE: 'off', SPARROW_LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.add(child);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => {
      children.delete(child);
      resolve({ code, signal });
    }),
  );
  let log = '';
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start:\n${log}`)), 30_000);
    child.stderr?.on('data', (d) => (log += d));
    child.stdout?.on('data', (d: Buffer) => {
      log += d;
      const m = /Server listening at (http:\/\/127\.0\.0\.1:\d+)/.exec(log);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    });
    void exited.then(() => reject(new Error(`server exited:\n${log}`)));
  });
  return { child, url, exited, output: () => log };
}

async function call(server: Server, method: string, path: string, payload?: unknown): Promise<{ status: number; json: Record<string, unknown> }> {
  const res = await fetch(server.url + path, {
    method,
    headers: payload === undefined ? {} : { 'content-type': 'application/json' },
    body: payload === undefined ? undefined : JSON.stringify(payload),
  });
  return { status: res.status, json: (await res.json()) as Record<string, unknown> };
}

const WORDS = 'protein cell gene vaccine immune virus enzyme membrane receptor neuron tumor signal pathway cancer dna rna'.split(' ');
function docText(i: number): string {
  return Array.from({ length: 12 }, (_, j) => WORDS[(i * 7 + j * j * 3 + j) % WORDS.length]).join(' ') + ` doc${i}`;
}
const QUERIES = ['protein receptor', 'immune virus vaccine', 'tumor signal pathway', 'dna rna gene', 'neuron membrane'];

afterEach(() => {
  for (const child of children) child.kill('SIGKILL');
});

/** Runs the child to its end; resolves with its exit code and what it printed. */
async function runToExit(args: string[], env: Record<string, string> = {}): Promise<{ code: number | null; output: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', CHILD, ...args], { env: { ...process.env, SPARROW_SAMPLE: 'off', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  children.add(child);
  let output = '';
  child.stdout?.on('data', (d) => (output += d));
  child.stderr?.on('data', (d) => (output += d));
  const code = await new Promise<number | null>((resolve) => child.once('exit', (c) => resolve(c)));
  children.delete(child);
  return { code, output };
}

describe('starting the server', () => {
  it('refuses a bad option with exit code 2, naming it', async () => {
    const { code, output } = await runToExit(['--data-dir', await tempDir()], { SPARROW_PORT: 'http' });
    expect(code).toBe(2);
    expect(output).toMatch(/INVALID_CONFIG: SPARROW_PORT must be an integer/);
  });

  it('exits with an error when the port is taken', async () => {
    const taken = net.createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = taken.address() as net.AddressInfo;
      const { code, output } = await runToExit(['--port', String(port), '--host', '127.0.0.1', '--data-dir', await tempDir()]);
      expect(code).not.toBe(0);
      expect(output).toMatch(/EADDRINUSE/);
    } finally {
      taken.close();
    }
  });
});

describe('a real listening server', () => {
  it('restarts with identical exact answers after a graceful SIGTERM', async () => {
    const dataDir = await tempDir();
    const first = await start(dataDir);
    expect((await call(first, 'PUT', '/v1/collections/c', {})).status).toBe(201);
    for (let b = 0; b < 4; b++) {
      const documents = Array.from({ length: 50 }, (_, i) => ({ id: `d${b * 50 + i}`, text: docText(b * 50 + i) }));
      expect((await call(first, 'POST', '/v1/collections/c/documents', { documents })).status).toBe(200);
    }
    await call(first, 'POST', '/v1/collections/c/documents', { documents: [{ id: 'd7', text: 'replaced text about photons' }] });
    await call(first, 'DELETE', '/v1/collections/c/documents/d8');
    const before = await Promise.all(QUERIES.map((query) => call(first, 'POST', '/v1/collections/c/search', { query, k: 20, exact: true })));
    first.child.kill('SIGTERM');
    expect(await first.exited).toEqual({ code: 0, signal: null });

    const second = await start(dataDir);
    const after = await Promise.all(QUERIES.map((query) => call(second, 'POST', '/v1/collections/c/search', { query, k: 20, exact: true })));
    const hits = (r: { json: Record<string, unknown> }) => r.json.hits;
    expect(after.map(hits)).toEqual(before.map(hits));
    expect((await call(second, 'GET', '/v1/collections/c')).json).toMatchObject({ documents: 199 });
    expect((await call(second, 'GET', '/v1/collections/c/documents/d7')).json).toMatchObject({ text: 'replaced text about photons' });
    expect((await call(second, 'GET', '/v1/collections/c/documents/d8')).status).toBe(404);
    second.child.kill('SIGTERM');
    expect((await second.exited).code).toBe(0);
  });

  it('keeps every acknowledged batch after kill -9 during ingest', async () => {
    const dataDir = await tempDir();
    const server = await start(dataDir);
    expect((await call(server, 'PUT', '/v1/collections/c', {})).status).toBe(201);
    const acknowledged: string[] = [];
    const BATCH = 40;
    // Four writers in parallel until the kill; every batch answered 200 is acknowledged.
    let killed = false;
    const writer = async (w: number) => {
      for (let b = 0; !killed; b++) {
        const documents = Array.from({ length: BATCH }, (_, i) => ({ id: `w${w}-${b}-${i}`, text: docText(b * BATCH + i) }));
        try {
          const res = await call(server, 'POST', '/v1/collections/c/documents', { documents });
          if (res.status === 200) acknowledged.push(...documents.map((d) => d.id));
        } catch {
          return; // the connection died with the server: this batch was never acknowledged
        }
      }
    };
    const writers = [0, 1, 2, 3].map(writer);
    while (acknowledged.length < 1_000) await new Promise((r) => setTimeout(r, 20));
    server.child.kill('SIGKILL');
    killed = true;
    await Promise.all(writers);
    expect((await server.exited).signal).toBe('SIGKILL');

    const again = await start(dataDir);
    const stats = (await call(again, 'GET', '/v1/collections/c')).json as { documents: number };
    expect(stats.documents).toBeGreaterThanOrEqual(acknowledged.length);
    const missing: string[] = [];
    for (let i = 0; i < acknowledged.length; i += 50) {
      const ids = acknowledged.slice(i, i + 50);
      const found = await Promise.all(ids.map(async (id) => (await fetch(`${again.url}/v1/collections/c/documents/${id}`)).status));
      ids.forEach((id, j) => found[j] !== 200 && missing.push(id));
    }
    expect(missing).toEqual([]);
    const probe = (await call(again, 'POST', '/v1/collections/c/search', { query: 'protein receptor', k: 5, exact: true })).json as { hits: unknown[] };
    expect(probe.hits.length).toBe(5);
    again.child.kill('SIGTERM');
    expect((await again.exited).code).toBe(0);
  });

  it('finishes an in-flight write on SIGTERM before exiting', async () => {
    const dataDir = await tempDir();
    // Debug level logs each request as it arrives: SIGTERM is sent once the server has the write,
    // never before (a request that arrives after SIGTERM is rightly 503 SHUTTING_DOWN).
    const server = await start(dataDir, { SPARROW_LOG_LEVEL: 'debug' });
    await call(server, 'PUT', '/v1/collections/c', {});
    const documents = Array.from({ length: 500 }, (_, i) => ({ id: `s${i}`, text: docText(i) }));
    const inFlight = call(server, 'POST', '/v1/collections/c/documents', { documents });
    const arrived = /"msg":"incoming request"[^\n]*"url":"\/v1\/collections\/c\/documents"|"url":"\/v1\/collections\/c\/documents"[^\n]*"msg":"incoming request"/;
    while (!arrived.test(server.output())) await new Promise((r) => setTimeout(r, 2));
    server.child.kill('SIGTERM');
    const answered = await inFlight;
    expect(answered.status).toBe(200);
    expect((await server.exited).code, server.output()).toBe(0);
    const again = await start(dataDir);
    expect((await call(again, 'GET', '/v1/collections/c')).json).toMatchObject({ documents: 500 });
    again.child.kill('SIGTERM');
    await again.exited;
  });

  it('holds its data directory: a second server and `sparrow index --data-dir` exit non-zero with DATA_DIR_LOCKED naming its pid; after kill -9 the lock is gone and tasks answer their last state', async () => {
    const dataDir = await tempDir();
    const first = await start(dataDir);
    expect((await call(first, 'PUT', '/v1/collections/c', {})).status).toBe(201);
    const documents = Array.from({ length: 30 }, (_, i) => ({ id: `d${i}`, text: docText(i) }));
    expect((await call(first, 'POST', '/v1/collections/c/documents', { documents })).status).toBe(200);
    const task = (await call(first, 'POST', '/v1/collections/c/_flush')).json as { id: string };
    let state = '';
    while (state !== 'succeeded') state = ((await call(first, 'GET', `/v1/tasks/${task.id}`)).json as { status: string }).status;

    const second = await runToExit(['--port', '0', '--host', '127.0.0.1', '--data-dir', dataDir]);
    expect(second.code).toBe(1);
    expect(second.output).toContain(`DATA_DIR_LOCKED: data directory ${dataDir} is in use by process ${first.child.pid}`);
    const corpus = path.join(dataDir, '..', `corpus-${path.basename(dataDir)}.jsonl`);
    fs.writeFileSync(corpus, JSON.stringify({ _id: 'x1', text: 'another writer' }) + '\n');
    const printed: string[] = [];
    const spy = vi.spyOn(console, 'error').mockImplementation((line: unknown) => void printed.push(String(line)));
    try {
      expect(await main(['index', corpus, '--collection', 'c', '--data-dir', dataDir])).toBe(1);
    } finally {
      spy.mockRestore();
    }
    expect(printed.join('\n')).toContain(`DATA_DIR_LOCKED: data directory ${dataDir} is in use by process ${first.child.pid}`);
    expect((await call(first, 'GET', '/v1/collections/c')).json).toMatchObject({ documents: 30 });

    first.child.kill('SIGKILL');
    expect((await first.exited).signal).toBe('SIGKILL');
    const again = await start(dataDir);
    expect((await call(again, 'GET', '/v1/collections/c')).json).toMatchObject({ documents: 30 });
    expect((await call(again, 'GET', `/v1/tasks/${task.id}`)).json).toMatchObject({ id: task.id, type: 'flush', status: 'succeeded' });
    again.child.kill('SIGTERM');
    expect((await again.exited).code).toBe(0);
  });

  it('creates the SciFact sample on a first start and searches it at once', async () => {
    const dataDir = await tempDir();
    const server = await start(dataDir, { SPARROW_SAMPLE: 'on' });
    let ready = 0;
    for (let i = 0; i < 600 && ready !== 200; i++) {
      ready = (await fetch(`${server.url}/ready`)).status;
      if (ready !== 200) await new Promise((r) => setTimeout(r, 100));
    }
    expect(ready).toBe(200);
    const stats = (await call(server, 'GET', '/v1/collections/scifact')).json;
    expect(stats).toMatchObject({ name: 'scifact', documents: 5183 });
    const { hits } = (await call(server, 'POST', '/v1/collections/scifact/search', { query: 'microstructural development of newborn cerebral white matter', k: 3 })).json as { hits: Array<{ id: string }> };
    expect(hits[0].id).toBe('4983');
    server.child.kill('SIGTERM');
    expect((await server.exited).code).toBe(0);

    const restarted = await start(dataDir, { SPARROW_SAMPLE: 'on' });
    expect((await call(restarted, 'GET', '/v1/collections')).json.collections).toHaveLength(1);
    restarted.child.kill('SIGTERM');
    await restarted.exited;
  });
});
