/**
 * What a newcomer meets over HTTP (issue 18): the request a README reader sends works, and the one
 * that cannot work says which field or header is wrong.
 */
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { body, createWithDocs, expectProblem, openApp, tempDir, testConfig } from './helpers.js';

describe('newcomer requests', () => {
  let app: FastifyInstance;

  beforeAll(async () => {
    app = await openApp(testConfig(await tempDir(), (c) => (c.server.maxK = 5)));
    await createWithDocs(app, 'docs');
  });
  afterAll(async () => app?.close());

  const search = (payload: unknown) => app.inject({ method: 'POST', url: '/v1/collections/docs/search', payload: payload as object });

  it('creates a collection from a PUT without a body (every field is optional)', async () => {
    const res = await app.inject({ method: 'PUT', url: '/v1/collections/nobody' });
    expect(res.statusCode, res.body).toBe(201);
    expect(body<{ config: { encoder: { kind: string } } }>(res).config.encoder.kind).toBe('lexical');
  });

  it('names the field in validation messages', async () => {
    const unknown = expectProblem(await app.inject({ method: 'PUT', url: '/v1/collections/x1', payload: { foo: 1 } }), 400, 'VALIDATION_ERROR');
    expect(unknown.detail).toBe('body: unknown property "foo"');
    const nested = expectProblem(await search({ query: 'protein', hybrid: { alpha: 2 } }), 400, 'VALIDATION_ERROR');
    expect(nested.detail).toBe('body.hybrid.alpha must be <= 1');
    const missing = expectProblem(await app.inject({ method: 'POST', url: '/v1/collections/docs/documents', payload: { documents: [{ text: 'x' }] } }), 400, 'VALIDATION_ERROR');
    expect(missing.detail).toBe('body.documents[0]: missing required property "id"');
    const none = expectProblem(await app.inject({ method: 'POST', url: '/v1/collections/docs/search' }), 400, 'VALIDATION_ERROR');
    expect(none.detail).toBe('body must be a JSON object');
  });

  it('answers a dense field of 0 dimensions as a configuration error, not a vector error', async () => {
    const res = await app.inject({ method: 'PUT', url: '/v1/collections/d0', payload: { dense: { dims: 0, metric: 'dot' } } });
    expect(expectProblem(res, 400, 'INVALID_CONFIG').detail).toBe('body.dense.dims must be >= 1');
  });

  it('defaults k to min(10, max k), in search and in _msearch', async () => {
    const res = await search({ query: 'protein folding cells vaccines genes' });
    expect(res.statusCode, res.body).toBe(200);
    expect(body<{ hits: unknown[] }>(res).hits).toHaveLength(5);
    const multi = await app.inject({ method: 'POST', url: '/v1/collections/docs/_msearch', payload: { searches: [{ query: 'protein' }, { query: 'cells', k: 2 }] } });
    expect(multi.statusCode, multi.body).toBe(200);
    const [first, second] = body<{ responses: Array<{ hits: unknown[] }> }>(multi).responses;
    expect(first.hits.length).toBeGreaterThan(0);
    expect(second.hits.length).toBeLessThanOrEqual(2);
    expectProblem(await search({ query: 'protein', k: 6 }), 400, 'INVALID_K');
  });

  it('answers _msearch schema failures per item, naming the item and field', async () => {
    const res = await app.inject({
      method: 'POST',
      url: '/v1/collections/docs/_msearch',
      payload: { searches: [{ query: 'protein' }, { query: 'cells', k: 0 }, { query: 'x', foo: 1 }, { query: 'genes', k: 7 }] },
    });
    expect(res.statusCode, res.body).toBe(200);
    const [ok, zero, unknown, tooBig] = body<{ responses: Array<Record<string, unknown>> }>(res).responses;
    expect(ok.hits).toBeDefined();
    expect(zero).toMatchObject({ status: 400, code: 'INVALID_K', detail: 'body.searches[1].k must be >= 1' });
    expect(unknown).toMatchObject({ status: 400, code: 'VALIDATION_ERROR', detail: 'body.searches[2]: unknown property "foo"' });
    expect(tooBig).toMatchObject({ status: 400, code: 'INVALID_K' });
    // the request as a whole is still checked: no searches at all is a 400
    expectProblem(await app.inject({ method: 'POST', url: '/v1/collections/docs/_msearch', payload: { searches: [] } }), 400, 'VALIDATION_ERROR');
  });

  it('reads _bulk as NDJSON under the NDJSON types, JSON, plain text and no type; a form type is a 415 naming the expected type', async () => {
    const ndjson = (id: string) => `{"id": "${id}a", "text": "alpha"}\n{"id": "${id}b", "text": "beta"}\n`;
    const types = ['application/x-ndjson', 'application/ndjson', 'application/json', 'text/plain; charset=utf-8', undefined];
    for (const [i, type] of types.entries()) {
      const res = await app.inject({
        method: 'POST',
        url: '/v1/collections/docs/documents/_bulk',
        payload: Buffer.from(ndjson(`b${i}`)),
        headers: type === undefined ? {} : { 'content-type': type },
      });
      expect(res.statusCode, `${type}: ${res.body}`).toBe(200);
      expect(body(res), String(type)).toMatchObject({ lines: 2, indexed: 2, failed: 0 });
    }
    const form = await app.inject({
      method: 'POST',
      url: '/v1/collections/docs/documents/_bulk',
      payload: ndjson('f'),
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    expect(expectProblem(form, 415, 'UNSUPPORTED_MEDIA_TYPE').detail).toMatch(/expected content-type: application\/x-ndjson.*application\/x-www-form-urlencoded/);
    const bad = await app.inject({ method: 'POST', url: '/v1/collections/docs/documents/_bulk', payload: '{"id": "z", "foo": 1}\n', headers: { 'content-type': 'application/x-ndjson' } });
    expect(body<{ items: Array<{ detail: string }> }>(bad).items[0].detail).toBe('line 1: document: unknown property "foo"');
  });

  it('answers a JSON route sent a form type (curl -d without -H) with a 415 naming application/json', async () => {
    const res = await app.inject({
      method: 'POST',
      url: '/v1/collections/docs/search',
      payload: '{"query": "protein"}',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    const problem = expectProblem(res, 415, 'UNSUPPORTED_MEDIA_TYPE');
    expect(problem.detail).toContain('expected content-type: application/json');
    expect(problem.detail).toContain("-H 'content-type: application/json'");
  });
});

describe('before the collections are loaded', () => {
  it('answers the API with 503 NOT_READY instead of searching a partial collection; /health stays up', async () => {
    const app = await openApp(testConfig(await tempDir()));
    try {
      await createWithDocs(app, 'docs');
      app.sparrow.state.ready = false;
      const res = await app.inject({ method: 'POST', url: '/v1/collections/docs/search', payload: { query: 'protein' } });
      expectProblem(res, 503, 'NOT_READY');
      expect(res.headers['retry-after']).toBe('1');
      expect((await app.inject({ method: 'GET', url: '/health' })).statusCode).toBe(200);
      app.sparrow.state.ready = true;
      expect((await app.inject({ method: 'POST', url: '/v1/collections/docs/search', payload: { query: 'protein' } })).statusCode).toBe(200);
    } finally {
      await app.close();
    }
  });
});
