/**
 * Every bad input gets a 4xx application/problem+json with its stable code, and changes nothing:
 * the collection's documents and statistics are the same after all of them.
 */
import type { FastifyInstance, InjectOptions } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SAMPLE_DOCS, body, createWithDocs, expectProblem, openApp, tempDir, testConfig } from './helpers.js';

const BODY_LIMIT = 64 * 1024;
const C = '/v1/collections/docs';

interface Case {
  name: string;
  request: InjectOptions;
  status: number;
  code: string;
}

const search = (payload: unknown): InjectOptions => ({ method: 'POST', url: `${C}/search`, payload: payload as object });
const upsert = (documents: unknown): InjectOptions => ({ method: 'POST', url: `${C}/documents`, payload: { documents } as object });
const raw = (url: string, payload: string, method: 'POST' | 'PUT' = 'POST'): InjectOptions => ({
  method,
  url,
  payload,
  headers: { 'content-type': 'application/json' },
});

const CASES: Case[] = [
  { name: 'malformed JSON', request: raw(`${C}/documents`, '{"documents": [{"id": "x",'), status: 400, code: 'INVALID_JSON' },
  { name: 'empty JSON body', request: raw(`${C}/search`, ''), status: 400, code: 'INVALID_JSON' },
  { name: 'NaN literal', request: raw(`${C}/search`, '{"sparse": {"indices": [1], "values": [NaN]}}'), status: 400, code: 'INVALID_JSON' },
  { name: 'wrong type: documents', request: { method: 'POST', url: `${C}/documents`, payload: { documents: 'd1' } }, status: 400, code: 'VALIDATION_ERROR' },
  { name: 'wrong type: text', request: upsert([{ id: 'n1', text: 42 }]), status: 400, code: 'VALIDATION_ERROR' },
  { name: 'wrong type: k as a string', request: search({ query: 'protein', k: '10' }), status: 400, code: 'INVALID_K' },
  { name: 'wrong type: exact', request: search({ query: 'protein', exact: 'true' }), status: 400, code: 'VALIDATION_ERROR' },
  { name: 'unknown field in a document', request: upsert([{ id: 'n1', text: 'x', colour: 'red' }]), status: 400, code: 'VALIDATION_ERROR' },
  { name: 'unknown field in a search', request: search({ query: 'protein', size: 3 }), status: 400, code: 'VALIDATION_ERROR' },
  { name: 'unknown field in a config', request: { method: 'PUT', url: '/v1/collections/other', payload: { encoder: { kind: 'lexical', extra: 1 } } }, status: 400, code: 'VALIDATION_ERROR' },
  { name: 'unknown encoder kind', request: { method: 'PUT', url: '/v1/collections/other', payload: { encoder: { kind: 'bm42' } } }, status: 400, code: 'VALIDATION_ERROR' },
  { name: 'missing text and sparse', request: upsert([{ id: 'n1', metadata: { only: 'metadata' } }]), status: 400, code: 'MISSING_CONTENT' },
  { name: 'empty batch', request: upsert([]), status: 400, code: 'VALIDATION_ERROR' },
  { name: 'batch over the limit', request: upsert(Array.from({ length: 11 }, (_, i) => ({ id: `b${i}`, text: 'x' }))), status: 400, code: 'VALIDATION_ERROR' },
  { name: 'duplicate ids in a batch', request: upsert([{ id: 'n1', text: 'a' }, { id: 'n1', text: 'b' }]), status: 400, code: 'VALIDATION_ERROR' },
  { name: 'empty query', request: search({ query: '' }), status: 400, code: 'EMPTY_QUERY' },
  { name: 'blank query', request: search({ query: '   ' }), status: 400, code: 'EMPTY_QUERY' },
  { name: 'no query at all', request: search({ k: 3 }), status: 400, code: 'EMPTY_QUERY' },
  { name: 'query over the length limit', request: search({ query: 'protein '.repeat(40) }), status: 400, code: 'VALIDATION_ERROR' },
  { name: 'k = 0', request: search({ query: 'protein', k: 0 }), status: 400, code: 'INVALID_K' },
  { name: 'k = -1', request: search({ query: 'protein', k: -1 }), status: 400, code: 'INVALID_K' },
  { name: 'k = 2.5', request: search({ query: 'protein', k: 2.5 }), status: 400, code: 'INVALID_K' },
  { name: 'k = 10^9', request: search({ query: 'protein', k: 1e9 }), status: 400, code: 'INVALID_K' },
  { name: 'k over the configured limit', request: search({ query: 'protein', k: 1001 }), status: 400, code: 'INVALID_K' },
  { name: 'heapFactor 0', request: search({ query: 'protein', heapFactor: 0 }), status: 400, code: 'VALIDATION_ERROR' },
  { name: 'heapFactor > 0 that is 0 as a float32', request: search({ query: 'protein', heapFactor: 1e-50 }), status: 400, code: 'VALIDATION_ERROR' },
  { name: 'queryCut over the native bound', request: search({ query: 'protein', queryCut: 2 ** 21 }), status: 400, code: 'VALIDATION_ERROR' },
  { name: 'sparse query: "NaN" weight', request: search({ sparse: { indices: [1], values: ['NaN'] } }), status: 400, code: 'INVALID_SPARSE_VECTOR' },
  { name: 'sparse query: infinite weight', request: raw(`${C}/search`, '{"sparse": {"indices": [1], "values": [1e999]}}'), status: 400, code: 'INVALID_SPARSE_VECTOR' },
  { name: 'sparse query: negative weight', request: search({ sparse: { indices: [1, 2], values: [0.5, -1] } }), status: 400, code: 'INVALID_SPARSE_VECTOR' },
  { name: 'sparse query: duplicate index', request: search({ sparse: { indices: [7, 7], values: [1, 2] } }), status: 400, code: 'INVALID_SPARSE_VECTOR' },
  { name: 'sparse query: mismatched lengths', request: search({ sparse: { indices: [1, 2], values: [1] } }), status: 400, code: 'INVALID_SPARSE_VECTOR' },
  { name: 'sparse query: negative index', request: search({ sparse: { indices: [-3], values: [1] } }), status: 400, code: 'INVALID_SPARSE_VECTOR' },
  { name: 'sparse document: negative weight', request: upsert([{ id: 'n1', sparse: { indices: [1], values: [-0.5] } }]), status: 400, code: 'INVALID_SPARSE_VECTOR' },
  { name: 'sparse document: duplicate index', request: upsert([{ id: 'n1', sparse: { indices: [4, 4], values: [1, 1] } }]), status: 400, code: 'INVALID_SPARSE_VECTOR' },
  { name: 'sparse document: mismatched lengths', request: upsert([{ id: 'n1', sparse: { indices: [1], values: [1, 2] } }]), status: 400, code: 'INVALID_SPARSE_VECTOR' },
  { name: 'sparse document: "NaN" weight', request: upsert([{ id: 'n1', sparse: { indices: [1], values: ['NaN'] } }]), status: 400, code: 'INVALID_SPARSE_VECTOR' },
  { name: 'over-long id', request: upsert([{ id: 'x'.repeat(513), text: 'long id' }]), status: 400, code: 'VALIDATION_ERROR' },
  { name: 'empty id', request: upsert([{ id: '', text: 'no id' }]), status: 400, code: 'VALIDATION_ERROR' },
  { name: 'over-long id in a URL', request: { method: 'GET', url: `${C}/documents/${'x'.repeat(513)}` }, status: 400, code: 'VALIDATION_ERROR' },
  {
    name: 'a batch with one bad document',
    request: upsert([
      { id: 'g1', text: 'good one' },
      { id: 'g2', text: 'good two' },
      { id: 'g3', sparse: { indices: [1, 2], values: [1, -2] } },
      { id: 'g4', text: 'good four' },
    ]),
    status: 400,
    code: 'INVALID_SPARSE_VECTOR',
  },
  { name: 'body over the limit', request: upsert([{ id: 'big', text: 'y'.repeat(BODY_LIMIT + 10) }]), status: 413, code: 'BODY_TOO_LARGE' },
  { name: 'unknown collection: search', request: { method: 'POST', url: '/v1/collections/nope/search', payload: { query: 'x' } }, status: 404, code: 'COLLECTION_NOT_FOUND' },
  { name: 'unknown collection: upsert', request: { method: 'POST', url: '/v1/collections/nope/documents', payload: { documents: [{ id: 'a', text: 'x' }] } }, status: 404, code: 'COLLECTION_NOT_FOUND' },
  { name: 'unknown collection: get', request: { method: 'GET', url: '/v1/collections/nope' }, status: 404, code: 'COLLECTION_NOT_FOUND' },
  { name: 'unknown collection: delete', request: { method: 'DELETE', url: '/v1/collections/nope' }, status: 404, code: 'COLLECTION_NOT_FOUND' },
  { name: 'unknown document', request: { method: 'GET', url: `${C}/documents/nope` }, status: 404, code: 'DOCUMENT_NOT_FOUND' },
  { name: 'delete an unknown document', request: { method: 'DELETE', url: `${C}/documents/nope` }, status: 404, code: 'DOCUMENT_NOT_FOUND' },
  { name: 'name ../x', request: { method: 'PUT', url: '/v1/collections/..%2Fx', payload: {} }, status: 400, code: 'INVALID_COLLECTION_NAME' },
  { name: 'name with capitals', request: { method: 'PUT', url: '/v1/collections/Docs', payload: {} }, status: 400, code: 'INVALID_COLLECTION_NAME' },
  { name: 'name ../x in a search', request: { method: 'POST', url: '/v1/collections/..%2F..%2Fetc/search', payload: { query: 'x' } }, status: 400, code: 'INVALID_COLLECTION_NAME' },
  { name: 'name too long', request: { method: 'PUT', url: `/v1/collections/${'a'.repeat(65)}`, payload: {} }, status: 400, code: 'INVALID_COLLECTION_NAME' },
  { name: 'encode with a bad collection name', request: { method: 'POST', url: '/v1/encode', payload: { text: 'x', side: 'query', collection: '../x' } }, status: 400, code: 'INVALID_COLLECTION_NAME' },
  { name: 'encode: bad side', request: { method: 'POST', url: '/v1/encode', payload: { text: 'x', side: 'both' } }, status: 400, code: 'VALIDATION_ERROR' },
  { name: 'existing collection', request: { method: 'PUT', url: C, payload: {} }, status: 409, code: 'COLLECTION_EXISTS' },
  { name: 'dense mode without a dense field', request: search({ query: 'protein', mode: 'hybrid' }), status: 400, code: 'DENSE_NOT_CONFIGURED' },
  {
    name: 'a batch larger than maxUnsealedDocs (can never fit)',
    request: { method: 'POST', url: '/v1/collections/tiny/documents', payload: { documents: Array.from({ length: 6 }, (_, i) => ({ id: `t${i}`, text: 'x' })) } },
    status: 413,
    code: 'BATCH_TOO_LARGE',
  },
  { name: 'unknown task', request: { method: 'GET', url: '/v1/tasks/nope' }, status: 404, code: 'TASK_NOT_FOUND' },
  { name: 'unknown route', request: { method: 'GET', url: '/v2/anything' }, status: 404, code: 'ROUTE_NOT_FOUND' },
  {
    name: 'bulk as a form (curl -d without a content-type)',
    request: { method: 'POST', url: `${C}/documents/_bulk`, payload: '{"id": "a", "text": "x"}', headers: { 'content-type': 'application/x-www-form-urlencoded' } },
    status: 415,
    code: 'UNSUPPORTED_MEDIA_TYPE',
  },
  { name: 'unsupported media type', request: { method: 'POST', url: `${C}/search`, payload: 'query=protein', headers: { 'content-type': 'text/plain' } }, status: 415, code: 'UNSUPPORTED_MEDIA_TYPE' },
];

