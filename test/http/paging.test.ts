/** Pagination over HTTP on the SciFact sample (sealed Seismic segment): offset and searchAfter, exact and approximate. */
import fs from 'node:fs';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SAMPLE_DIR, SAMPLE_NAME, ensureSample } from '../../src/http/sample.js';
import { body, createWithDocs, expectProblem, openApp, tempDir, testConfig } from './helpers.js';

type Hit = { id: string; score: number };
const queries = fs
  .readFileSync(path.join(SAMPLE_DIR, 'queries.jsonl'), 'utf8')
  .split('\n')
  .filter(Boolean)
  .slice(0, 6)
  .map((line) => (JSON.parse(line) as { text: string }).text);

describe('pagination', () => {
  let app: FastifyInstance;
  const search = async (payload: object, name = SAMPLE_NAME): Promise<Hit[]> => {
    const res = await app.inject({ method: 'POST', url: `/v1/collections/${name}/search`, payload });
    expect(res.statusCode, res.body).toBe(200);
    return body<{ hits: Hit[] }>(res).hits.map(({ id, score }) => ({ id, score }));
  };

  beforeAll(async () => {
    const config = testConfig(await tempDir());
    app = await openApp(config);
    expect(await ensureSample(app.sparrow.manager, config.server.dataDir)).toBe(5183);
  }, 120_000);
  afterAll(async () => app?.close());

  for (const exact of [true, false]) {
    it(`page 2 of k = 10 is hits 11-20 of k = 20, by offset and by cursor (${exact ? 'exact' : 'approximate'})`, async () => {
      for (const query of queries) {
        const all = await search({ query, k: 20, exact });
        expect(all).toHaveLength(20);
        for (let i = 1; i < all.length; i++) {
          const [a, b] = [all[i - 1], all[i]];
          expect(a.score > b.score || (a.score === b.score && a.id < b.id), `${query}: order at ${i}`).toBe(true);
        }
        const first = await search({ query, k: 10, exact });
        if (exact) expect(first).toEqual(all.slice(0, 10));
        expect(await search({ query, k: 10, offset: 10, exact })).toEqual(all.slice(10, 20));
        expect(await search({ query, k: 10, searchAfter: all[9], exact })).toEqual(all.slice(10, 20));
        expect(await search({ query, k: 5, searchAfter: all[14], exact })).toEqual(all.slice(15, 20));
      }
    });
  }

  it('orders tied scores by id, and pages through a tie group without losing or repeating a hit', async () => {
    const ids = Array.from({ length: 25 }, (_, i) => `t${String((i * 7) % 25).padStart(2, '0')}`);
    await createWithDocs(app, 'twins', ids.map((id) => ({ id, title: 'Twins', text: 'identical twin documents about zebrafish', metadata: { year: 2000 } })));
    const all = await search({ query: 'zebrafish', k: 25 }, 'twins');
    expect(all.map((h) => h.id)).toEqual([...ids].sort());
    expect(new Set(all.map((h) => h.score)).size).toBe(1);
    const byCursor: Hit[] = [];
    let page = await search({ query: 'zebrafish', k: 7 }, 'twins');
    while (page.length > 0) {
      byCursor.push(...page);
      page = await search({ query: 'zebrafish', k: 7, searchAfter: page[page.length - 1] }, 'twins');
    }
    expect(byCursor).toEqual(all);
    const byOffset: Hit[] = [];
    for (let offset = 0; offset < 25; offset += 7) byOffset.push(...(await search({ query: 'zebrafish', k: 7, offset }, 'twins')));
    expect(byOffset).toEqual(all);
    expect(await search({ query: 'zebrafish', k: 7, offset: 25 }, 'twins')).toEqual([]);
  });

  it('rejects pages past the deepest search, and offset together with a cursor', async () => {
    const url = `/v1/collections/${SAMPLE_NAME}/search`;
    const max = app.sparrow.config.server.maxK;
    const deep = expectProblem(await app.inject({ method: 'POST', url, payload: { query: 'cancer', k: 10, offset: max - 5 } }), 400, 'INVALID_PAGE');
    expect(deep.limit).toBe(max);
    expectProblem(await app.inject({ method: 'POST', url, payload: { query: 'cancer', offset: 10, searchAfter: { score: 1, id: 'x' } } }), 400, 'INVALID_PAGE');
    expectProblem(await app.inject({ method: 'POST', url, payload: { query: 'cancer', searchAfter: { score: 1 } } }), 400, 'VALIDATION_ERROR');
    expectProblem(await app.inject({ method: 'POST', url, payload: { query: 'cancer', offset: -1 } }), 400, 'VALIDATION_ERROR');
  });
});
