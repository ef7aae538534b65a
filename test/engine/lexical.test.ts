/**
 * The default lexical (BM25) encoder through the engine, on real SciFact text: term frequencies and
 * document lengths stored, scored with the live average length, queries weighted by Lucene IDF from
 * live statistics; explain shows the analyzed tokens.
 */
import fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultCpu, DEFAULT_INDEX } from '../../src/config.js';
import { bm25DocumentWeights } from '../../src/encoder/bm25.js';
import { createEncoder } from '../../src/encoder/factory.js';
import { EngineManager } from '../../src/engine/manager.js';
import { sparseDot } from '../../src/engine/write/sparse-input.js';
import type { Collection } from '../../src/engine/types.js';
import { closeEncoderPool } from '../../src/workers/pool.js';
import { scifactDocs, tempDir } from './helpers.js';

const docs = scifactDocs(400);

let dataDir: string;
let manager: EngineManager;
let col: Collection;

beforeAll(async () => {
  dataDir = tempDir();
  manager = await EngineManager.open({ dataDir, encoderFor: (config, cpu) => createEncoder(config.encoder, cpu) });
  col = await manager.create('scifact', { index: { ...DEFAULT_INDEX, mutableMaxDocs: 150 } });
  for (let i = 0; i < docs.length; i += 50) await col.upsert(docs.slice(i, i + 50).map((d) => ({ id: d._id, title: d.title, text: d.text })));
});

afterAll(async () => {
  await manager?.close();
  await closeEncoderPool();
  fs.rmSync(dataDir, { recursive: true, force: true });
});

/** BM25 over every live document with the live statistics (what one segment holding all equals). */
async function reference(query: string, k: number): Promise<Array<{ id: string; score: number }>> {
  const encoder = await createEncoder({ kind: 'lexical' }, defaultCpu(1));
  const encoded = await encoder.encodeDocuments(docs.map((d) => `${d.title}\n${d.text}`));
  const df = new Map<number, number>();
  let total = 0;
  for (const e of encoded) {
    total += e.length;
    for (const t of e.vector.indices) df.set(t, (df.get(t) ?? 0) + 1);
  }
  const avgdl = total / docs.length;
  const q = await encoder.encodeQuery(query, { numDocs: docs.length, avgDocLength: avgdl, docFreq: (t) => df.get(t) ?? 0 });
  const hits = encoded.map((e, i) => ({ id: docs[i]._id, score: sparseDot(q, bm25DocumentWeights(e.vector, e.length, avgdl)) }));
  return hits.filter((h) => h.score > 0).sort((a, b) => b.score - a.score).slice(0, k);
}

describe('lexical collections', () => {
  it('ranks like a brute-force BM25 once everything is in one segment', async () => {
    await col.optimize();
    for (const query of ['cerebral white matter diffusion MRI', 'colorectal cancer metastases', 'vitamin D deficiency']) {
      const got = (await col.search({ query, k: 10, exact: true })).hits;
      const want = await reference(query, 10);
      expect(got.map((h) => h.id)).toEqual(want.map((h) => h.id));
      // The sealed segment stores term frequencies (exact in binary16) and lengths: float32 arithmetic only.
      got.forEach((h, i) => expect(Math.abs(h.score - want[i].score)).toBeLessThanOrEqual(want[i].score * 1e-5));
      const approx = (await col.search({ query, k: 10 })).hits;
      expect(approx.length).toBeGreaterThan(0);
    }
  });

  it('explains matches with the analyzed tokens and finds fresh text at once', async () => {
    const res = await col.search({ query: 'white matter', k: 1, include: ['explain'] });
    expect(res.hits[0].explain!.terms!.map((t) => t.token).sort()).toEqual(['matter', 'white']);
    await col.upsert([{ id: 'new', text: 'zebrafish regeneration of cardiac tissue' }]);
    const fresh = (await col.search({ query: 'zebrafish', k: 3 })).hits.map((h) => h.id);
    expect(fresh).toContain('new');
    expect(fresh).toEqual((await col.search({ query: 'zebrafish', k: 3, exact: true })).hits.map((h) => h.id));
    const terms = await col.encode('zebrafish hearts', 'query');
    expect(terms.map((t) => t.token).sort()).toEqual(['heart', 'zebrafish']);
  });
});
