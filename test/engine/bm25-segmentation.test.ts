/**
 * BM25 does not depend on how documents were sealed and merged: sealed segments keep term
 * frequencies and document lengths and score with the collection's live statistics, as the
 * mutable segment does. The same SciFact documents ingested in one batch, or in fifty batches with
 * seals and merges (blocked segments, a few deletes, fresh documents left unsealed), answer
 * `exact: true` with the same hits and scores, and those equal a BM25 computed here over the live
 * documents (Lucene's formula, written out below, from the analyzer's tokens). A drifting average
 * length re-summarises a blocked segment once it leaves the range its summaries were built for.
 */
import fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultCpu, DEFAULT_INDEX } from '../../src/config.js';
import { createEncoder } from '../../src/encoder/factory.js';
import type { SparseEncoder } from '../../src/encoder/types.js';
import type { EngineCollection } from '../../src/engine/write/collection.js';
import { EngineManager } from '../../src/engine/manager.js';
import { SUMMARY_AVGDL_RANGE } from '../../src/engine/segments/sealed-segment.js';
import type { IndexConfig } from '../../src/engine/types.js';
import { closeEncoderPool } from '../../src/workers/pool.js';
import { scifactDocs, tempDir } from './helpers.js';

const docs = scifactDocs(306);
const first = docs.slice(0, 300);
const fresh = docs.slice(300); // upserted last: still in the mutable segment
const deleted = first.filter((_, i) => i % 30 === 7).map((d) => d._id);
const QUERIES = ['cerebral white matter diffusion MRI', 'colorectal cancer metastases', 'vitamin D deficiency', 'stem cells in the bone marrow', 'protein folding', 'risk of type 2 diabetes', 'the the the gene'];
const K = 20;
const REL = 1e-5;

let dataDir: string;
let manager: EngineManager;
let encoder: SparseEncoder;

const open = (): Promise<EngineManager> => EngineManager.open({ dataDir, encoderFor: (config, cpu) => createEncoder(config.encoder, cpu) });
const input = (d: { _id: string; title: string; text: string }) => ({ id: d._id, title: d.title, text: d.text });

beforeAll(async () => {
  dataDir = tempDir();
  manager = await open();
  encoder = await createEncoder({ kind: 'lexical' }, defaultCpu(1));
});

afterAll(async () => {
  await manager?.close();
  await closeEncoderPool();
  fs.rmSync(dataDir, { recursive: true, force: true });
});

/** Term id -> count of a text's analyzed tokens (the analyzer only: the weighting is ours). */
function counts(text: string): Map<number, number> {
  const out = new Map<number, number>();
  for (const id of encoder.tokenOffsets(text).ids) out.set(id, (out.get(id) ?? 0) + 1);
  return out;
}

/**
 * Lucene BM25 (without the constant k1 + 1) over the given live documents, in float64:
 * Σ over distinct query terms of qtf · ln(1 + (N − df + 0.5) / (df + 0.5)) · tf / (tf + k1 · (1 − b + b · dl / avgdl)).
 */
function independentBm25(live: Array<{ id: string; text: string }>, query: string): Map<string, number> {
  const k1 = 1.2;
  const b = 0.75;
  const tfs = live.map((d) => counts(d.text));
  const lengths = tfs.map((m) => [...m.values()].reduce((s, n) => s + n, 0));
  const avgdl = lengths.reduce((s, n) => s + n, 0) / live.length;
  const df = new Map<number, number>();
  for (const m of tfs) for (const t of m.keys()) df.set(t, (df.get(t) ?? 0) + 1);
  const scores = new Map<string, number>();
  const q = counts(query);
  live.forEach((d, i) => {
    let s = 0;
    for (const [t, qtf] of q) {
      const tf = tfs[i].get(t);
      if (tf === undefined) continue;
      const n = df.get(t)!;
      const idf = Math.log(1 + (live.length - n + 0.5) / (n + 0.5));
      s += qtf * idf * (tf / (tf + k1 * (1 - b + (b * lengths[i]) / avgdl)));
    }
    if (s > 0) scores.set(d.id, s);
  });
  return scores;
}

function topOf(scores: Map<string, number>, k: number): Array<{ id: string; score: number }> {
  return [...scores].map(([id, score]) => ({ id, score })).sort((a, b) => b.score - a.score || (a.id < b.id ? -1 : 1)).slice(0, k);
}

/** Same ranked scores (relative tolerance); the same ids, except that documents tied within the tolerance at the cut may differ. */
function expectSameHits(got: Array<{ id: string; score: number }>, want: Array<{ id: string; score: number }>): void {
  expect(got.length).toBe(want.length);
  got.forEach((h, i) => expect(Math.abs(h.score - want[i].score)).toBeLessThanOrEqual(REL * want[i].score));
  const cut = want[want.length - 1].score * (1 + 2 * REL);
  const sure = (hits: typeof got) => new Set(hits.filter((h) => h.score > cut).map((h) => h.id));
  expect(sure(got)).toEqual(sure(want));
  // Inside the list, positions differ only between scores equal within the tolerance.
  const at = new Map(want.map((h) => [h.id, h.score]));
  for (const h of got) if (at.has(h.id)) expect(Math.abs(h.score - at.get(h.id)!)).toBeLessThanOrEqual(REL * h.score);
}

async function exactHits(col: EngineCollection, query: string, k = K): Promise<Array<{ id: string; score: number }>> {
  return (await col.search({ query, k, exact: true })).hits.map((h) => ({ id: h.id, score: h.score }));
}

