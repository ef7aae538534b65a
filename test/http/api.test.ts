/** The engine's behaviour through HTTP (buildApp + inject, the real engine and encoders). */
import fs from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Config } from '../../src/config.js';
import { SAMPLE_DOCS, body, createWithDocs, expectProblem, openApp, tempDir, testConfig } from './helpers.js';

interface Hit {
  id: string;
  score: number;
  title?: string;
  text?: string;
  metadata?: Record<string, unknown>;
  explain?: { terms?: Array<{ token: string; contribution: number }> };
}
type SearchAnswer = { hits: Hit[]; took_ms: number };
type Task = { id: string; status: string; type: string; result?: { path?: string }; error?: unknown };

const C = '/v1/collections/docs';

async function searchOf(app: FastifyInstance, payload: object, url = `${C}/search`): Promise<SearchAnswer> {
  const res = await app.inject({ method: 'POST', url, payload });
  expect(res.statusCode, res.body).toBe(200);
  return body<SearchAnswer>(res);
}

async function waitTask(app: FastifyInstance, task: Task): Promise<Task> {
  for (let i = 0; i < 600; i++) {
    const current = body<Task>(await app.inject({ method: 'GET', url: `/v1/tasks/${task.id}` }));
    if (current.status !== 'running') return current;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`task ${task.id} still running`);
}

