/**
 * bench:engine tables 4 and 5 (the read path): search latency by sealed-segment count, and search
 * latency while a client ingests. SYNTHETIC documents and queries (test/bench/synthetic.ts; there
 * are no real SPLADE document vectors here). Timings on a shared machine are noisy: every variant
 * is measured interleaved, query by query, in one process, and documents scored are reported beside.
 */
import { monitorEventLoopDelay, PerformanceObserver } from 'node:perf_hooks';
import type { CsrBatch, Hit, SparseVector } from '../../src/core/types.js';
import type { EngineCollection } from '../../src/engine/write/collection.js';
import { topK } from '../../src/engine/write/mutable-segment.js';
import { recallOf } from '../../src/engine/search/recall-monitor.js';
import { Searcher } from '../../src/engine/search/searcher.js';
import type { Collection } from '../../src/engine/types.js';
import { searchSegments } from '../../src/index/native.js';
import type { MultiSearchOptions } from '../../src/index/native-types.js';

export interface QueryRow {
  indices: number[];
  values: number[];
}

type Variant = 'engine' | 'inline' | 'pool' | 'parallel' | 'before';
const VARIANTS: Variant[] = ['engine', 'inline', 'pool', 'parallel', 'before'];
const LABEL: Record<Variant, string> = {
  engine: 'one call (auto placement)',
  inline: 'one call, calling thread',
  pool: 'one call, one pool task',
  parallel: 'one call, segments in parallel',
  before: 'one call per segment (before)',
};

const pct = (xs: number[], p: number): number => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))];

function vector(q: QueryRow): SparseVector {
  return { indices: Uint32Array.from(q.indices), values: Float32Array.from(q.values) };
}

function csrOf(v: SparseVector): CsrBatch {
  return { indptr: Uint32Array.of(0, v.indices.length), indices: v.indices, values: v.values };
}

/** One query through the native call in a forced place, or as the old path did it: one awaited call per segment, in list order, each from the running k-th score. */
async function variantSearch(c: EngineCollection, v: Variant, q: SparseVector, k: number): Promise<{ hits: Hit[]; docs: number }> {
  const s = Searcher.acquire(c);
  try {
    const parts = s.sealed.map((seg) => ({ segment: seg.index, deleted: seg.deletedRows }));
    if (v === 'before') {
      let hits: Hit[] = [];
      let docs = 0;
      for (const p of parts) {
        const threshold = hits.length >= k ? hits[k - 1].score : undefined;
        const r = await searchSegments([p], csrOf(q), { k, threshold, stats: true, mode: 'pool' });
        for (let i = 0; i < r.docnos.length; i++) hits.push({ docno: r.docnos[i], score: r.scores[i] });
        hits = topK(hits, k);
        docs += r.stats![0].docsScored;
      }
      return { hits, docs };
    }
    const r = await searchSegments(parts, csrOf(q), { k, stats: true, mode: v as MultiSearchOptions['mode'] });
    return { hits: Array.from(r.docnos, (docno, i) => ({ docno, score: r.scores[i] })), docs: r.stats![0].docsScored };
  } finally {
    s.release();
  }
}

/**
 * Table 4: the same documents in collections of different sealed-segment counts; for each query,
 * every collection and variant in turn. Recall@10 against exact search of the same collection.
 */
export async function latencyBySegments(cols: Array<{ segments: number; c: Collection }>, queries: QueryRow[], k = 10): Promise<string[][]> {
  const lat = new Map<string, number[]>();
  const docs = new Map<string, number>();
  const recall = new Map<string, number>();
  const key = (col: number, v: Variant): string => `${col}|${v}`;
  for (const { c } of cols) for (const q of queries.slice(0, 20)) await c.search({ sparse: q, k }); // warm-up
  for (const q of queries) {
    const v = vector(q);
    for (const [ci, { c }] of cols.entries()) {
      const exact = new Set((await c.search({ sparse: q, k, exact: true })).hits.map((h) => h.id));
      const engine = c as EngineCollection;
      for (const variant of VARIANTS) {
        const t0 = performance.now();
        let found: number;
        let scored: number;
        if (variant === 'engine') {
          const res = await c.search({ sparse: q, k, stats: true });
          found = res.hits.filter((h) => exact.has(h.id)).length;
          scored = res.stats?.docsScored ?? 0;
        } else {
          const r = await variantSearch(engine, variant, v, k);
          found = r.hits.filter((h) => exact.has(engine.store.hitFields(h.docno, false)?.id ?? '')).length;
          scored = r.docs;
        }
        const ms = performance.now() - t0;
        const id = key(ci, variant);
        lat.set(id, [...(lat.get(id) ?? []), ms]);
        docs.set(id, (docs.get(id) ?? 0) + scored);
        recall.set(id, (recall.get(id) ?? 0) + (exact.size === 0 ? 1 : found / exact.size));
      }
    }
  }
  const rows: string[][] = [];
  const base = pct(lat.get(key(0, 'engine'))!, 50);
  for (const [ci, { segments }] of cols.entries()) {
    for (const variant of VARIANTS) {
      const id = key(ci, variant);
      const t = lat.get(id)!;
      rows.push([
        String(segments),
        LABEL[variant],
        (recall.get(id)! / queries.length).toFixed(3),
        (docs.get(id)! / queries.length).toFixed(0),
        (pct(t, 50) * 1000).toFixed(0),
        (pct(t, 99) * 1000).toFixed(0),
        variant === 'engine' ? (pct(t, 50) / base).toFixed(2) : '',
      ]);
    }
  }
  return rows;
}

