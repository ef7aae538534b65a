/**
 * API keys: the admin key (SPARROW_API_KEY) and scoped keys (SPARROW_API_KEYS); 401 for a missing or
 * unknown key, 403 with a code for a key without the right; open routes; limited keys against
 * aliases switched between requests; a rejected request changes nothing.
 */
import type { FastifyInstance, InjectOptions } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseApiKeys, parseConfig } from '../../src/config.js';
import SwaggerParser from '@apidevtools/swagger-parser';
import { OPENAPI_PATH } from '../../src/app.js';
import { ROUTE_ACCESS } from '../../src/http/auth.js';
import { SAMPLE_DOCS, body, expectProblem, openApp, tempDir, testConfig } from './helpers.js';

const ADMIN = 'admin-secret';
const KEYS = 'read:reader write:docs-writer:docs read:docs-reader:docs;read:live-reader:live';
const as = (key: string | undefined, request: InjectOptions): InjectOptions => ({
  ...request,
  headers: { ...request.headers, ...(key === undefined ? {} : { authorization: `Bearer ${key}` }) },
});
const search = (name: string): InjectOptions => ({ method: 'POST', url: `/v1/collections/${name}/search`, payload: { query: 'protein' } });

describe('API keys', () => {
  let app: FastifyInstance;
  const send = async (key: string | undefined, request: InjectOptions) => app.inject(as(key, request));
  const contents = async (name: string) => body(await send(ADMIN, { method: 'GET', url: `/v1/collections/${name}` })).documents;

  beforeAll(async () => {
    app = await openApp(
      testConfig(await tempDir(), (c) => {
        c.server.apiKey = ADMIN;
        c.server.apiKeys = parseApiKeys(KEYS, 'SPARROW_API_KEYS');
      }),
    );
    for (const name of ['docs', 'other']) {
      expect((await send(ADMIN, { method: 'PUT', url: `/v1/collections/${name}`, payload: {} })).statusCode).toBe(201);
      const stored = await send(ADMIN, { method: 'POST', url: `/v1/collections/${name}/documents`, payload: { documents: SAMPLE_DOCS } });
      expect(stored.statusCode, stored.body).toBe(200);
    }
    expect((await send(ADMIN, { method: 'PUT', url: '/v1/aliases/live', payload: { collection: 'docs' } })).statusCode).toBe(200);
  });
  afterAll(async () => app?.close());

  it('leaves /health, /ready, the API docs and the web page open', async () => {
    for (const url of ['/health', '/ready', '/docs/json', '/docs', '/', '/ui/app.js', '/ui/style.css']) {
      const res = await send(undefined, { method: 'GET', url });
      expect(res.statusCode, url).toBeLessThan(400);
    }
    expect(body(await send(undefined, { method: 'GET', url: '/docs/json' }))).toMatchObject({ info: { title: 'Sparrow' } });
  });

  it.each([
    ['missing', undefined],
    ['unknown', 'Bearer admin-secreT'],
    ['a prefix of a key', 'Bearer admin'],
    ['not a bearer', `Basic ${ADMIN}`],
    ['empty', 'Bearer '],
  ])('answers 401 UNAUTHORIZED to a %s key', async (_what, authorization) => {
    for (const request of [
      { method: 'GET', url: '/v1/collections' },
      { method: 'PUT', url: '/v1/collections/secret', payload: {} },
      search('docs'),
      { method: 'GET', url: '/metrics' },
      { method: 'GET', url: '/v1/no-such-route' },
    ] as InjectOptions[]) {
      const res = await app.inject({ ...request, headers: authorization ? { authorization } : {} });
      expectProblem(res, 401, 'UNAUTHORIZED');
      expect(res.headers['www-authenticate']).toMatch(/^Bearer/);
    }
    expect((await send(ADMIN, { method: 'GET', url: '/v1/collections/secret' })).statusCode).toBe(404);
  });

  it('lets a read key search, get, encode and read statistics and metrics, and nothing else', async () => {
    expect((await send('reader', search('docs'))).statusCode).toBe(200);
    expect((await send('reader', search('other'))).statusCode).toBe(200);
    expect((await send('reader', { method: 'GET', url: '/v1/collections/docs/documents/d1' })).statusCode).toBe(200);
    expect((await send('reader', { method: 'POST', url: '/v1/encode', payload: { text: 'protein', side: 'query', collection: 'docs' } })).statusCode).toBe(200);
    expect((await send('reader', { method: 'GET', url: '/v1/collections/docs' })).statusCode).toBe(200);
    expect((await send('reader', { method: 'GET', url: '/metrics' })).statusCode).toBe(200);
    expect(body(await send('reader', { method: 'GET', url: '/v1/collections' })).collections).toHaveLength(2);
    const before = await contents('docs');
    for (const request of [
      { method: 'POST', url: '/v1/collections/docs/documents', payload: { documents: [{ id: 'x', text: 'protein' }] } },
      { method: 'DELETE', url: '/v1/collections/docs/documents/d1' },
      { method: 'POST', url: '/v1/collections/docs/_flush' },
      { method: 'PUT', url: '/v1/collections/new', payload: {} },
      { method: 'DELETE', url: '/v1/collections/docs' },
      { method: 'PUT', url: '/v1/aliases/live', payload: { collection: 'other' } },
    ] as InjectOptions[]) {
      const problem = expectProblem(await send('reader', request), 403, 'INSUFFICIENT_SCOPE');
      expect(problem.scope).toBe('read');
    }
    expect(await contents('docs')).toBe(before);
    expect(body(await send(ADMIN, { method: 'GET', url: '/v1/aliases/live' })).collection).toBe('docs');
  });

  it('keeps a key limited to collections inside them', async () => {
    expect((await send('docs-reader', search('docs'))).statusCode).toBe(200);
    const problem = expectProblem(await send('docs-reader', search('other')), 403, 'COLLECTION_FORBIDDEN');
    expect(problem.collection).toBe('other');
    expectProblem(await send('docs-reader', { method: 'GET', url: '/v1/collections/other/documents/d1' }), 403, 'COLLECTION_FORBIDDEN');
    expectProblem(await send('docs-reader', { method: 'POST', url: '/v1/encode', payload: { text: 'a', side: 'query', collection: 'other' } }), 403, 'COLLECTION_FORBIDDEN');
    expect((await send('docs-reader', { method: 'POST', url: '/v1/encode', payload: { text: 'a', side: 'query' } })).statusCode).toBe(200);
    // Lists show only what the key may see; metrics report every collection, so they are refused.
    expect(body<{ collections: { name: string }[] }>(await send('docs-reader', { method: 'GET', url: '/v1/collections' })).collections.map((c) => c.name)).toEqual(['docs']);
    expectProblem(await send('docs-reader', { method: 'GET', url: '/metrics' }), 403, 'COLLECTION_FORBIDDEN');

    const before = await contents('other');
    const doc = { documents: [{ id: 'w1', text: 'protein writer' }] };
    expect((await send('docs-writer', { method: 'POST', url: '/v1/collections/docs/documents', payload: doc })).statusCode).toBe(200);
    expectProblem(await send('docs-writer', { method: 'POST', url: '/v1/collections/other/documents', payload: doc }), 403, 'COLLECTION_FORBIDDEN');
    expectProblem(await send('docs-writer', { method: 'POST', url: '/v1/collections/other/_optimize' }), 403, 'COLLECTION_FORBIDDEN');
    expectProblem(await send('docs-writer', { method: 'DELETE', url: '/v1/collections/docs' }), 403, 'INSUFFICIENT_SCOPE');
    expect(await contents('other')).toBe(before);
    const tasks = body<{ tasks: { collection: string }[] }>(await send('docs-writer', { method: 'GET', url: '/v1/tasks' })).tasks;
    expect(tasks.every((t) => t.collection === 'docs')).toBe(true);
  });

  it('checks a limited key against the collection an alias points at when the request arrives', async () => {
    // live -> docs: both the key listing the alias and the key listing the collection may use it.
    expect((await send('live-reader', search('live'))).statusCode).toBe(200);
    expect((await send('docs-reader', search('live'))).statusCode).toBe(200);
    expectProblem(await send('live-reader', search('docs')), 403, 'COLLECTION_FORBIDDEN');
    // Only an admin key switches it.
    expectProblem(await send('docs-writer', { method: 'PUT', url: '/v1/aliases/live', payload: { collection: 'other' } }), 403, 'INSUFFICIENT_SCOPE');
    expect((await send(ADMIN, { method: 'PUT', url: '/v1/aliases/live', payload: { collection: 'other' } })).statusCode).toBe(200);
    // live -> other: the alias key follows it, the docs key no longer reaches through it.
    expect((await send('live-reader', search('live'))).statusCode).toBe(200);
    expectProblem(await send('docs-reader', search('live'), ), 403, 'COLLECTION_FORBIDDEN');
    expectProblem(await send('docs-reader', { method: 'GET', url: '/v1/aliases/live' }), 403, 'COLLECTION_FORBIDDEN');
    expect(body<{ aliases: unknown[] }>(await send('docs-reader', { method: 'GET', url: '/v1/aliases' })).aliases).toEqual([]);
  });

  it('answers 404 to any key on an unknown route', async () => {
    expectProblem(await send('docs-reader', { method: 'GET', url: '/v1/nothing' }), 404, 'ROUTE_NOT_FOUND');
  });

  it('has an access rule for every /v1 route the app serves', () => {
    const routes = app.sparrow.routes.filter((r) => r.url.startsWith('/v1') && r.method !== 'HEAD').map((r) => `${r.method} ${r.url}`);
    expect(routes.length).toBeGreaterThan(10);
    expect(routes.filter((r) => ROUTE_ACCESS[r] === undefined)).toEqual([]);
  });

  it('states in openapi.yaml the scope each operation needs', async () => {
    const doc = (await SwaggerParser.parse(OPENAPI_PATH)) as unknown as { paths: Record<string, Record<string, { 'x-required-scope'?: string }>> };
    const documented: Record<string, string | undefined> = {};
    for (const [path, item] of Object.entries(doc.paths)) {
      for (const method of ['get', 'put', 'post', 'delete']) {
        if (item[method]) documented[`${method.toUpperCase()} ${path.replace(/\{(\w+)\}/g, ':$1')}`] = item[method]['x-required-scope'];
      }
    }
    const expected = Object.fromEntries(Object.keys(documented).map((route) => [route, ROUTE_ACCESS[route]?.scope]));
    expect(documented).toEqual(expected);
  });
});

