/** Highlighting over HTTP: BM25 and SPLADE (tiny fixture model) collections, fragments, attribution and its limits. */
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Highlight } from '../../src/highlight/highlight.js';
import { body, createWithDocs, expectProblem, openApp, tempDir, testConfig } from './helpers.js';

type Hit = { id: string; score: number; title?: string; text?: string; highlight: Highlight; explain?: { terms: Array<{ token: string; contribution: number }> } };
const MODEL = path.resolve('test/fixtures/tiny-splade');

describe('highlight over HTTP', () => {
  let app: FastifyInstance;
  const search = async (name: string, payload: object): Promise<Hit[]> => {
    const res = await app.inject({ method: 'POST', url: `/v1/collections/${name}/search`, payload });
    expect(res.statusCode, res.body).toBe(200);
    return body<{ hits: Hit[] }>(res).hits;
  };

  beforeAll(async () => {
    app = await openApp(testConfig(await tempDir()));
    await createWithDocs(app, 'bm25', [
      { id: 'a', title: 'Folding <proteins> & friends', text: 'Misfolded proteins fold again; folding 🧬 is fast. Ångström folds.', metadata: { year: 1 } },
      { id: 'b', title: 'Cells', text: 'Stem cells divide.', metadata: { year: 2 } },
    ]);
    const created = await app.inject({ method: 'PUT', url: '/v1/collections/splade', payload: { encoder: { kind: 'splade', model: MODEL, query: 'inference-free' } } });
    expect(created.statusCode, created.body).toBe(201);
    const docs = [
      { id: 's1', title: 'cancer cells', text: 'tumor cells divide fast in cancer' },
      { id: 's2', title: 'protein folding', text: 'a protein folds into its structure' },
      { id: 'user', text: 'cancer cells with a vector of their own', sparse: { tokens: { cancer: 1.5, cells: 0.5, blood: 2 } } },
    ];
    const stored = await app.inject({ method: 'POST', url: '/v1/collections/splade/documents', payload: { documents: docs } });
    expect(stored.statusCode, stored.body).toBe(200);
  }, 60_000);
  afterAll(async () => app?.close());

  it('BM25: spans over title and text with the stem each word carries and its contribution; escaped fragments with the chosen tags', async () => {
    const [hit] = await search('bm25', { query: 'folding', include: ['highlight', 'explain'], highlight: { fragments: { count: 2, size: 40, preTag: '<b>', postTag: '</b>' } } });
    expect(hit.id).toBe('a');
    const words = (field: string, h: Highlight['title']) => h!.spans.map((s) => field.slice(s.start, s.end));
    expect(words(hit.title!, hit.highlight.title)).toEqual(['Folding']);
    expect(words('Misfolded proteins fold again; folding 🧬 is fast. Ångström folds.', hit.highlight.text)).toEqual(['fold', 'folding', 'folds']);
    expect(hit.highlight.text!.spans[0].terms).toEqual([{ token: 'fold', id: expect.any(Number), contribution: hit.explain!.terms[0].contribution }]);
    expect(hit.highlight.expansions).toEqual([]);
    expect(hit.highlight.title!.fragments).toEqual(['<b>Folding</b> &lt;proteins&gt; &amp; friends']);
    expect(hit.highlight.text!.fragments!.join(' ')).toContain('<b>fold</b>');
    // without the option: no fragments; without include: no highlight
    const [plain] = await search('bm25', { query: 'folding', include: ['highlight'] });
    expect(plain.highlight.text!.fragments).toBeUndefined();
    const [none] = await search('bm25', { query: 'folding' });
    expect(none.highlight).toBeUndefined();
  });

  it('SPLADE: WordPiece spans are literal matches, terms of the vector without a token in the text are expansions with their weight', async () => {
    const hits = await search('splade', { query: 'cancer', k: 3, include: ['highlight', 'explain'] });
    expect(hits.length).toBeGreaterThan(0);
    let expansions = 0;
    for (const hit of hits) {
      const total = hit.explain!.terms.length;
      const literal = new Set([...(hit.highlight.title?.spans ?? []), ...(hit.highlight.text?.spans ?? [])].flatMap((s) => s.terms.map((t) => t.token)));
      expect(literal.size + hit.highlight.expansions.length).toBe(total);
      for (const e of hit.highlight.expansions) {
        expect(literal.has(e.token)).toBe(false);
        expect(e.documentWeight).toBeGreaterThan(0);
      }
      expansions += hit.highlight.expansions.length;
    }
    expect(expansions).toBeGreaterThan(0);
  });

  it('attribution: the word behind each expansion of a model-encoded document; user vectors unattributed; cached and bounded in time', async () => {
    const payload = { query: 'cancer blood risk', k: 3, include: ['highlight'], highlight: { attribute: true } };
    const hits = await search('splade', payload);
    const user = hits.find((h) => h.id === 'user');
    const model = hits.find((h) => h.id === 's1')!;
    expect(user!.highlight.expansions.length).toBeGreaterThan(0);
    for (const e of user!.highlight.expansions) expect(e.attribution).toMatchObject({ status: 'unattributed', reason: expect.stringMatching(/user-supplied/) });
    expect(model.highlight.expansions.length).toBeGreaterThan(0);
    const docs = await Promise.all(hits.map(async (h) => body<{ title?: string; text?: string }>(await app.inject({ method: 'GET', url: `/v1/collections/splade/documents/${h.id}` }))));
    for (const e of model.highlight.expansions) {
      const a = e.attribution!;
      expect(a.status).toBe('attributed');
      if (a.status === 'attributed' && a.field !== null) {
        const value = docs[hits.indexOf(model)][a.field]!;
        expect(a.start >= 0 && a.start < a.end && a.end <= value.length).toBe(true);
        expect(value.slice(a.start, a.end).toLowerCase()).toBe(a.source.replace(/^##/, ''));
      }
    }
    // asked again: the same answer (from the cache)
    expect((await search('splade', payload)).map((h) => h.highlight)).toEqual(hits.map((h) => h.highlight));
    // BM25: nothing to attribute (no expansions), the option is accepted
    expect((await search('bm25', { query: 'folding', include: ['highlight'], highlight: { attribute: true, timeoutMs: 50 } }))[0].highlight.expansions).toEqual([]);
  });

  it('rejects a bad highlight option with a clear problem', async () => {
    const url = '/v1/collections/bm25/search';
    expectProblem(await app.inject({ method: 'POST', url, payload: { query: 'x', include: ['highlight'], highlight: { fragments: { size: 5 } } } }), 400, 'VALIDATION_ERROR');
    expectProblem(await app.inject({ method: 'POST', url, payload: { query: 'x', include: ['highlight'], highlight: { colour: 'red' } } }), 400, 'VALIDATION_ERROR');
  });
});
