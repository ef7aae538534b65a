/**
 * Recovery that scales: segment files that are missing or damaged are rebuilt from collection.db at
 * open, in segments of at most mutableMaxDocs rows, with the statistics the manifest recorded, so
 * exact answers (scores included, BM25 too) are identical before and after.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { body, openApp, tempDir, testConfig } from './helpers.js';

const apps: FastifyInstance[] = [];
afterEach(async () => {
  await Promise.all(apps.splice(0).map((a) => a.close()));
});

const WORDS = 'protein cell gene vaccine immune virus enzyme membrane receptor neuron tumor signal pathway cancer dna rna kinase insulin'.split(' ');
const text = (i: number) => Array.from({ length: 5 + (i % 17) }, (_, j) => WORDS[(i * 7 + j * j * 3 + j) % WORDS.length]).join(' ') + ` doc${i}`;
const QUERIES = ['protein receptor', 'immune virus vaccine', 'tumor signal pathway kinase', 'dna rna gene', 'neuron membrane insulin', 'doc17 doc400'];

async function exactAnswers(app: FastifyInstance): Promise<unknown[]> {
  return Promise.all(
    QUERIES.map(async (query) => body<{ hits: unknown[] }>(await app.inject({ method: 'POST', url: '/v1/collections/c/search', payload: { query, k: 50, exact: true } })).hits),
  );
}

describe('lost segment files', () => {
  it.each(['missing', 'damaged'])('%s segment files are rebuilt from collection.db in bounded segments; exact answers (BM25 scores) are identical', async (how) => {
    const dataDir = await tempDir('sparrow-recovery-');
    let app = await openApp(testConfig(dataDir));
    apps.push(app);
    expect((await app.inject({ method: 'PUT', url: '/v1/collections/c', payload: { index: { mutableMaxDocs: 100, maxUnsealedDocs: 1_000 } } })).statusCode).toBe(201);
    for (let b = 0; b < 7; b++) {
      const documents = Array.from({ length: 100 }, (_, i) => ({ id: `d${b * 100 + i}`, text: text(b * 100 + i) }));
      expect((await app.inject({ method: 'POST', url: '/v1/collections/c/documents', payload: { documents } })).statusCode).toBe(200);
    }
    await app.inject({ method: 'POST', url: '/v1/collections/c/documents', payload: { documents: [{ id: 'd5', text: 'replaced: protein kinase insulin' }] } });
    for (const id of ['d8', 'd250', 'd612']) expect((await app.inject({ method: 'DELETE', url: `/v1/collections/c/documents/${id}` })).statusCode).toBe(200);
    const task = body<{ id: string }>(await app.inject({ method: 'POST', url: '/v1/collections/c/_flush' }));
    while (body<{ status: string }>(await app.inject({ method: 'GET', url: `/v1/tasks/${task.id}` })).status === 'running') await new Promise((r) => setTimeout(r, 20));
    const before = await exactAnswers(app);
    const statsBefore = body<{ documents: number; segments: Array<{ id: string; sealed: boolean }> }>(await app.inject({ method: 'GET', url: '/v1/collections/c' }));
    apps.pop();
    await app.close();

    const segDir = path.join(dataDir, 'c', 'segments');
    for (const name of fs.readdirSync(segDir)) {
      const file = path.join(segDir, name);
      if (how === 'missing') fs.rmSync(file);
      else {
        const bytes = fs.readFileSync(file);
        bytes[bytes.length >> 1] ^= 0xff;
        fs.writeFileSync(file, bytes);
      }
    }
    const spy = vi.spyOn(console, 'error').mockImplementation(() => undefined);
    try {
      app = await openApp(testConfig(dataDir));
    } finally {
      spy.mockRestore();
    }
    apps.push(app);
    const statsAfter = body<{ documents: number; segments: Array<{ id: string; sealed: boolean; documents: number }> }>(await app.inject({ method: 'GET', url: '/v1/collections/c' }));
    expect(statsAfter.documents).toBe(statsBefore.documents);
    const sealed = statsAfter.segments.filter((s) => s.sealed);
    expect(sealed.length).toBeGreaterThanOrEqual(7); // 697 documents in segments of at most 100
    expect(Math.max(...sealed.map((s) => s.documents))).toBeLessThanOrEqual(100);
    expect(sealed.map((s) => s.id).sort()).toEqual(fs.readdirSync(segDir).sort());
    expect(statsAfter.segments.filter((s) => !s.sealed).reduce((n, s) => n + s.documents, 0)).toBe(0); // nothing left in memory
    expect(await exactAnswers(app)).toEqual(before);
    const approx = body<{ hits: Array<{ id: string }> }>(await app.inject({ method: 'POST', url: '/v1/collections/c/search', payload: { query: 'doc333', k: 1 } })).hits;
    expect(approx.map((h) => h.id)).toEqual(['d333']);
  });
});
