/**
 * Bad input never crashes or poisons a collection: each case a user found ("Why" of the hardening
 * issue) is a 4xx problem+json with a stable code, nothing is stored, the server keeps serving and
 * a restart opens the data directory.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
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
    [{ maxFraction: 0.5 }, 'index.seismic.maxFraction'],
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
