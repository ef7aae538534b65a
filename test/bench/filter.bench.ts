/**
 * npm run bench:filter [-- --docs 100000 --queries 200]
 * Filtered search on SYNTHETIC SPLADE-like documents (test/bench/synthetic.ts; there are no real
 * SPLADE document vectors here) and synthetic `report` queries: a collection of --docs documents
 * sealed in segments of 20,000 (no merges) plus 5,000 unsealed ones, each document with a number
 * field `bucket` (i mod 1000) and a keyword field `tag` (t0..t19, i mod 20). For 5, 20 and 50 %
 * selectivity, with a range leaf, an `in` leaf and a compound and/not filter, it prints the search
 * p50/p99 (ms, wall clock: the machine may be shared, so these are upper bounds) and the median
 * ArrayBuffer bytes one filtered search leaves allocated (process.memoryUsage().arrayBuffers after a
 * forced GC and after the search: filter bitmaps and the native result arrays, which an unfiltered
 * search also allocates: its row is printed first), and the bytes of filter bitsets one more such
 * query makes (SnapshotFilter.allocatedBytes: 0 for a filter every segment has cached; the
 * collection-wide docno bitmap this replaced was (maxDocno / 32 + 1) x 4 bytes per leaf and node,
 * plus a native copy). `repeated`: the same filter every query; `fresh`: a filter never seen
 * before each query (a range with a new bound).
 *
 * Every document also has a 32-dim dense vector (clustered, seeded: test/helpers/dense-data.ts), and
 * a second table times filtered `dense` and `hybrid` searches (default settings; the HNSW index is
 * built before timing): the same ArrayBuffer bytes per query (median), and the docnos the dense side
 * resolved into its cached filter sets per query, median and max (DenseFilterCache.resolvedDocnos:
 * 0 for a repeated filter with no new documents, all of them for a new filter; the docno bitmap this replaced was (maxDocno / 32 + 1) x 4 bytes in JS plus
 * a native copy, and a walk of every allowed docno, per query). `repeated + writes`: DENSE_WRITES
 * new documents are added before each query (not timed): the set is extended over those only.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import v8 from 'node:v8';
import vm from 'node:vm';
import { DEFAULT_INDEX } from '../../src/config.js';
import type { CsrBatch } from '../../src/core/types.js';
import { EngineManager } from '../../src/engine/manager.js';
import { Searcher } from '../../src/engine/search/searcher.js';
import type { Collection, DocumentInput, Filter } from '../../src/engine/types.js';
import type { EngineCollection } from '../../src/engine/write/collection.js';
import { clusteredVectors } from '../helpers/dense-data.js';
import { upsertRetrying } from './upsert.js';
import { table } from './table.js';
import { generateDocBatch, generateQueries } from './synthetic.js';

const arg = (name: string, dflt: number): number => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : dflt;
};
const DOCS = arg('docs', 100_000);
const QUERIES = arg('queries', 200);
const UNSEALED = 5_000;
const DIMS = 32;
const DENSE_WRITES = 10;
// a forced GC before each search (not --expose-gc on the command line: the seal workers refuse it)
v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc') as () => void;

function docsOf(b: CsrBatch, from: number): DocumentInput[] {
  const out: DocumentInput[] = [];
  const vectors = clusteredVectors(b.indptr.length - 1, DIMS, 50, from + 1);
  for (let r = 0; r + 1 < b.indptr.length; r++) {
    const s = b.indptr[r];
    const e = b.indptr[r + 1];
    const i = from + r;
    const sparse = { indices: Array.from(b.indices.subarray(s, e)), values: Array.from(b.values.subarray(s, e)) };
    out.push({ id: `d${i}`, sparse, dense: Array.from(vectors.subarray(r * DIMS, (r + 1) * DIMS)), metadata: { bucket: i % 1000, tag: `t${i % 20}` } });
  }
  return out;
}

async function ingest(c: Collection, from: number, to: number): Promise<void> {
  for (let i = from; i < to; i += 1000) await upsertRetrying(c, docsOf(generateDocBatch(i, Math.min(1000, to - i)), i), 50);
}

const pct = (xs: number[], p: number): number => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))];

async function main(): Promise<void> {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'sparrow-bench-filter-'));
  const manager = await EngineManager.open({ dataDir: root });
  const c = await manager.create('filtered', {
    encoder: { kind: 'splade' },
    durability: 'process',
    dense: { dims: DIMS, metric: 'cosine' },
    filterable: { bucket: 'number', tag: 'keyword' },
    index: { ...DEFAULT_INDEX, mutableMaxDocs: 20_000, maxUnsealedDocs: 100_000, mergeFactor: 1000 },
  });
  await ingest(c, 0, DOCS - UNSEALED);
  await c.flush();
  await ingest(c, DOCS - UNSEALED, DOCS);
  await (c as EngineCollection).dense!.settled(); // the HNSW index (past annThreshold) is built before timing
  const segments = c.stats().segments;
  console.log(`filter bench: ${DOCS} synthetic documents (${segments.filter((s) => s.sealed).length} sealed segments + ${UNSEALED} unsealed), ${QUERIES} synthetic queries, k = 10, ${os.availableParallelism()} cores, load ${os.loadavg().map((x) => x.toFixed(2)).join(' ')}\n`);
  const q = generateQueries(QUERIES, { set: 'report' });
  const queries = Array.from({ length: QUERIES }, (_, r) => ({ indices: Array.from(q.indices.subarray(q.indptr[r], q.indptr[r + 1])), values: Array.from(q.values.subarray(q.indptr[r], q.indptr[r + 1])) }));

  const tags = (n: number): string[] => Array.from({ length: n }, (_, i) => `t${i}`);
  const shapes: Array<{ name: string; filter: (sel: number, i: number) => Filter | undefined }> = [
    { name: 'none', filter: () => undefined },
    { name: 'range repeated', filter: (sel) => ({ field: 'bucket', range: { lt: sel * 1000 } }) },
    { name: 'range fresh', filter: (sel, i) => ({ field: 'bucket', range: { lt: sel * 1000 + (i + 1) / (QUERIES + 1) } }) },
    { name: 'in repeated', filter: (sel) => ({ field: 'tag', in: tags(sel * 20) }) },
    { name: 'and/not repeated', filter: (sel) => ({ and: [{ field: 'bucket', range: { lt: sel * 2000 } }, { not: { field: 'tag', in: tags(10) } }] }) },
  ];
  const rows: string[][] = [];
  for (const sel of [0.05, 0.2, 0.5]) {
    for (const shape of shapes) {
      if (shape.name === 'none' && sel !== 0.05) continue;
      const times: number[] = [];
      const bytes: number[] = [];
      let hits = 0;
      for (let i = 0; i < queries.length; i++) {
        const filter = shape.filter(sel, i);
        gc();
        const before = process.memoryUsage().arrayBuffers;
        const t = performance.now();
        const res = await c.search({ sparse: queries[i], k: 10, ...(filter ? { filter } : {}) });
        times.push(performance.now() - t);
        bytes.push(process.memoryUsage().arrayBuffers - before);
        hits += res.hits.length;
      }
      // the filter bitsets one more such query makes (after the timed ones: a repeated filter is cached, a fresh one is new)
      const next = shape.filter(sel, queries.length);
      const made = next === undefined ? 0 : bitsetBytes(c as EngineCollection, next);
      rows.push([shape.name, shape.name === 'none' ? '100%' : `${sel * 100}%`, pct(times, 50).toFixed(2), pct(times, 99).toFixed(2), String(pct(bytes, 50)), String(made), (hits / queries.length).toFixed(1)]);
    }
  }
  table('filtered search (sparse, default settings: exact below index.exactFilterSelectivity)', ['filter', 'selectivity', 'p50 ms', 'p99 ms', 'ArrayBuffer bytes/query', 'filter bitset bytes', 'hits'], rows);
  await denseTable(c as EngineCollection, queries);
  await manager.close();
  fs.rmSync(root, { recursive: true, force: true });
}

/** Filtered dense and hybrid searches: time, ArrayBuffer bytes and docnos resolved by the dense side per query. */
async function denseTable(c: EngineCollection, queries: Array<{ indices: number[]; values: number[] }>): Promise<void> {
  const vectors = clusteredVectors(QUERIES, DIMS, 50, 999_999);
  let written = DOCS;
  const shapes: Array<{ name: string; writes: number; filter: (sel: number, i: number) => Filter | undefined }> = [
    { name: 'none', writes: 0, filter: () => undefined },
    { name: 'range repeated', writes: 0, filter: (sel) => ({ field: 'bucket', range: { lt: sel * 1000 } }) },
    { name: 'range repeated + writes', writes: DENSE_WRITES, filter: (sel) => ({ field: 'bucket', range: { lt: sel * 1000 } }) },
    { name: 'range fresh', writes: 0, filter: (sel, i) => ({ field: 'bucket', range: { lt: sel * 1000 + (i + 1) / (QUERIES + 1) } }) },
  ];
  const rows: string[][] = [];
  for (const mode of ['dense', 'hybrid'] as const) {
    for (const sel of [0.05, 0.5]) {
      for (const shape of shapes) {
        if (shape.name === 'none' && sel !== 0.05) continue;
        const times: number[] = [];
        const bytes: number[] = [];
        const resolved: number[] = [];
        for (let i = 0; i < queries.length; i++) {
          const filter = shape.filter(sel, i);
          if (shape.writes > 0) {
            await ingest(c, written, written + shape.writes);
            written += shape.writes;
            await new Promise((resolve) => setTimeout(resolve, 5)); // the write's deferred work settles before the search is measured
          }
          const dense = Array.from(vectors.subarray(i * DIMS, (i + 1) * DIMS));
          const before = c.denseFilters.resolvedDocnos;
          gc();
          const arrayBuffers = process.memoryUsage().arrayBuffers;
          const t = performance.now();
          await c.search({ sparse: queries[i], dense, mode, k: 10, ...(filter ? { filter } : {}) });
          times.push(performance.now() - t);
          bytes.push(process.memoryUsage().arrayBuffers - arrayBuffers);
          resolved.push(c.denseFilters.resolvedDocnos - before);
        }
        rows.push([mode, shape.name, shape.name === 'none' ? '100%' : `${sel * 100}%`, pct(times, 50).toFixed(2), pct(times, 99).toFixed(2), String(pct(bytes, 50)), String(pct(resolved, 50)), String(Math.max(...resolved))]);
      }
    }
  }
  const maxDocno = c.filters.maxDocno;
  table(
    `filtered dense and hybrid search (default settings, ${c.dense!.approximate ? 'HNSW' : 'exact scan'}; maxDocno ${maxDocno} at the end: a docno bitmap is ${(Math.floor(maxDocno / 32) + 1) * 4} bytes)`,
    ['mode', 'filter', 'selectivity', 'p50 ms', 'p99 ms', 'ArrayBuffer bytes/query', 'docnos resolved p50', 'max'],
    rows,
  );
}

/** Bytes of bitsets a filter's resolution makes on the collection's current snapshot (SnapshotFilter.allocatedBytes). */
function bitsetBytes(c: EngineCollection, filter: Filter): number {
  const searcher = Searcher.acquire(c);
  try {
    c.filters.check(filter);
    return searcher.resolveFilter(c.filters, filter).allocatedBytes;
  } finally {
    searcher.release();
  }
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
