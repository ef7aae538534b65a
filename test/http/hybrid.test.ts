/** Dense and hybrid search over HTTP: the request schema, explain, and 400 problem+json answers. */
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { body, createWithDocs, expectProblem, openApp, SAMPLE_DOCS, tempDir, testConfig } from './helpers.js';

// Three dimensions, one axis per topic: d1/d5 protein, d2/d4 cells and genes, d3 vaccines.
const DENSE: Record<string, number[]> = { d1: [1, 0.1, 0], d2: [0, 1, 0.1], d3: [0.1, 0, 1], d4: [0.2, 0.9, 0], d5: [0.9, 0, 0.3] };
type Hit = { id: string; score: number; explain?: { terms?: unknown[]; sparse?: { raw: number; normalized: number }; dense?: { raw: number; normalized: number } } };

describe('dense and hybrid search over HTTP', () => {
  let app: FastifyInstance;
  const search = (payload: object, name = 'hyb') => app.inject({ method: 'POST', url: `/v1/collections/${name}/search`, payload });

  beforeAll(async () => {
    app = await openApp(testConfig(await tempDir()));
    const created = await app.inject({ method: 'PUT', url: '/v1/collections/hyb', payload: { dense: { dims: 3, metric: 'cosine' } } });
    expect(created.statusCode, created.body).toBe(201);
    const docs = SAMPLE_DOCS.map((d) => ({ ...d, dense: DENSE[d.id] }));
    const stored = await app.inject({ method: 'POST', url: '/v1/collections/hyb/documents', payload: { documents: docs } });
    expect(stored.statusCode, stored.body).toBe(200);
    await createWithDocs(app, 'plain');
  });
  afterAll(async () => app?.close());

  it('mode "dense" ranks by cosine', async () => {
    const res = await search({ mode: 'dense', dense: [0, 1, 0], k: 2 });
    expect(res.statusCode, res.body).toBe(200);
    expect(body<{ hits: Hit[] }>(res).hits.map((h) => h.id)).toEqual(['d2', 'd4']);
  });

  it('mode "hybrid" fuses text and vector, with both sides in explain', async () => {
    // text matches the protein documents; the vector points at vaccines
    for (const hybrid of [{ method: 'convex', alpha: 0.5, normalization: 'l2' }, { method: 'rrf', rankConstant: 60 }, {}]) {
      const res = await search({ mode: 'hybrid', query: 'protein folding', dense: [0, 0, 1], k: 5, include: ['explain'], hybrid });
      expect(res.statusCode, res.body).toBe(200);
      const hits = body<{ hits: Hit[] }>(res).hits;
      const ids = hits.map((h) => h.id);
      expect(ids, JSON.stringify(hybrid)).toContain('d3');
      expect(ids).toContain('d1');
      for (const h of hits) {
        expect(h.explain?.sparse, JSON.stringify(h)).toMatchObject({ raw: expect.any(Number), normalized: expect.any(Number) });
        expect(h.explain?.dense).toMatchObject({ raw: expect.any(Number), normalized: expect.any(Number) });
      }
    }
    const alphaOne = body<{ hits: Hit[] }>(await search({ mode: 'hybrid', query: 'protein folding', dense: [0, 0, 1], k: 5, hybrid: { alpha: 1 } })).hits;
    const sparseOnly = body<{ hits: Hit[] }>(await search({ query: 'protein folding', k: 2 })).hits;
    expect(alphaOne.slice(0, 2).map((h) => h.id)).toEqual(sparseOnly.map((h) => h.id));
  });

  it('answers bad input with 400 problem+json and a stable code', async () => {
    expectProblem(await search({ mode: 'dense', dense: [1, 0] }), 400, 'INVALID_DENSE_VECTOR');
    expectProblem(await search({ mode: 'dense', dense: [0, 0, 0] }), 400, 'INVALID_DENSE_VECTOR');
    expectProblem(await search({ mode: 'dense', query: 'protein' }), 400, 'INVALID_DENSE_VECTOR'); // no vector, no dense encoder
    expectProblem(await search({ mode: 'hybrid', query: 'protein', dense: [1, 0, 0], hybrid: { method: 'borda' } }), 400, 'UNKNOWN_FUSION_METHOD');
    expectProblem(await search({ mode: 'hybrid', query: 'protein', dense: [1, 0, 0], hybrid: { alpha: 3 } }), 400, 'VALIDATION_ERROR');
    expectProblem(await search({ mode: 'dense', dense: [1, 0, 0] }, 'plain'), 400, 'DENSE_NOT_CONFIGURED');
    expectProblem(await search({ mode: 'hybrid', query: 'protein', dense: [1, 0, 0] }, 'plain'), 400, 'DENSE_NOT_CONFIGURED');
    const bad = await app.inject({ method: 'POST', url: '/v1/collections/hyb/documents', payload: { documents: [{ id: 'x', text: 'x', dense: [1, 2] }] } });
    expectProblem(bad, 400, 'INVALID_DENSE_VECTOR');
    // NaN cannot be written in JSON; a non-number is the HTTP face of it
    expect((await search({ mode: 'dense', dense: [1, 'NaN', 0] })).statusCode).toBe(400);
  });

  it('never returns a deleted document', async () => {
    expect((await app.inject({ method: 'DELETE', url: '/v1/collections/hyb/documents/d3' })).statusCode).toBeLessThan(300);
    for (const payload of [{ mode: 'dense', dense: [0, 0, 1], k: 5 }, { mode: 'hybrid', query: 'vaccines', dense: [0, 0, 1], k: 5, hybrid: { method: 'rrf' } }]) {
      const hits = body<{ hits: Hit[] }>(await search(payload)).hits;
      expect(hits.map((h) => h.id)).not.toContain('d3');
    }
  });
});
