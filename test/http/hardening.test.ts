/**
 * Bad input never crashes or poisons a collection: each case a user found ("Why" of the hardening
 * issue) is a 4xx problem+json with a stable code, nothing is stored, the server keeps serving and
 * a restart opens the data directory.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { body, expectProblem, openApp, tempDir, testConfig } from './helpers.js';

const TINY_MODEL = fileURLToPath(new URL('../fixtures/tiny-splade', import.meta.url));
const apps: FastifyInstance[] = [];
afterEach(async () => {
  await Promise.all(apps.splice(0).map((a) => a.close()));
});

async function start(dataDir?: string): Promise<FastifyInstance> {
  const app = await openApp(testConfig(dataDir ?? (await tempDir('sparrow-hard-'))));
  apps.push(app);
  return app;
}

async function restart(app: FastifyInstance): Promise<FastifyInstance> {
  const dir = app.sparrow.config.server.dataDir;
  apps.splice(apps.indexOf(app), 1);
  await app.close();
  return start(dir);
}

describe('bad input is refused before anything is stored', () => {
  it('a zero dense vector under cosine is 400 INVALID_DENSE_VECTOR naming the document; the server and a restart keep working', async () => {
    let app = await start();
    expect((await app.inject({ method: 'PUT', url: '/v1/collections/c', payload: { encoder: { kind: 'splade' }, dense: { dims: 3, metric: 'cosine' } } })).statusCode).toBe(201);
    const good = { id: 'ok', sparse: { indices: [1], values: [1] }, dense: [1, 0, 0] };
    const res = await app.inject({ method: 'POST', url: '/v1/collections/c/documents', payload: { documents: [good, { id: 'zero', sparse: { indices: [2], values: [1] }, dense: [0, 0, 0] }] } });
    const problem = expectProblem(res, 400, 'INVALID_DENSE_VECTOR');
    expect(problem).toMatchObject({ document: 'zero', field: 'dense' });
    expect(problem.detail).toMatch(/documents\[1\]\.dense/);
    // float32 overflow of the norm is the same mistake: finite doubles, no float32 direction
    expectProblem(await app.inject({ method: 'POST', url: '/v1/collections/c/documents', payload: { documents: [{ id: 'big', sparse: { indices: [2], values: [1] }, dense: [1e30, 1e30, 1e30] }] } }), 400, 'INVALID_DENSE_VECTOR');
    expectProblem(await app.inject({ method: 'POST', url: '/v1/collections/c/documents', payload: { documents: [{ id: 'inf', sparse: { indices: [2], values: [1] }, dense: [1e39, 0, 1] }] } }), 400, 'INVALID_DENSE_VECTOR');
    expect(body(await app.inject({ method: 'GET', url: '/v1/collections/c' }))).toMatchObject({ documents: 0 });
    expect((await app.inject({ method: 'POST', url: '/v1/collections/c/documents', payload: { documents: [good] } })).statusCode).toBe(200);
    app = await restart(app);
    expect(body(await app.inject({ method: 'GET', url: '/v1/collections/c' }))).toMatchObject({ documents: 1 });
    const hits = body<{ hits: Array<{ id: string }> }>(await app.inject({ method: 'POST', url: '/v1/collections/c/search', payload: { dense: [1, 0, 0], mode: 'dense' } }));
    expect(hits.hits.map((h) => h.id)).toEqual(['ok']);
  });

  it('a sparse weight beyond float32 (1e39) is 400 INVALID_SPARSE_VECTOR; one that rounds to 0 is dropped', async () => {
    const app = await start();
    await app.inject({ method: 'PUT', url: '/v1/collections/c', payload: { encoder: { kind: 'splade' } } });
    const res = await app.inject({ method: 'POST', url: '/v1/collections/c/documents', payload: { documents: [{ id: 'a', sparse: { indices: [1, 2], values: [1, 1e39] } }] } });
    expect(expectProblem(res, 400, 'INVALID_SPARSE_VECTOR').detail).toMatch(/documents\[0\]\.sparse\.values\[1\].*float32/);
    expect(body(await app.inject({ method: 'GET', url: '/v1/collections/c' }))).toMatchObject({ documents: 0 });
    const tiny = await app.inject({ method: 'POST', url: '/v1/collections/c/documents', payload: { documents: [{ id: 'b', sparse: { indices: [1, 2], values: [1, 1e-50] } }] } });
    expect(tiny.statusCode, tiny.body).toBe(200);
    expect(body<{ sparse: { indices: number[] } }>(await app.inject({ method: 'GET', url: '/v1/collections/c/documents/b' })).sparse.indices).toEqual([1]);
    expect((await app.inject({ method: 'POST', url: '/v1/collections/c/_flush' })).statusCode).toBe(202);
  });

  it.each([
    [{ exhaustiveBelow: 1e16 }, 'index.seismic.exhaustiveBelow'],
    [{ docCut: 300 }, 'index.seismic.docCut'],
    [{ nKnn: 1000 }, 'index.seismic.nKnn'],
  ])('index parameters %j are refused at PUT by the native build check (400 INVALID_CONFIG naming %s)', async (seismic, option) => {
    const app = await start();
    const res = await app.inject({ method: 'PUT', url: '/v1/collections/c', payload: { index: { seismic } } });
    expect(expectProblem(res, 400, 'INVALID_CONFIG')).toMatchObject({ option });
    expectProblem(await app.inject({ method: 'GET', url: '/v1/collections/c' }), 404, 'COLLECTION_NOT_FOUND');
  });

  it('a model directory that does not exist is 400 INVALID_MODEL naming it; a relative one is stored as an absolute path', async () => {
    const app = await start();
    const missing = await app.inject({ method: 'PUT', url: '/v1/collections/m', payload: { encoder: { kind: 'splade', model: 'no/such/model' } } });
    expect(expectProblem(missing, 400, 'INVALID_MODEL').detail).toContain(path.resolve('no/such/model'));
    expectProblem(await app.inject({ method: 'GET', url: '/v1/collections/m' }), 404, 'COLLECTION_NOT_FOUND');
    const relative = path.relative(process.cwd(), TINY_MODEL);
    const created = await app.inject({ method: 'PUT', url: '/v1/collections/m', payload: { encoder: { kind: 'splade', model: relative } } });
    expect(created.statusCode, created.body).toBe(201);
    expect(body<{ config: { encoder: { model: string } } }>(created).config.encoder.model).toBe(TINY_MODEL);
  });

  it('a batch larger than index.maxUnsealedDocs is 413 BATCH_TOO_LARGE (never a retryable 503)', async () => {
    const app = await start();
    await app.inject({ method: 'PUT', url: '/v1/collections/c', payload: { encoder: { kind: 'splade' }, index: { mutableMaxDocs: 10, maxUnsealedDocs: 10 } } });
    const documents = Array.from({ length: 11 }, (_, i) => ({ id: `d${i}`, sparse: { indices: [i + 1], values: [1] } }));
    const res = await app.inject({ method: 'POST', url: '/v1/collections/c/documents', payload: { documents } });
    expect(expectProblem(res, 413, 'BATCH_TOO_LARGE')).toMatchObject({ limit: 10 });
    expect(res.headers['retry-after']).toBeUndefined();
  });

  it.each(['backups', 'samples'])('the name %s is reserved for the data directory\'s own folder (400 INVALID_COLLECTION_NAME)', async (name) => {
    const app = await start();
    expectProblem(await app.inject({ method: 'PUT', url: `/v1/collections/${name}`, payload: {} }), 400, 'INVALID_COLLECTION_NAME');
  });
});

async function until<T>(probe: () => Promise<T | undefined>, what: string): Promise<T> {
  for (let i = 0; i < 200; i++) {
    const got = await probe();
    if (got !== undefined) return got;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`timed out waiting for ${what}`);
}

describe('a failure after the commit, and rows that cannot be loaded', () => {
  it('an injected failure applying a committed write keeps the process up: the collection is rebuilt read-only from SQLite (reason in /ready, its stats and the log), the others keep serving, a restart opens it', async () => {
    let app = await start();
    for (const name of ['c', 'other']) {
      expect((await app.inject({ method: 'PUT', url: `/v1/collections/${name}`, payload: { encoder: { kind: 'splade' } } })).statusCode).toBe(201);
      const first = await app.inject({ method: 'POST', url: `/v1/collections/${name}/documents`, payload: { documents: [{ id: 'a', sparse: { indices: [1], values: [1] } }] } });
      expect(first.statusCode).toBe(200);
    }
    const logged: string[] = [];
    const spy = vi.spyOn(console, 'error').mockImplementation((...args: unknown[]) => void logged.push(args.map(String).join(' ')));
    try {
      process.env.SPARROW_FAIL_AT = 'apply';
      const res = await app.inject({ method: 'POST', url: '/v1/collections/c/documents', payload: { documents: [{ id: 'b', sparse: { indices: [2], values: [1] } }, { id: 'c', sparse: { indices: [3], values: [1] } }] } });
      delete process.env.SPARROW_FAIL_AT;
      expect(res.statusCode, res.body).toBe(200); // committed: acknowledged
      const stats = await until(async () => {
        const r = await app.inject({ method: 'GET', url: '/v1/collections/c' });
        if (r.statusCode === 503) expectProblem(r, 503, 'COLLECTION_READ_ONLY'); // while it is rebuilt
        return r.statusCode === 200 ? body<{ status: string; reason: string; documents: number }>(r) : undefined;
      }, 'the rebuild');
      expect(stats).toMatchObject({ status: 'read-only', documents: 3 });
      expect(stats.reason).toMatch(/injected failure at apply/);
      expect(logged.join('\n')).toMatch(/collection c rebuilt from collection.db; read-only until restart/);
    } finally {
      delete process.env.SPARROW_FAIL_AT;
      spy.mockRestore();
    }
    const ready = body<{ degraded: unknown[] }>(await app.inject({ method: 'GET', url: '/ready' }));
    expect(ready.degraded).toEqual([{ collection: 'c', status: 'read-only', reason: expect.stringMatching(/injected failure/) }]);
    // every acknowledged document is searchable (from SQLite), writes are refused
    for (const [term, id] of [[1, 'a'], [2, 'b'], [3, 'c']] as const) {
      const hits = body<{ hits: Array<{ id: string }> }>(await app.inject({ method: 'POST', url: '/v1/collections/c/search', payload: { sparse: { indices: [term], values: [1] }, exact: true } })).hits;
      expect(hits.map((h) => h.id)).toEqual([id]);
    }
    expectProblem(await app.inject({ method: 'POST', url: '/v1/collections/c/documents', payload: { documents: [{ id: 'd', sparse: { indices: [4], values: [1] } }] } }), 503, 'COLLECTION_READ_ONLY');
    expectProblem(await app.inject({ method: 'DELETE', url: '/v1/collections/c/documents/a' }), 503, 'COLLECTION_READ_ONLY');
    // the others serve normally
    expect((await app.inject({ method: 'POST', url: '/v1/collections/other/documents', payload: { documents: [{ id: 'z', sparse: { indices: [9], values: [1] } }] } })).statusCode).toBe(200);
    expect(body(await app.inject({ method: 'GET', url: '/v1/collections/other' }))).toMatchObject({ status: 'ok', documents: 2 });

    app = await restart(app);
    expect(body(await app.inject({ method: 'GET', url: '/v1/collections/c' }))).toMatchObject({ status: 'ok', documents: 3 });
    expect((await app.inject({ method: 'POST', url: '/v1/collections/c/documents', payload: { documents: [{ id: 'd', sparse: { indices: [4], values: [1] } }] } })).statusCode).toBe(200);
    expect(body(await app.inject({ method: 'GET', url: '/ready' }))).not.toHaveProperty('degraded');
  });

  it('a stored row that cannot be loaded (a zero cosine vector an older version stored) is moved to quarantine with its reason; the collection opens and serves', async () => {
    let app = await start();
    await app.inject({ method: 'PUT', url: '/v1/collections/c', payload: { encoder: { kind: 'splade' }, dense: { dims: 3, metric: 'cosine' } } });
    const documents = [
      { id: 'good', sparse: { indices: [1], values: [1] }, dense: [1, 0, 0] },
      { id: 'bad', sparse: { indices: [1, 2], values: [1, 1] }, dense: [0, 1, 0] },
    ];
    expect((await app.inject({ method: 'POST', url: '/v1/collections/c/documents', payload: { documents } })).statusCode).toBe(200);
    expect((await app.inject({ method: 'POST', url: '/v1/collections/c/_flush' })).statusCode).toBe(202);
    await until(async () => (body<{ segments: Array<{ sealed: boolean }> }>(await app.inject({ method: 'GET', url: '/v1/collections/c' })).segments.some((s) => s.sealed) ? true : undefined), 'the seal');
    const dataDir = app.sparrow.config.server.dataDir;
    apps.splice(apps.indexOf(app), 1);
    await app.close();
    // what the old version let through: a zero vector under cosine, written straight into SQLite
    const db = new Database(path.join(dataDir, 'c', 'collection.db'));
    db.prepare('UPDATE documents SET dense = ? WHERE id = ?').run(Buffer.from(new Float32Array(3).buffer), 'bad');
    db.close();

    app = await start(dataDir);
    const stats = body<{ status: string; documents: number; quarantine: { count: number; rows: Array<{ id: string; reason: string }> } }>(await app.inject({ method: 'GET', url: '/v1/collections/c' }));
    expect(stats).toMatchObject({ status: 'ok', documents: 1, quarantine: { count: 1, rows: [{ id: 'bad', docno: 2, reason: expect.stringMatching(/INVALID_DENSE_VECTOR.*zero/) }] } });
    expectProblem(await app.inject({ method: 'GET', url: '/v1/collections/c/documents/bad' }), 404, 'DOCUMENT_NOT_FOUND');
    const hits = body<{ hits: Array<{ id: string }> }>(await app.inject({ method: 'POST', url: '/v1/collections/c/search', payload: { sparse: { indices: [1], values: [1] }, k: 5 } })).hits;
    expect(hits.map((h) => h.id)).toEqual(['good']); // the quarantined row is hidden in its sealed segment too
    // the id can be written again, and a restart keeps the quarantine record
    expect((await app.inject({ method: 'POST', url: '/v1/collections/c/documents', payload: { documents: [{ id: 'bad', sparse: { indices: [2], values: [1] }, dense: [0, 0, 1] }] } })).statusCode).toBe(200);
    app = await restart(app);
    expect(body(await app.inject({ method: 'GET', url: '/v1/collections/c' }))).toMatchObject({ documents: 2, quarantine: { count: 1 } });
  });
});

describe('a collection never stops the server', () => {
  it('a collection whose database cannot be opened answers 503 COLLECTION_UNAVAILABLE with why; the server starts and the others serve', async () => {
    let app = await start();
    for (const name of ['bad', 'good']) {
      await app.inject({ method: 'PUT', url: `/v1/collections/${name}`, payload: { encoder: { kind: 'splade' } } });
      await app.inject({ method: 'POST', url: `/v1/collections/${name}/documents`, payload: { documents: [{ id: 'a', sparse: { indices: [1], values: [1] } }] } });
    }
    const dataDir = app.sparrow.config.server.dataDir;
    apps.splice(apps.indexOf(app), 1);
    await app.close();
    fs.writeFileSync(path.join(dataDir, 'bad', 'collection.db'), 'this is not a database, it was overwritten');
    for (const f of ['collection.db-wal', 'collection.db-shm']) fs.rmSync(path.join(dataDir, 'bad', f), { force: true });
    const spy = vi.spyOn(console, 'error').mockImplementation(() => undefined);
    try {
      app = await start(dataDir);
    } finally {
      spy.mockRestore();
    }
    const res = await app.inject({ method: 'POST', url: '/v1/collections/bad/search', payload: { sparse: { indices: [1], values: [1] } } });
    expect(expectProblem(res, 503, 'COLLECTION_UNAVAILABLE').detail).toMatch(/could not be opened at start/);
    const hits = body<{ hits: Array<{ id: string }> }>(await app.inject({ method: 'POST', url: '/v1/collections/good/search', payload: { sparse: { indices: [1], values: [1] } } })).hits;
    expect(hits.map((h) => h.id)).toEqual(['a']);
  });

  it('a collection whose model is missing at start opens degraded: vector searches work, text encoding is 503 MODEL_UNAVAILABLE naming the file, the others serve', async () => {
    const root = await tempDir('sparrow-model-');
    const model = path.join(root, 'model');
    fs.cpSync(TINY_MODEL, model, { recursive: true });
    let app = await start(path.join(root, 'data'));
    expect((await app.inject({ method: 'PUT', url: '/v1/collections/m', payload: { encoder: { kind: 'splade', model } } })).statusCode).toBe(201);
    const docs = [{ id: 't', text: 'protein folding' }, { id: 'v', sparse: { indices: [1000], values: [2] } }];
    expect((await app.inject({ method: 'POST', url: '/v1/collections/m/documents', payload: { documents: docs } })).statusCode).toBe(200);
    await app.inject({ method: 'PUT', url: '/v1/collections/other', payload: {} });
    await app.inject({ method: 'POST', url: '/v1/collections/other/documents', payload: { documents: [{ id: 'o', text: 'vaccines train the immune system' }] } });
    fs.renameSync(model, `${model}.moved`);

    const spy = vi.spyOn(console, 'error').mockImplementation(() => undefined);
    try {
      app = await restart(app);
    } finally {
      spy.mockRestore();
    }
    const stats = body<{ status: string; reason: string; documents: number }>(await app.inject({ method: 'GET', url: '/v1/collections/m' }));
    expect(stats).toMatchObject({ status: 'degraded', documents: 2 });
    expect(stats.reason).toContain(model);
    const hits = body<{ hits: Array<{ id: string }> }>(await app.inject({ method: 'POST', url: '/v1/collections/m/search', payload: { sparse: { indices: [1000], values: [1] } } })).hits;
    expect(hits.map((h) => h.id)).toEqual(['v']);
    const text = await app.inject({ method: 'POST', url: '/v1/collections/m/search', payload: { query: 'protein' } });
    expect(expectProblem(text, 503, 'MODEL_UNAVAILABLE').file).toContain(model);
    expectProblem(await app.inject({ method: 'POST', url: '/v1/encode', payload: { text: 'protein', side: 'query', collection: 'm' } }), 503, 'MODEL_UNAVAILABLE');
    expectProblem(await app.inject({ method: 'POST', url: '/v1/collections/m/documents', payload: { documents: [{ id: 'u', text: 'new text' }] } }), 503, 'MODEL_UNAVAILABLE');
    expect((await app.inject({ method: 'POST', url: '/v1/collections/m/documents', payload: { documents: [{ id: 'w', sparse: { indices: [7], values: [1] } }] } })).statusCode).toBe(200);
    expect(body<{ degraded: unknown[] }>(await app.inject({ method: 'GET', url: '/ready' })).degraded).toEqual([{ collection: 'm', status: 'degraded', reason: expect.stringContaining(model) }]);
    const other = body<{ hits: Array<{ id: string }> }>(await app.inject({ method: 'POST', url: '/v1/collections/other/search', payload: { query: 'immune' } })).hits;
    expect(other.map((h) => h.id)).toEqual(['o']);

    fs.renameSync(`${model}.moved`, model);
    app = await restart(app);
    expect(body(await app.inject({ method: 'GET', url: '/v1/collections/m' }))).toMatchObject({ status: 'ok', documents: 3 });
    expect((await app.inject({ method: 'POST', url: '/v1/collections/m/search', payload: { query: 'protein' } })).statusCode).toBe(200);
  });
});