/**
 * Table 5: search latency while `ingest` runs (a client writing at a fixed rate), against the
 * same searches idle just before; event-loop delay and the most sealed segments seen meanwhile.
 * Recall@k: idle, of every search against an exact one right after it (untimed; nothing is written
 * between them); while ingesting, the collection's recall monitor (on at its default rate: each
 * check is exact on the snapshot of the search it checks), over the checks of that phase.
 */
export async function latencyWhileIngesting(
  c: EngineCollection,
  queries: QueryRow[],
  ingest: () => Promise<{ docs: number; seconds: number }>,
  k = 10,
): Promise<{ idle: Phase; busy: Phase; rate: number; maxSegments: number; loopP99: number; loopMax: number; gc: GcPauses }> {
  const run = async (more: (i: number) => boolean, exactToo: boolean): Promise<Phase> => {
    const t: number[] = [];
    let docs = 0;
    let recall = 0;
    for (let i = 0; more(i); i++) {
      const q = queries[i % queries.length];
      const t0 = performance.now();
      const res = await c.search({ sparse: q, k, stats: true });
      t.push(performance.now() - t0);
      docs += res.stats?.docsScored ?? 0;
      if (exactToo) {
        const exact = (await c.search({ sparse: q, k, exact: true })).hits.map((h) => h.id);
        recall += recallOf(res.hits.map((h) => h.id), exact);
      }
    }
    return { p50: pct(t, 50) * 1000, p99: pct(t, 99) * 1000, docs: docs / Math.max(1, t.length), recall: recall / Math.max(1, t.length), checks: t.length };
  };
  const idle = await run((i) => i < queries.length, true);
  let done = false;
  let maxSegments = 0;
  const watch = setInterval(() => (maxSegments = Math.max(maxSegments, c.stats().segments.filter((s) => s.sealed).length)), 200);
  const loop = monitorEventLoopDelay({ resolution: 5 });
  loop.enable();
  const gc = gcPauses();
  const before = c.monitor.figure();
  const writer = ingest().finally(() => (done = true));
  const busy = await run(() => !done, false);
  const { docs, seconds } = await writer;
  loop.disable();
  const pauses = gc.stop();
  clearInterval(watch);
  await c.monitor.idle();
  const after = c.monitor.figure();
  // The phase's checks: the window's sum minus what it held before while the window has not rolled
  // over; once the phase's checks fill it, the window is theirs alone.
  const n = after.checks - before.checks;
  const m1 = after.recall ?? NaN;
  busy.recall = n === 0 ? NaN : after.window === before.window + n ? (m1 * after.window - (before.recall ?? 0) * before.window) / n : m1;
  busy.checks = n;
  return { idle, busy, rate: docs / seconds, maxSegments, loopP99: loop.percentile(99) / 1e6, loopMax: loop.max / 1e6, gc: pauses };
}

/** Garbage-collection pauses of this thread from now until stop(): count, total and longest (ms). */
export function gcPauses(): { stop(): GcPauses } {
  const out: GcPauses = { count: 0, totalMs: 0, maxMs: 0 };
  const obs = new PerformanceObserver((list) => {
    for (const e of list.getEntries()) {
      out.count++;
      out.totalMs += e.duration;
      out.maxMs = Math.max(out.maxMs, e.duration);
    }
  });
  obs.observe({ entryTypes: ['gc'] });
  return {
    stop: () => {
      obs.disconnect();
      return out;
    },
  };
}

export interface GcPauses {
  count: number;
  totalMs: number;
  maxMs: number;
}

/** One phase of table 5: latency (µs), documents scored and recall@k per search, over `checks` searches checked. */
interface Phase {
  p50: number;
  p99: number;
  docs: number;
  recall: number;
  checks: number;
}
