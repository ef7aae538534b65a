/**
 * openapi.yaml is valid OpenAPI 3.1, documents exactly the routes the app serves, and each route's
 * schemas (params, querystring, body, responses) equal the document's, descriptions aside.
 */
import SwaggerParser from '@apidevtools/swagger-parser';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OPENAPI_PATH } from '../../src/app.js';
import { openApp, tempDir, testConfig } from './helpers.js';

type Json = Record<string, unknown>;
type Doc = { paths: Record<string, Record<string, Json & { parameters?: Json[] }>> };

const METHODS = ['get', 'put', 'post', 'delete', 'patch'];
const PROSE = new Set(['description', 'summary', 'example', 'examples', 'title']);

/** Validation-relevant content only: prose dropped, `required` as a set, symbols gone. */
function normalize(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(normalize);
  if (schema === null || typeof schema !== 'object') return schema;
  const out: Json = {};
  for (const [key, value] of Object.entries(schema)) {
    if (PROSE.has(key) && typeof value === 'string') continue;
    out[key] = key === 'required' && Array.isArray(value) ? [...value].sort() : normalize(value);
  }
  return out;
}

function parametersOf(doc: Doc, path: string, method: string, where: 'path' | 'query'): Json {
  const item = doc.paths[path] as unknown as { parameters?: Json[] } & Record<string, { parameters?: Json[] }>;
  const params = [...(item.parameters ?? []), ...(item[method].parameters ?? [])];
  const chosen = params.filter((p) => p.in === where);
  if (chosen.length === 0) return {};
  return {
    type: 'object',
    additionalProperties: false,
    properties: Object.fromEntries(chosen.map((p) => [p.name, p.schema])),
    ...(chosen.some((p) => p.required) ? { required: chosen.filter((p) => p.required).map((p) => p.name) } : {}),
  };
}

function jsonSchemaOf(content: unknown): unknown {
  return (content as Record<string, { schema?: unknown }> | undefined)?.['application/json']?.schema;
}

describe('openapi.yaml', () => {
  let app: FastifyInstance;
  let doc: Doc;

  beforeAll(async () => {
    app = await openApp(testConfig(await tempDir()));
    await app.ready();
    await SwaggerParser.validate(OPENAPI_PATH);
    doc = (await SwaggerParser.dereference(OPENAPI_PATH)) as unknown as Doc;
  });
  afterAll(async () => app?.close());

  it('is OpenAPI 3.1', async () => {
    const api = (await SwaggerParser.parse(OPENAPI_PATH)) as { openapi: string };
    expect(api.openapi).toMatch(/^3\.1\./);
  });

  it('documents every served route, and serves every documented one', () => {
    const served = app.sparrow.routes
      .filter((r) => r.method !== 'HEAD' && !r.url.startsWith('/docs'))
      .map((r) => `${r.method.toLowerCase()} ${r.url.replace(/:(\w+)/g, '{$1}')}`)
      .sort();
    const documented = Object.entries(doc.paths)
      .flatMap(([path, item]) => Object.keys(item).filter((m) => METHODS.includes(m)).map((m) => `${m} ${path}`))
      .sort();
    expect(served).toEqual(documented);
  });

  it("has each route's schemas equal to the document's", () => {
    let compared = 0;
    for (const route of app.sparrow.routes) {
      if (route.method === 'HEAD' || route.url.startsWith('/docs')) continue;
      const path = route.url.replace(/:(\w+)/g, '{$1}');
      const method = route.method.toLowerCase();
      const op = doc.paths[path][method] as Json & { requestBody?: { content: unknown }; responses: Record<string, { content?: unknown }> };
      const schema = (route.schema ?? {}) as Json & { response?: Record<string, unknown> };
      const where = `${route.method} ${route.url}`;
      expect(normalize(schema.params ?? {}), `${where} params`).toEqual(normalize(parametersOf(doc, path, method, 'path')));
      expect(normalize(schema.querystring ?? {}), `${where} query`).toEqual(normalize(parametersOf(doc, path, method, 'query')));
      expect(normalize(schema.body), `${where} body`).toEqual(normalize(jsonSchemaOf(op.requestBody?.content)));
      const documentedJson = Object.entries(op.responses).filter(([, r]) => jsonSchemaOf(r.content) !== undefined);
      for (const [status, response] of documentedJson) {
        if (!/^2/.test(status)) continue;
        expect(normalize(schema.response?.[status]), `${where} response ${status}`).toEqual(normalize(jsonSchemaOf(response.content)));
        compared++;
      }
      for (const status of Object.keys(schema.response ?? {})) expect(op.responses[status], `${where} documents ${status}`).toBeDefined();
    }
    expect(compared).toBeGreaterThan(15);
  });

  it('is served at /docs', async () => {
    const page = await app.inject({ method: 'GET', url: '/docs/' });
    expect(page.statusCode).toBe(200);
    expect(page.headers['content-type']).toMatch(/text\/html/);
    const json = await app.inject({ method: 'GET', url: '/docs/json' });
    expect(json.statusCode).toBe(200);
    expect(JSON.parse(json.body)).toMatchObject({ openapi: '3.1.0', info: { title: 'Sparrow' } });
  });
});
