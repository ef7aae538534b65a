/**
 * Disk full: a write that meets ENOSPC (a real small tmpfs when this machine lets the test mount
 * one; SQLite's max_page_count everywhere) answers 507 DISK_FULL, loses nothing acknowledged
 * before it, and writes succeed again once space returns, across a restart too.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import type { EngineCollection } from '../../src/engine/write/collection.js';
import { body, expectProblem, openApp, tempDir, testConfig } from './helpers.js';

const apps: FastifyInstance[] = [];
const mounts: string[] = [];
afterEach(async () => {
  await Promise.all(apps.splice(0).map((a) => a.close()));
  for (const m of mounts.splice(0)) execFileSync('umount', [m]);
});

const FILLER = 'x'.repeat(4_000);
const batch = (b: number) => Array.from({ length: 20 }, (_, i) => ({ id: `b${b}-${i}`, text: FILLER, sparse: { indices: [b * 20 + i + 1], values: [1] } }));

async function writeUntilFull(app: FastifyInstance): Promise<{ acknowledged: string[]; batches: number }> {
  const acknowledged: string[] = [];
  for (let b = 0; b < 10_000; b++) {
    const res = await app.inject({ method: 'POST', url: '/v1/collections/c/documents', payload: { documents: batch(b) } });
    if (res.statusCode === 200) {
      acknowledged.push(...batch(b).map((d) => d.id));
      continue;
    }
    expectProblem(res, 507, 'DISK_FULL');
    return { acknowledged, batches: b };
  }
  throw new Error('the disk never filled');
}

async function expectAll(app: FastifyInstance, ids: string[]): Promise<void> {
  expect(body<{ documents: number }>(await app.inject({ method: 'GET', url: '/v1/collections/c' })).documents).toBe(ids.length);
  for (const id of ids.filter((_, i) => i % 7 === 0)) expect((await app.inject({ method: 'GET', url: `/v1/collections/c/documents/${id}` })).statusCode, id).toBe(200);
}

function canMount(): boolean {
  const probe = fs.mkdtempSync('/tmp/sparrow-mount-probe-');
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', probe], { stdio: 'ignore' });
    execFileSync('umount', [probe]);
    return true;
  } catch {
    return false;
  } finally {
    fs.rmSync(probe, { recursive: true, force: true });
  }
}

describe('disk full', () => {
  it('SQLite full (max_page_count): 507 DISK_FULL, nothing acknowledged lost, writes resume when space returns', async () => {
    const dataDir = await tempDir('sparrow-full-');
    let app = await openApp(testConfig(dataDir));
    apps.push(app);
    await app.inject({ method: 'PUT', url: '/v1/collections/c', payload: { encoder: { kind: 'splade' } } });
    const first = await app.inject({ method: 'POST', url: '/v1/collections/c/documents', payload: { documents: batch(0) } });
    expect(first.statusCode).toBe(200);
    const db = (app.sparrow.manager.get('c') as EngineCollection).store.db;
    const pages = db.pragma('page_count', { simple: true }) as number;
    db.pragma(`max_page_count = ${pages + 40}`); // the database may grow ~160 KB more
    const { acknowledged, batches } = await writeUntilFull(app);
    expect(batches).toBeGreaterThan(1);
    const all = [...batch(0).map((d) => d.id), ...acknowledged.filter((id) => !id.startsWith('b0-'))];
    await expectAll(app, all);
    const hits = body<{ hits: Array<{ id: string }> }>(await app.inject({ method: 'POST', url: '/v1/collections/c/search', payload: { sparse: { indices: [1], values: [1] } } })).hits;
    expect(hits.map((h) => h.id)).toEqual(['b0-0']); // reads keep working
    db.pragma('max_page_count = 1073741823'); // space returns
    const again = await app.inject({ method: 'POST', url: '/v1/collections/c/documents', payload: { documents: batch(batches) } });
    expect(again.statusCode, again.body).toBe(200);
    all.push(...batch(batches).map((d) => d.id));
    apps.pop();
    await app.close();
    app = await openApp(testConfig(dataDir));
    apps.push(app);
    await expectAll(app, all);
  });

  it('a read-only database (SQLite query_only, as a disk remounted read-only refuses writes): 507 DISK_READ_ONLY, nothing lost, writes resume once writable', async () => {
    const app = await openApp(testConfig(await tempDir('sparrow-ro-')));
    apps.push(app);
    await app.inject({ method: 'PUT', url: '/v1/collections/c', payload: { encoder: { kind: 'splade' } } });
    expect((await app.inject({ method: 'POST', url: '/v1/collections/c/documents', payload: { documents: batch(0) } })).statusCode).toBe(200);
    const db = (app.sparrow.manager.get('c') as EngineCollection).store.db;
    db.pragma('query_only = 1');
    expectProblem(await app.inject({ method: 'POST', url: '/v1/collections/c/documents', payload: { documents: batch(1) } }), 507, 'DISK_READ_ONLY');
    expectProblem(await app.inject({ method: 'DELETE', url: '/v1/collections/c/documents/b0-1' }), 507, 'DISK_READ_ONLY');
    await expectAll(app, batch(0).map((d) => d.id));
    db.pragma('query_only = 0');
    expect((await app.inject({ method: 'POST', url: '/v1/collections/c/documents', payload: { documents: batch(1) } })).statusCode).toBe(200);
    await expectAll(app, [...batch(0), ...batch(1)].map((d) => d.id));
  });

  it.skipIf(!canMount())('a real full file system (a 3 MB tmpfs): 507 DISK_FULL, nothing acknowledged lost, writes, flush and restart work once it grows', async () => {
    const mount = await tempDir('sparrow-tmpfs-');
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=3m', 'tmpfs', mount]);
    mounts.push(mount);
    const dataDir = path.join(mount, 'data');
    let app = await openApp(testConfig(dataDir));
    apps.push(app);
    await app.inject({ method: 'PUT', url: '/v1/collections/c', payload: { encoder: { kind: 'splade' } } });
    const { acknowledged, batches } = await writeUntilFull(app);
    expect(acknowledged.length).toBeGreaterThan(0);
    await expectAll(app, acknowledged);
    execFileSync('mount', ['-o', 'remount,size=64m', mount]);
    const again = await app.inject({ method: 'POST', url: '/v1/collections/c/documents', payload: { documents: batch(batches) } });
    expect(again.statusCode, again.body).toBe(200);
    const all = [...acknowledged, ...batch(batches).map((d) => d.id)];
    const task = body<{ id: string }>(await app.inject({ method: 'POST', url: '/v1/collections/c/_flush' }));
    let state: { status: string } = { status: 'running' };
    while (state.status === 'running') {
      await new Promise((r) => setTimeout(r, 20));
      state = body(await app.inject({ method: 'GET', url: `/v1/tasks/${task.id}` }));
    }
    expect(state.status).toBe('succeeded');
    apps.pop();
    await app.close();
    app = await openApp(testConfig(dataDir));
    apps.push(app);
    await expectAll(app, all);
  });
});