describe('BM25 independent of segmentation', () => {
  let one: EngineCollection;
  let fifty: EngineCollection;
  const liveDocs = [...first.filter((d) => !deleted.includes(d._id)), ...fresh].map((d) => ({ id: d._id, text: `${d.title}\n${d.text}` }));

  beforeAll(async () => {
    one = (await manager.create('one', {})) as EngineCollection;
    await one.upsert(first.map(input));
    await one.flush();
    // Fifty batches of six, each sealed (mutableMaxDocs 6) into a blocked segment (exhaustiveBelow
    // 300 non-zeros), merged three at a time: segments built for many different average lengths.
    const index = { ...DEFAULT_INDEX, mutableMaxDocs: 6, mergeFactor: 3, recentQueries: false, seismic: { ...DEFAULT_INDEX.seismic, exhaustiveBelow: 300 } } as IndexConfig;
    fifty = (await manager.create('fifty', { index })) as EngineCollection;
    for (let i = 0; i < first.length; i += 6) {
      await fifty.upsert(first.slice(i, i + 6).map(input));
      await fifty.flush();
    }
    for (const col of [one, fifty]) {
      for (const id of deleted) await col.delete(id);
      await col.upsert(fresh.map((d) => input(d)).slice(0, 5)); // fewer than mutableMaxDocs: unsealed
      await col.upsert([input(fresh[5])]);
    }
  }, 300_000);

  it('one batch and fifty batches with merges answer exact searches alike, and equal an independent BM25 over the live documents', async () => {
    expect(one.sealed).toHaveLength(1);
    expect(fifty.sealed.length).toBeGreaterThan(1);
    expect(fifty.sealed.some((s) => s.index.layout === 'blocked')).toBe(true);
    expect(fifty.unsealedDocs).toBeGreaterThan(0);
    expect(one.corpus.numDocs).toBe(liveDocs.length);
    for (const query of QUERIES) {
      const want = topOf(independentBm25(liveDocs, query), K);
      const a = await exactHits(one, query);
      const b = await exactHits(fifty, query);
      expectSameHits(a, want);
      expectSameHits(b, want);
      expectSameHits(b, a);
    }
  });

  it('the blocked search scores what it finds with the live statistics too', async () => {
    for (const query of QUERIES) {
      const reference = independentBm25(liveDocs, query);
      const hits = (await fifty.search({ query, k: 10 })).hits;
      expect(hits.length).toBeGreaterThan(0);
      for (const h of hits) expect(Math.abs(h.score - reference.get(h.id)!)).toBeLessThanOrEqual(REL * h.score);
      // explain's document weights use the same statistics: contributions sum to the score
      const explained = (await fifty.search({ query, k: 3, include: ['explain'] })).hits;
      for (const h of explained) expect(h.explain!.terms!.reduce((s, t) => s + t.contribution, 0)).toBeCloseTo(h.score, 4);
    }
  });
});

describe('a drifting average length', () => {
  it('re-summarises a blocked segment once the live average leaves the range its summaries were built for, and only then', async () => {
    const index = { ...DEFAULT_INDEX, mutableMaxDocs: 1000, recentQueries: false, seismic: { ...DEFAULT_INDEX.seismic, exhaustiveBelow: 20 } } as IndexConfig;
    const col = (await manager.create('drift', { index })) as EngineCollection;
    const words = 'alpha beta gamma delta epsilon zeta theta kappa lambda sigma omega rho'.split(' ');
    const text = (i: number, n: number): string => Array.from({ length: n }, (_, j) => `${words[(i + j) % words.length]}${(i * 7 + j) % 13}`).join(' ');
    await col.upsert(Array.from({ length: 40 }, (_, i) => ({ id: `short${i}`, text: text(i, 5) })));
    await col.flush();
    expect(col.sealed).toHaveLength(1);
    const built = col.sealed[0];
    expect(built.index.layout).toBe('blocked');
    expect(built.summaryAvgdl).toBeCloseTo(col.corpus.avgDocLength, 6);
    const before = built.summaryAvgdl!;

    // Within range: nothing is rebuilt.
    await col.upsert([{ id: 'mid', text: text(1, 8) }]);
    expect(col.corpus.avgDocLength / before).toBeLessThan(SUMMARY_AVGDL_RANGE);
    await col.flush();
    expect(col.sealed.map((s) => s.id)).toContain(built.id);

    // Out of range: the segment is rebuilt for the live average (summaries and calibration anew).
    await col.upsert(Array.from({ length: 3 }, (_, i) => ({ id: `long${i}`, text: text(i, 60) })));
    const live = col.corpus.avgDocLength;
    expect(live / before).toBeGreaterThan(SUMMARY_AVGDL_RANGE);
    await col.flush();
    expect(col.sealed.map((s) => s.id)).not.toContain(built.id);
    const holder = col.sealed.find((s) => s.contains(col.store.getById('short0')!.docno))!;
    expect(holder.summaryAvgdl! / live).toBeGreaterThan(1 / SUMMARY_AVGDL_RANGE);
    expect(holder.summaryAvgdl! / live).toBeLessThan(SUMMARY_AVGDL_RANGE);

    // Scores never depended on it: exact search equals the independent BM25 before and after.
    const liveDocs = [
      ...Array.from({ length: 40 }, (_, i) => ({ id: `short${i}`, text: text(i, 5) })),
      { id: 'mid', text: text(1, 8) },
      ...Array.from({ length: 3 }, (_, i) => ({ id: `long${i}`, text: text(i, 60) })),
    ];
    for (const query of ['alpha3 beta4', 'gamma5 omega0 rho1']) {
      const want = topOf(independentBm25(liveDocs, query), 10);
      if (want.length === 0) continue;
      expectSameHits(await exactHits(col, query, 10), want);
    }
  }, 120_000);
});
