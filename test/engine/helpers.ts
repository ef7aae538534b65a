/** Shared test helpers: temp dirs, seeded sparse vectors, and the brute-force exact reference. */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { SparseVector } from '../../src/core/types.js';
import type { EngineManager } from '../../src/engine/manager.js';
import type { IndexConfig } from '../../src/engine/types.js';
import type { EngineCollection } from '../../src/engine/write/collection.js';
import { sparseDot } from '../../src/engine/write/sparse-input.js';
import { closeEncoderPool } from '../../src/workers/pool.js';

export function tempDir(prefix = 'sparrow-engine-'): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

/** mulberry32: a small seeded PRNG. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The unique term of document i: a query on it alone must find exactly that document. */
export const UNIQUE_BASE = 1_000_000;

/** A random sparse vector over `vocab` terms (+ optionally a unique term), as plain arrays. */
export function randomSparse(rand: () => number, nnz: number, vocab: number, unique?: number): { indices: number[]; values: number[] } {
  const ids = new Set<number>();
  while (ids.size < nnz) ids.add(Math.floor(rand() ** 2 * vocab)); // skewed: popular low ids
  const indices = [...ids];
  const values = indices.map(() => Math.round((0.05 + rand() * 2) * 1000) / 1000);
  if (unique !== undefined) {
    indices.push(UNIQUE_BASE + unique);
    values.push(5);
  }
  return { indices, values };
}

export function toVector(s: { indices: number[]; values: number[] }): SparseVector {
  const order = s.indices.map((_, i) => i).sort((a, b) => s.indices[a] - s.indices[b]);
  return { indices: Uint32Array.from(order.map((i) => s.indices[i])), values: Float32Array.from(order.map((i) => s.values[i])) };
}

/** Exact top-k over the live documents by inner product; ties by insertion order are not used. */
export function bruteForce(docs: Map<string, SparseVector>, query: SparseVector, k: number, allow?: (id: string) => boolean): Array<{ id: string; score: number }> {
  const hits: Array<{ id: string; score: number }> = [];
  for (const [id, v] of docs) {
    if (allow && !allow(id)) continue;
    const score = sparseDot(query, v);
    if (score > 0) hits.push({ id, score });
  }
  hits.sort((a, b) => b.score - a.score);
  return hits.slice(0, k);
}

/**
 * Compares ranked lists by score (float tolerance: sealed segments store binary16 weights), then
 * by ids: every document of either list scoring clearly above the k-th (beyond the tolerance) is
 * in the other list too; documents near the k-th may swap.
 */
export function sameRanking(got: Array<{ id: string; score: number }>, want: Array<{ id: string; score: number }>): boolean {
  if (got.length !== want.length) return false;
  for (let i = 0; i < got.length; i++) if (Math.abs(got[i].score - want[i].score) > 1e-3 * Math.max(1, want[i].score)) return false;
  const kth = want.length > 0 ? want[want.length - 1].score : 0;
  const clear = (l: Array<{ id: string; score: number }>) => l.filter((h) => h.score > kth + 1e-3 * Math.max(1, kth)).map((h) => h.id);
  const has = (l: Array<{ id: string; score: number }>) => new Set(l.map((h) => h.id));
  return clear(got).every((id) => has(want).has(id)) && clear(want).every((id) => has(got).has(id));
}

/** The records of a JSONL file of the bundled SciFact sample (corpus.jsonl, queries.jsonl). */
export function readScifact<T>(file: string): T[] {
  return fs
    .readFileSync(new URL(`../../index-data/samples/scifact/${file}`, import.meta.url), 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as T);
}

/** The first `n` documents of the bundled SciFact sample corpus. */
export function scifactDocs(n: number): Array<{ _id: string; title: string; text: string }> {
  return readScifact<{ _id: string; title: string; text: string }>('corpus.jsonl').slice(0, n);
}

/** A lexical collection `name` holding `docs` as text, written 500 at a time and flushed. */
export async function indexScifact(manager: EngineManager, name: string, docs: Array<{ _id: string; title: string; text: string }>, index: IndexConfig): Promise<EngineCollection> {
  const col = (await manager.create(name, { index })) as EngineCollection;
  for (let i = 0; i < docs.length; i += 500) await col.upsert(docs.slice(i, i + 500).map((d) => ({ id: d._id, title: d.title, text: d.text })));
  await col.flush();
  return col;
}

/** afterAll of a suite with its own manager and data directory. */
export async function closeEngine(manager: EngineManager | undefined, dataDir: string): Promise<void> {
  await manager?.close();
  await closeEncoderPool();
  fs.rmSync(dataDir, { recursive: true, force: true });
}
