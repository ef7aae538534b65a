/**
 * Exact search vs the exhaustive inverted index (the two references every faster method is measured
 * against).
 *
 *   npm run bench:exact -- --docs 100000 [--queries 100] [--k 10] [--kind siamese|inference-free]
 *       [--topics 1000] [--qps-queries 400]
 *
 * Documents: synthetic SPLADE-like rows of ~120 non-zeros (test/bench/synthetic.ts, SYNTHETIC.md);
 * queries: the synthetic `report` set (nothing is tuned here). Latency: one query per call with one
 * search thread (mean/p50/p99, including the Promise round trip); QPS: one batch over every core.
 */
import os from 'node:os';
import { parseArgs } from 'node:util';
import type { CsrBatch } from '../../src/core/types.js';
import { buildInvertedIndex, createForwardIndex, setSearchThreads } from '../../src/index/native.js';
import type { SearchOptions, SearchResult } from '../../src/index/native-types.js';
import { generateDocs, generateQueries, type QueryKind } from './synthetic.js';
import { sliceRows } from './csr-builder.js';

const { values: args } = parseArgs({
  options: {
    docs: { type: 'string', default: '100000' },
    queries: { type: 'string', default: '100' },
    'qps-queries': { type: 'string', default: '400' },
    k: { type: 'string', default: '10' },
    kind: { type: 'string', default: 'siamese' },
    topics: { type: 'string', default: '1000' },
  },
});
const numDocs = Number(args.docs);
const numQueries = Number(args.queries);
const qpsQueries = Number(args['qps-queries']);
const k = Number(args.k);
const cores = os.availableParallelism();

type Search = (queries: CsrBatch, options: SearchOptions) => Promise<SearchResult>;

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

async function latency(search: Search, queries: CsrBatch, n: number): Promise<{ mean: number; p50: number; p99: number }> {
  setSearchThreads(1);
  const times: number[] = [];
  for (let q = 0; q < n; q++) {
    const one = sliceRows(queries, q, q + 1);
    const t0 = performance.now();
    await search(one, { k });
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  return { mean: times.reduce((a, b) => a + b, 0) / n, p50: percentile(times, 50), p99: percentile(times, 99) };
}

async function throughput(search: Search, queries: CsrBatch): Promise<{ qps: number; result: SearchResult }> {
  setSearchThreads(cores);
  await search(sliceRows(queries, 0, Math.min(cores, queries.indptr.length - 1)), { k }); // wake the threads
  const t0 = performance.now();
  const result = await search(queries, { k });
  return { qps: (queries.indptr.length - 1) / ((performance.now() - t0) / 1000), result };
}

function mb(bytes: number): string {
  return (bytes / 2 ** 20).toFixed(0);
}

async function main(): Promise<void> {
  let t0 = performance.now();
  const rows = generateDocs(numDocs, { topics: Number(args.topics) });
  const docnos = Uint32Array.from({ length: numDocs }, (_, i) => i);
  const queries = generateQueries(Math.max(numQueries, qpsQueries), { set: 'report', kind: args.kind as QueryKind, topics: Number(args.topics) });
  const genSeconds = (performance.now() - t0) / 1000;
  t0 = performance.now();
  const forward = createForwardIndex(rows, docnos);
  const forwardSeconds = (performance.now() - t0) / 1000;
  t0 = performance.now();
  const inverted = buildInvertedIndex(forward);
  const invertedSeconds = (performance.now() - t0) / 1000;
  const nq = queries.indptr.length - 1;
  console.log(
    `docs ${numDocs} (nnz ${forward.nnz}, ${(forward.nnz / numDocs).toFixed(1)}/doc, vocab ${forward.vocabSize}), ` +
      `${args.kind} queries ${nq} (${(queries.indices.length / nq).toFixed(1)} nnz/query), k ${k}, ${cores} cores`,
  );
  console.log(`generate ${genSeconds.toFixed(1)} s, forward build ${forwardSeconds.toFixed(2)} s, inverted build ${invertedSeconds.toFixed(2)} s`);

  const methods: Array<[string, Search, number]> = [
    ['exact (forward scan)', (q, o) => forward.searchExact(q, o), forward.bytes],
    ['exhaustive inverted', (q, o) => inverted.search(q, o), inverted.bytes],
  ];
  const results: SearchResult[] = [];
  console.log('\n| method | mean ms | p50 ms | p99 ms | QPS (' + cores + ' threads) | memory MB |');
  console.log('|---|---:|---:|---:|---:|---:|');
  for (const [name, search, bytes] of methods) {
    const lat = await latency(search, queries, numQueries);
    const { qps, result } = await throughput(search, sliceRows(queries, 0, qpsQueries));
    results.push(result);
    console.log(`| ${name} | ${lat.mean.toFixed(2)} | ${lat.p50.toFixed(2)} | ${lat.p99.toFixed(2)} | ${qps.toFixed(1)} | ${mb(bytes)} |`);
  }
  const [a, b] = results;
  const same = a.docnos.length === b.docnos.length && a.docnos.every((d, i) => d === b.docnos[i] && a.scores[i] === b.scores[i]);
  console.log(`\nexact and exhaustive results identical (ids and scores): ${same ? 'yes' : 'NO'}`);
  console.log('Synthetic documents (no real SPLADE document vectors here); latency single-thread, QPS on all cores.');
}

await main();