describe('API key configuration', () => {
  it('parses scoped keys from SPARROW_API_KEYS or --api-keys', () => {
    expect(parseApiKeys(' read:a  write:b:x,y-1;admin:c\n', 'K')).toEqual([
      { key: 'a', scope: 'read' },
      { key: 'b', scope: 'write', collections: ['x', 'y-1'] },
      { key: 'c', scope: 'admin' },
    ]);
    const config = parseConfig(['--api-keys', 'read:r1'], { SPARROW_API_KEY: 'adm', SPARROW_API_KEYS: 'write:ignored' });
    expect(config.server.apiKeys).toEqual([{ key: 'r1', scope: 'read' }]);
    expect(config.server.apiKey).toBe('adm');
  });

  it.each([
    ['an unknown scope', 'owner:k'],
    ['no key', 'read:'],
    ['too many parts', 'read:k:docs:x'],
    ['an empty collection list', 'read:k:'],
    ['a bad collection name', 'read:k:Docs'],
    ['an admin key limited to collections', 'admin:k:docs'],
    ['the same key twice', 'read:k write:k'],
  ])('refuses %s with INVALID_CONFIG', (_what, raw) => {
    expect(() => parseConfig([], { SPARROW_API_KEYS: raw })).toThrow(expect.objectContaining({ code: 'INVALID_CONFIG' }));
  });

  it('refuses a scoped key equal to the admin key, and counts scoped keys as keys for a public host', () => {
    expect(() => parseConfig([], { SPARROW_API_KEY: 'k', SPARROW_API_KEYS: 'read:k' })).toThrow(expect.objectContaining({ code: 'INVALID_CONFIG' }));
    expect(parseConfig(['--host', '0.0.0.0'], { SPARROW_API_KEYS: 'read:k' }).server.host).toBe('0.0.0.0');
  });
});
