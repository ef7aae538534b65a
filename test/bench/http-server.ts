/**
 * A real Sparrow server in a child process for the HTTP benchmarks (bench:http, bench:http-recall):
 * start on 127.0.0.1 with a data directory, wait for /ready, stop with SIGTERM; small request helpers.
 * SPARROW_BENCH_NODE_ARGS: extra node flags for the server child (profiling: "--cpu-prof --cpu-prof-dir=DIR").
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const CHILD = fileURLToPath(new URL('../http/fixtures/serve-child.ts', import.meta.url));

export interface Server {
  child: ChildProcess;
  url: string;
  dataDir: string;
}

/** Starts `sparrow serve` from the sources; `dataDir` defaults to a new temporary directory. */
export async function startServer(env: Record<string, string>, dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'sparrow-bench-http-'))): Promise<Server> {
  const child = spawn(process.execPath, [...(process.env.SPARROW_BENCH_NODE_ARGS ?? '').split(' ').filter(Boolean), '--import', 'tsx', CHILD, '--port', '0', '--host', '127.0.0.1', '--data-dir', dataDir], {
    env: { ...process.env, SPARROW_LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let log = '';
  const url = await new Promise<string>((resolve, reject) => {
    child.stdout?.on('data', (d: Buffer) => {
      log += d;
      const m = /listening at (http:\/\/127\.0\.0\.1:\d+)/.exec(log);
      if (m) resolve(m[1]);
    });
    child.once('exit', () => reject(new Error(`server exited:\n${log}`)));
    setTimeout(() => reject(new Error(`server did not start in 60 s:\n${log}`)), 60_000).unref();
  });
  for (;;) {
    if ((await fetch(`${url}/ready`)).status === 200) break;
    await new Promise((r) => setTimeout(r, 200));
  }
  return { child, url, dataDir };
}

export async function stop(server: Server): Promise<void> {
  if (server.child.exitCode !== null || server.child.signalCode !== null) return; // stopped already
  const exited = new Promise((r) => server.child.once('exit', r));
  server.child.kill('SIGTERM');
  await exited;
}

/** POST JSON, waiting out 503s (Retry-After); throws on any other non-2xx. Returns the parsed body. */
export async function post<T = unknown>(url: string, payload: unknown, method = 'POST'): Promise<T> {
  for (;;) {
    const res = await fetch(url, { method, headers: { 'content-type': 'application/json' }, body: JSON.stringify(payload) });
    if (res.status === 503) {
      await new Promise((r) => setTimeout(r, 1000 * Number(res.headers.get('retry-after') ?? 1)));
      continue;
    }
    if (res.status >= 300) throw new Error(`${url}: ${res.status} ${await res.text()}`);
    return (await res.json()) as T;
  }
}

/** Starts a long operation (_flush, _optimize) and waits for its task to finish. */
export async function runTask(server: Server, url: string): Promise<void> {
  const task = (await (await fetch(url, { method: 'POST' })).json()) as { id: string };
  for (;;) {
    const now = (await (await fetch(`${server.url}/v1/tasks/${task.id}`)).json()) as { status: string; error?: unknown };
    if (now.status === 'failed') throw new Error(`${url}: ${JSON.stringify(now.error)}`);
    if (now.status !== 'running' && now.status !== 'queued') return;
    await new Promise((r) => setTimeout(r, 500));
  }
}
