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