describe('collections, documents and search over HTTP', () => {
  let app: FastifyInstance;
  let config: Config;

  beforeAll(async () => {
    config = testConfig(await tempDir());
    app = await openApp(config);
    await createWithDocs(app, 'docs');
  });
  afterAll(async () => app?.close());

  it('lists and describes collections', async () => {
    const list = body<{ collections: Array<{ name: string; documents: number }> }>(await app.inject({ method: 'GET', url: '/v1/collections' }));
    expect(list.collections.map((c) => [c.name, c.documents])).toEqual([['docs', SAMPLE_DOCS.length]]);
    const stats = body(await app.inject({ method: 'GET', url: C }));
    expect(stats).toMatchObject({ name: 'docs', documents: 5, deleted: 0, config: { encoder: { kind: 'lexical' } } });
  });

  it('finds documents by text, best first, with the fields asked for', async () => {
    const { hits, took_ms } = await searchOf(app, { query: 'protein folding', k: 3, include: ['text', 'metadata', 'explain'] });
    expect(took_ms).toBeGreaterThanOrEqual(0);
    expect(hits.map((h) => h.id).slice(0, 2).sort()).toEqual(['d1', 'd5']);
    expect(hits[0].score).toBeGreaterThanOrEqual(hits[hits.length - 1].score);
    expect(hits[0].text).toBe(SAMPLE_DOCS.find((d) => d.id === hits[0].id)?.text);
    expect(hits[0].metadata).toEqual(SAMPLE_DOCS.find((d) => d.id === hits[0].id)?.metadata);
    expect(hits[0].explain?.terms?.length).toBeGreaterThan(0);
    const bare = await searchOf(app, { query: 'protein folding', k: 3 });
    expect(bare.hits[0]).not.toHaveProperty('text');
    expect(bare.hits.map((h) => h.id)).toEqual(hits.map((h) => h.id));
  });

  it('answers exact and approximate searches alike on a small collection', async () => {
    const exact = await searchOf(app, { query: 'immune cells', k: 5, exact: true });
    const approx = await searchOf(app, { query: 'immune cells', k: 5 });
    expect(approx.hits.map((h) => h.id)).toEqual(exact.hits.map((h) => h.id));
  });

  it('runs a batch of searches with _msearch', async () => {
    const searches = [{ query: 'protein', k: 2 }, { query: 'vaccines', k: 1 }];
    const res = await app.inject({ method: 'POST', url: `${C}/_msearch`, payload: { searches } });
    expect(res.statusCode, res.body).toBe(200);
    const { responses } = body<{ responses: SearchAnswer[] }>(res);
    expect(responses).toHaveLength(2);
    for (let i = 0; i < searches.length; i++) {
      const single = await searchOf(app, searches[i]);
      expect(responses[i].hits).toEqual(single.hits);
    }
  });

  it('answers each _msearch item on its own: a bad search is a problem object, the others still answer', async () => {
    const searches = [{ query: 'protein', k: 2 }, { query: '   ', k: 2 }, { query: 'vaccines', k: 5000 }, { query: 'vaccines', k: 1 }];
    const res = await app.inject({ method: 'POST', url: `${C}/_msearch`, payload: { searches } });
    expect(res.statusCode, res.body).toBe(200);
    const { responses } = body<{ responses: Array<SearchAnswer & { status?: number; code?: string; detail?: string }> }>(res);
    expect(responses).toHaveLength(4);
    expect(responses[0].hits).toEqual((await searchOf(app, searches[0])).hits);
    expect(responses[1]).toMatchObject({ status: 400, code: 'EMPTY_QUERY' });
    expect(responses[1].detail).toContain('searches[1]');
    expect(responses[2]).toMatchObject({ status: 400, code: 'INVALID_K' });
    expect(responses[3].hits).toEqual((await searchOf(app, searches[3])).hits);
  });

  it('searches with a sparse vector taken from /v1/encode', async () => {
    const res = await app.inject({ method: 'POST', url: '/v1/encode', payload: { text: 'vaccines', side: 'query', collection: 'docs' } });
    expect(res.statusCode, res.body).toBe(200);
    const { terms } = body<{ terms: Array<{ token: string; id: number; weight: number }> }>(res);
    expect(terms.length).toBe(1);
    const { hits } = await searchOf(app, { sparse: { indices: [terms[0].id], values: [1] }, k: 3 });
    expect(hits.map((h) => h.id)).toEqual(['d3']);
  });

  it('encodes a text without a collection, terms by weight', async () => {
    for (const side of ['document', 'query']) {
      const res = await app.inject({ method: 'POST', url: '/v1/encode', payload: { text: 'Proteins fold; protein folding!', side } });
      expect(res.statusCode, res.body).toBe(200);
      const { terms } = body<{ terms: Array<{ token: string; weight: number }> }>(res);
      expect(terms.length).toBeGreaterThan(0);
      for (let i = 1; i < terms.length; i++) expect(terms[i - 1].weight).toBeGreaterThanOrEqual(terms[i].weight);
    }
  });

  it('updates a document in place and deletes one', async () => {
    const res = await app.inject({ method: 'POST', url: `${C}/documents`, payload: { documents: [{ id: 'd2', text: 'Quantum entanglement of photons.' }] } });
    expect(body(res)).toMatchObject({ inserted: 0, updated: 1 });
    expect((await searchOf(app, { query: 'photons', k: 5 })).hits.map((h) => h.id)).toEqual(['d2']);
    expect((await searchOf(app, { query: 'stem cells', k: 5 })).hits.map((h) => h.id)).not.toContain('d2');
    const stored = body<{ id: string; text: string; sparse: { indices: number[]; values: number[] } }>(await app.inject({ method: 'GET', url: `${C}/documents/d2` }));
    expect(stored.text).toBe('Quantum entanglement of photons.');
    expect(stored.sparse.indices.length).toBe(stored.sparse.values.length);

    expect((await app.inject({ method: 'DELETE', url: `${C}/documents/d4` })).statusCode).toBe(200);
    expectProblem(await app.inject({ method: 'GET', url: `${C}/documents/d4` }), 404, 'DOCUMENT_NOT_FOUND');
    expect((await searchOf(app, { query: 'transcription factors', k: 5, exact: true })).hits.map((h) => h.id)).not.toContain('d4');
    expect(body(await app.inject({ method: 'GET', url: C }))).toMatchObject({ documents: 4 });
    // put it back for the other tests
    await app.inject({ method: 'POST', url: `${C}/documents`, payload: { documents: SAMPLE_DOCS.filter((d) => d.id === 'd4' || d.id === 'd2') } });
  });

  it('ingests NDJSON in batches with a per-line summary', async () => {
    await app.inject({ method: 'PUT', url: '/v1/collections/bulk', payload: {} });
    const lines = [
      JSON.stringify({ id: 'b1', text: 'alpha beta' }),
      '',
      '{"id": "b2", "text": ',
      JSON.stringify({ id: 'b3', metadata: { nothing: 'to index' } }),
      JSON.stringify({ id: 'b4', text: 'gamma', extra: true }),
      JSON.stringify({ id: 'b5', sparse: { indices: [1, 1], values: [1, 2] } }),
      ...Array.from({ length: 25 }, (_, i) => JSON.stringify({ id: `m${i}`, text: `document number ${i} delta` })),
    ];
    const res = await app.inject({ method: 'POST', url: '/v1/collections/bulk/documents/_bulk', payload: lines.join('\n'), headers: { 'content-type': 'application/x-ndjson' } });
    expect(res.statusCode, res.body).toBe(200);
    const summary = body<{ lines: number; indexed: number; failed: number; batches: number; items: Array<{ line: number; status: number; code?: string; id?: string }> }>(res);
    expect(summary).toMatchObject({ lines: 30, indexed: 26, failed: 4 });
    expect(summary.items).toHaveLength(30);
    const failed = summary.items.filter((i) => i.status !== 200).map((i) => [i.line, i.code]);
    expect(failed).toEqual([
      [3, 'INVALID_JSON'],
      [4, 'MISSING_CONTENT'],
      [5, 'VALIDATION_ERROR'],
      [6, 'INVALID_SPARSE_VECTOR'],
    ]);
    expect(body(await app.inject({ method: 'GET', url: '/v1/collections/bulk' }))).toMatchObject({ documents: 26 });
    expect((await searchOf(app, { query: 'delta', k: 100 }, '/v1/collections/bulk/search')).hits).toHaveLength(25);
  });

  it('acknowledges _bulk in batches of the batch limit', async () => {
    const small = await openApp(testConfig(await tempDir(), (c) => (c.server.maxBatchDocuments = 4)));
    try {
      await small.inject({ method: 'PUT', url: '/v1/collections/b', payload: {} });
      const ndjson = Array.from({ length: 10 }, (_, i) => JSON.stringify({ id: `x${i}`, text: `word${i}` })).join('\n');
      const res = await small.inject({ method: 'POST', url: '/v1/collections/b/documents/_bulk', payload: ndjson, headers: { 'content-type': 'application/x-ndjson' } });
      expect(body(res)).toMatchObject({ lines: 10, batches: 3, indexed: 10, failed: 0 });
    } finally {
      await small.close();
    }
  });

  it('runs flush, optimize and backup as tasks', async () => {
    const flush = await app.inject({ method: 'POST', url: `${C}/_flush` });
    expect(flush.statusCode, flush.body).toBe(202);
    expect(body(flush)).toMatchObject({ type: 'flush', collection: 'docs', status: 'running' });
    expect(await waitTask(app, body<Task>(flush))).toMatchObject({ status: 'succeeded' });
    const stats = body<{ segments: Array<{ sealed: boolean; documents: number }> }>(await app.inject({ method: 'GET', url: C }));
    expect(stats.segments.some((s) => s.sealed && s.documents > 0)).toBe(true);
    expect((await searchOf(app, { query: 'protein folding', k: 2, exact: true })).hits.map((h) => h.id).sort()).toEqual(['d1', 'd5']);

    const optimize = await app.inject({ method: 'POST', url: `${C}/_optimize` });
    expect(await waitTask(app, body<Task>(optimize))).toMatchObject({ status: 'succeeded' });

    const backup = await app.inject({ method: 'POST', url: `${C}/_backup?name=snap1` });
    const done = await waitTask(app, body<Task>(backup));
    expect(done).toMatchObject({ status: 'succeeded', result: { path: path.join(config.server.dataDir, 'backups', 'snap1') } });
    expect((await fs.readdir(done.result?.path as string)).length).toBeGreaterThan(0);
    // The same backup name again: the directory is not empty, so the task fails with a code.
    const again = await waitTask(app, body<Task>(await app.inject({ method: 'POST', url: `${C}/_backup?name=snap1` })));
    expect(again).toMatchObject({ status: 'failed', error: { code: 'VALIDATION_ERROR', detail: expect.stringMatching(/not empty/) } });
    // Two at once to one new name: one succeeds, the other finds it taken (not a file-system error).
    const [a, b] = await Promise.all([1, 2].map(async () => waitTask(app, body<Task>(await app.inject({ method: 'POST', url: `${C}/_backup?name=snap2` })))));
    expect([a.status, b.status].sort()).toEqual(['failed', 'succeeded']);
    expect([a, b].find((t) => t.status === 'failed')).toMatchObject({ error: { code: 'VALIDATION_ERROR' } });
    const tasks = body<{ tasks: Task[] }>(await app.inject({ method: 'GET', url: '/v1/tasks' }));
    expect(tasks.tasks.map((t) => [t.type, t.status])).toEqual([
      ['flush', 'succeeded'],
      ['optimize', 'succeeded'],
      ['backup', 'succeeded'],
      ['backup', 'failed'],
      ['backup', expect.any(String)],
      ['backup', expect.any(String)],
    ]);
  });

  it('reports health, readiness and Prometheus metrics', async () => {
    expect(body(await app.inject({ method: 'GET', url: '/health' }))).toEqual({ status: 'ok' });
    expect(body(await app.inject({ method: 'GET', url: '/ready' }))).toMatchObject({ status: 'ready' });
    const res = await app.inject({ method: 'GET', url: '/metrics' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/plain/);
    expect(res.body).toMatch(/sparrow_http_request_duration_seconds_bucket\{[^}]*route="\/v1\/collections\/:name\/search"/);
    expect(res.body).toMatch(/sparrow_documents\{collection="docs"\} 5/);
    expect(res.body).toMatch(/sparrow_segments\{collection="docs"\} \d+/);
    expect(res.body).toMatch(/sparrow_encoder_queue_depth \d+/);
    expect(res.body).toMatch(/sparrow_segment_build_seconds_count [1-9]/); // the flush above sealed a segment
  });

  it('deletes a collection', async () => {
    await app.inject({ method: 'PUT', url: '/v1/collections/tmp', payload: {} });
    expect(body(await app.inject({ method: 'DELETE', url: '/v1/collections/tmp' }))).toEqual({ acknowledged: true });
    expectProblem(await app.inject({ method: 'GET', url: '/v1/collections/tmp' }), 404, 'COLLECTION_NOT_FOUND');
  });
});

describe('readiness and shutdown', () => {
  it('answers 503 NOT_READY with Retry-After until ready', async () => {
    const app = await openApp(testConfig(await tempDir()));
    try {
      app.sparrow.state.ready = false;
      const res = await app.inject({ method: 'GET', url: '/ready' });
      expectProblem(res, 503, 'NOT_READY');
      expect(res.headers['retry-after']).toBe('1');
      app.sparrow.state.ready = true;
      expect((await app.inject({ method: 'GET', url: '/ready' })).statusCode).toBe(200);
    } finally {
      await app.close();
    }
  });

  it('finishes an in-flight write once closing, and answers 503 SHUTTING_DOWN to a new request', async () => {
    const app = await openApp(testConfig(await tempDir(), (c) => (c.server.maxBatchDocuments = 5_000)));
    let handlerStarted: () => void = () => undefined;
    const writeStarted = new Promise<void>((resolve) => (handlerStarted = resolve));
    app.addHook('preHandler', async (request) => {
      if (request.url === '/v1/collections/c/documents') handlerStarted();
    });
    await app.inject({ method: 'PUT', url: '/v1/collections/c', payload: {} });
    await app.listen({ port: 0, host: '127.0.0.1' });
    const { port } = app.server.address() as net.AddressInfo;
    const words = 'protein cell gene vaccine immune virus enzyme membrane receptor neuron'.split(' ');
    const documents = Array.from({ length: 5_000 }, (_, i) => ({ id: `s${i}`, text: Array.from({ length: 150 }, (_, j) => words[(i + j * j) % 10]).join(' ') }));
    const payload = JSON.stringify({ documents });
    // One keep-alive connection: a slow write, then (once closing began) a second request on it.
    const socket = net.connect(port, '127.0.0.1');
    let received = '';
    socket.on('data', (d) => (received += d));
    const ended = new Promise((r) => socket.on('close', r));
    socket.write(`POST /v1/collections/c/documents HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(payload)}\r\n\r\n${payload}`);
    await writeStarted;
    const closing = app.close();
    await new Promise((r) => setTimeout(r, 20));
    socket.write('GET /v1/collections HTTP/1.1\r\nHost: t\r\n\r\n');
    await ended;
    await closing;
    const statuses = [...received.matchAll(/HTTP\/1\.1 (\d{3}) /g)].map((m) => Number(m[1]));
    expect(statuses).toEqual([200, 503]);
    expect(received).toMatch(/"code":"SHUTTING_DOWN"/);
    expect(received).toMatch(/retry-after: \d+/i);

    const reopened = await openApp(testConfig(app.sparrow.config.server.dataDir));
    try {
      expect(body(await reopened.inject({ method: 'GET', url: '/v1/collections/c' }))).toMatchObject({ documents: 5_000 });
    } finally {
      await reopened.close();
    }
  });
});
