/** Aliases over HTTP: create, switch atomically, every collection route through an alias, persisted across restarts. */
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Config } from '../../src/config.js';
import { SAMPLE_DOCS, body, createWithDocs, expectProblem, openApp, tempDir, testConfig } from './helpers.js';

type Hits = { hits: Array<{ id: string }> };

describe('aliases', () => {
  let app: FastifyInstance;
  let config: Config;

  beforeAll(async () => {
    config = testConfig(await tempDir());
    app = await openApp(config);
    await createWithDocs(app, 'v1', SAMPLE_DOCS.slice(0, 3));
    await createWithDocs(app, 'v2', SAMPLE_DOCS.slice(2));
  });
  afterAll(async () => app?.close());

  const search = async (name: string): Promise<string[]> => {
    const res = await app.inject({ method: 'POST', url: `/v1/collections/${name}/search`, payload: { query: 'vaccines protein cells genes folding', k: 10 } });
    expect(res.statusCode, res.body).toBe(200);
    return body<Hits>(res).hits.map((h) => h.id).sort();
  };

  it('points at a collection, answers every collection route through it, and switches in one step', async () => {
    const created = await app.inject({ method: 'PUT', url: '/v1/aliases/live', payload: { collection: 'v1' } });
    expect(created.statusCode, created.body).toBe(200);
    expect(body(created)).toEqual({ alias: 'live', collection: 'v1' });
    expect(await search('live')).toEqual(['d1', 'd2', 'd3']);
    expect(body(await app.inject({ method: 'GET', url: '/v1/collections/live' }))).toMatchObject({ name: 'v1', documents: 3 });
    expect(body(await app.inject({ method: 'GET', url: '/v1/collections/live/documents/d1' }))).toMatchObject({ id: 'd1' });
    const written = await app.inject({ method: 'POST', url: '/v1/collections/live/documents', payload: { documents: [{ id: 'n1', text: 'written through the alias' }] } });
    expect(written.statusCode, written.body).toBe(200);
    expect(body(await app.inject({ method: 'GET', url: '/v1/collections/v1' }))).toMatchObject({ documents: 4 });
    const encoded = await app.inject({ method: 'POST', url: '/v1/encode', payload: { text: 'vaccines', side: 'query', collection: 'live' } });
    expect(encoded.statusCode, encoded.body).toBe(200);

    // Searches running while the alias switches see one collection or the other, never an error.
    const during = Promise.all(Array.from({ length: 20 }, () => search('live')));
    const switched = await app.inject({ method: 'PUT', url: '/v1/aliases/live', payload: { collection: 'v2' } });
    expect(body(switched)).toEqual({ alias: 'live', collection: 'v2', previous: 'v1' });
    for (const ids of await during) expect([['d1', 'd2', 'd3'], ['d3', 'd4', 'd5']]).toContainEqual(ids);
    expect(await search('live')).toEqual(['d3', 'd4', 'd5']);
    expect(body(await app.inject({ method: 'GET', url: '/v1/aliases' }))).toEqual({ aliases: [{ alias: 'live', collection: 'v2' }] });
    expect(body(await app.inject({ method: 'GET', url: '/v1/aliases/live' }))).toEqual({ alias: 'live', collection: 'v2' });
  });

  it('refuses what would make names ambiguous or lose data, with a clear problem and no change', async () => {
    expectProblem(await app.inject({ method: 'PUT', url: '/v1/aliases/v1', payload: { collection: 'v2' } }), 409, 'ALIAS_CONFLICT');
    expectProblem(await app.inject({ method: 'PUT', url: '/v1/aliases/other', payload: { collection: 'live' } }), 409, 'ALIAS_CONFLICT');
    expectProblem(await app.inject({ method: 'PUT', url: '/v1/aliases/other', payload: { collection: 'nope' } }), 404, 'COLLECTION_NOT_FOUND');
    expectProblem(await app.inject({ method: 'PUT', url: '/v1/collections/live', payload: {} }), 409, 'ALIAS_CONFLICT');
    expectProblem(await app.inject({ method: 'DELETE', url: '/v1/collections/v2' }), 409, 'COLLECTION_IN_USE');
    expectProblem(await app.inject({ method: 'DELETE', url: '/v1/collections/live' }), 409, 'ALIAS_CONFLICT');
    expectProblem(await app.inject({ method: 'GET', url: '/v1/aliases/nope' }), 404, 'ALIAS_NOT_FOUND');
    expectProblem(await app.inject({ method: 'DELETE', url: '/v1/aliases/nope' }), 404, 'ALIAS_NOT_FOUND');
    expectProblem(await app.inject({ method: 'PUT', url: '/v1/aliases/Bad%20Name', payload: { collection: 'v1' } }), 400, 'VALIDATION_ERROR');
    expectProblem(await app.inject({ method: 'PUT', url: '/v1/aliases/x', payload: { collection: 'v1', extra: 1 } }), 400, 'VALIDATION_ERROR');
    expect(body(await app.inject({ method: 'GET', url: '/v1/aliases' }))).toEqual({ aliases: [{ alias: 'live', collection: 'v2' }] });
    expect(body(await app.inject({ method: 'GET', url: '/v1/collections' })).collections).toHaveLength(2);
  });

  it('persists across a restart, and a deleted alias frees its collection', async () => {
    await app.close();
    app = await openApp(config);
    expect(body(await app.inject({ method: 'GET', url: '/v1/aliases/live' }))).toEqual({ alias: 'live', collection: 'v2' });
    expect(await search('live')).toEqual(['d3', 'd4', 'd5']);
    expect(body(await app.inject({ method: 'DELETE', url: '/v1/aliases/live' }))).toEqual({ alias: 'live', collection: 'v2' });
    expectProblem(await app.inject({ method: 'POST', url: '/v1/collections/live/search', payload: { query: 'x' } }), 404, 'COLLECTION_NOT_FOUND');
    expect((await app.inject({ method: 'DELETE', url: '/v1/collections/v2' })).statusCode).toBe(200);
    await app.close();
    app = await openApp(config);
    expect(body(await app.inject({ method: 'GET', url: '/v1/aliases' }))).toEqual({ aliases: [] });
  });
});