describe('bad input', () => {
  let app: FastifyInstance;
  let before: unknown;

  const snapshot = async () => {
    const stats = body<{ documents: number; deleted: number }>(await app.inject({ method: 'GET', url: C }));
    const docs = await Promise.all(SAMPLE_DOCS.map(async (d) => body(await app.inject({ method: 'GET', url: `${C}/documents/${d.id}` }))));
    const list = body(await app.inject({ method: 'GET', url: '/v1/collections' }));
    const tiny = body<{ documents: number }>(await app.inject({ method: 'GET', url: '/v1/collections/tiny' }));
    return { documents: stats.documents, deleted: stats.deleted, tiny: tiny.documents, docs, names: (list.collections as Array<{ name: string }>).map((c) => c.name) };
  };

  beforeAll(async () => {
    app = await openApp(
      testConfig(await tempDir(), (c) => {
        c.server.bodyLimitBytes = BODY_LIMIT;
        c.server.maxBatchDocuments = 10;
        c.server.maxQueryLength = 200;
      }),
    );
    await createWithDocs(app, 'docs');
    const tiny = await app.inject({ method: 'PUT', url: '/v1/collections/tiny', payload: { index: { mutableMaxDocs: 5, maxUnsealedDocs: 5 } } });
    expect(tiny.statusCode, tiny.body).toBe(201);
    before = await snapshot();
  });
  afterAll(async () => app?.close());

  it.each(CASES)('$name → $status $code', async ({ request, status, code }) => {
    const res = await app.inject(request);
    expectProblem(res, status, code);
    if (status === 503) expect(Number(res.headers['retry-after'])).toBeGreaterThan(0);
  });

  it('leaves every collection and document as it was', async () => {
    for (const { request } of CASES) await app.inject(request);
    expect(await snapshot()).toEqual(before);
    for (const id of ['n1', 'g1', 'g2', 'g3', 'g4', 'big', 'b0']) {
      expectProblem(await app.inject({ method: 'GET', url: `${C}/documents/${id}` }), 404, 'DOCUMENT_NOT_FOUND');
    }
  });

  it('hides internals of a 4xx nowhere and names the field', async () => {
    const problem = expectProblem(await app.inject(search({ query: 'protein', k: 0 })), 400, 'INVALID_K');
    expect(problem.detail).toMatch(/k/);
    expect(problem.type).toMatch(/invalid-k$/);
  });
});
