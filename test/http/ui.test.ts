/** The pages the server serves besides the API: /docs (its server URL) and the playground at /. */
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { body, openApp, tempDir, testConfig } from './helpers.js';

describe('served pages', () => {
  let app: FastifyInstance;
  beforeAll(async () => {
    app = await openApp(testConfig(await tempDir(), (c) => (c.server.apiKey = 'secret-key')));
  });
  afterAll(async () => app.close());

  it('/docs lists a relative server URL, so "Try it out" calls the server that serves the page whatever its port', async () => {
    const res = await app.inject({ method: 'GET', url: '/docs/json', headers: { authorization: 'Bearer secret-key' } });
    expect(res.statusCode).toBe(200);
    const spec = body<{ servers: Array<{ url: string }> }>(res);
    expect(spec.servers.map((s) => s.url)).toEqual(['/']);
  });
});

describe('the playground page', () => {
  let app: FastifyInstance;
  beforeAll(async () => {
    app = await openApp(testConfig(await tempDir(), (c) => (c.server.apiKey = 'secret-key')));
  });
  afterAll(async () => app.close());

  it('serves the page, its script and its style without a key, and nothing from elsewhere', async () => {
    const page = await app.inject({ method: 'GET', url: '/' });
    expect(page.statusCode).toBe(200);
    expect(page.headers['content-type']).toMatch(/^text\/html/);
    expect(page.body).toContain('<script type="module" src="/ui/app.js"></script>');
    // offline: every URL the page loads is this server's
    expect(page.body).not.toMatch(/(src|href)="https?:/);
    for (const [file, type] of [
      ['app.js', /^text\/javascript/],
      ['style.css', /^text\/css/],
    ] as const) {
      const res = await app.inject({ method: 'GET', url: `/ui/${file}` });
      expect(res.statusCode).toBe(200);
      expect(res.headers['content-type']).toMatch(type);
      expect(res.body).not.toMatch(/https?:\/\//);
    }
    // only the page's own files
    expect((await app.inject({ method: 'GET', url: '/ui/secret.txt' })).statusCode).toBe(400);
    expect((await app.inject({ method: 'GET', url: '/ui/..%2Fapp.ts' })).statusCode).toBe(400);
  });

  it('keeps the API behind the key', async () => {
    expect((await app.inject({ method: 'GET', url: '/v1/collections' })).statusCode).toBe(401);
    expect((await app.inject({ method: 'GET', url: '/v1/collections', headers: { authorization: 'Bearer secret-key' } })).statusCode).toBe(200);
  });
});
