/**
 * Recall and speed of default searches through the HTTP API, against `exact: true`, on the real-text
 * data sets of bench:index (test/bench/datasets.ts). For each set: a real server in a child process
 * (http-server.ts), a collection created with PUT (the encoder kind of the set's queries: lexical,
 * SPLADE inference-free or SPLADE siamese, pre-encoded vectors), every document ingested over HTTP,
 * `_optimize`, then every query of the half (report by default) searched with no knobs and with
 * `exact: true`, interleaved query by query. Prints recall@10 and @100 of the default searches, the
 * server's took_ms of both, their ratio, documents scored and the settings each segment used; with
 * --monitor-seconds N also HTTP QPS (autocannon) with the recall monitor at its default rate and off.
 *
 *   npm run bench:http-recall -- [--dataset all|scifact-bm25,manpages-bm25,...] [--set report|tune]
 *       [--monitor-seconds 0] [--connections 8] [--json FILE] [--cache DIR] [--shared DIR]
 *
 * Reads the MS MARCO query vectors from ../shared when present (non-commercial, never copied here);
 * without them the two sets that need them are skipped with a line saying so. No data set here is
 * made of real SPLADE document vectors (there are none on this machine).
 */
import { writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import { DATASETS, defaultShared, loadDataset, type DatasetName } from './datasets.js';
import { post, runTask, startServer, stop, type Server } from './http-server.js';
import { sparseRows } from './synthetic.js';

const { values: args } = parseArgs({
  options: {
    dataset: { type: 'string', default: 'all' },
    set: { type: 'string', default: 'report' },
    'monitor-seconds': { type: 'string', default: '0' },
    connections: { type: 'string', default: '8' },
    json: { type: 'string' },
    cache: { type: 'string', default: path.join(os.tmpdir(), 'sparrow-bench-data') },
    shared: { type: 'string', default: defaultShared() },
  },
});

/** The collection each real-text set is served from: its queries' encoder kind (pre-encoded vectors, no model). */
const COLLECTION_OF: Partial<Record<DatasetName, object>> = {
  'scifact-bm25': {},
  'manpages-bm25': {},
  'scifact-splade-if': { encoder: { kind: 'splade', query: 'inference-free' } },
  'scifact-splade-msmarco': { encoder: { kind: 'splade' } },
  'msmarco-queries': { encoder: { kind: 'splade' } },
};

interface Hit {
  id: string;
}
interface SegmentSettings {
  segment: string;
  documents: number;
  exact?: boolean;
  queryCut?: number;
  heapFactor?: number;
  from: string;
}
interface SearchAnswer {
  hits: Hit[];
  took_ms: number;
  stats?: { docsScored: number; segments: SegmentSettings[] };
}
interface SegmentStats {
  id: string;
  documents: number;
  sealed: boolean;
  calibration?: { source: string; queries: number; seconds: number; buildSeconds: number; k10: object; k100: object };
}

interface Row {
  dataset: string;
  docs: number;
  nnz_per_doc: number;
  queries: number;
  segments: SegmentStats[];
  settings: string;
  recall_at_10: number;
  recall_at_100: number;
  default_took_ms: { mean: number; p50: number; p99: number };
  exact_took_ms: { mean: number; p50: number; p99: number };
  ratio: number;
  docs_scored: number;
  ingest_s: number;
  optimize_s: number;
  monitor?: { on_qps: number; off_qps: number; checks: number };
}

const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;
const summary = (xs: number[]): { mean: number; p50: number; p99: number } => {
  const s = [...xs].sort((a, b) => a - b);
  return { mean: mean(s), p50: s[Math.floor(0.5 * s.length)], p99: s[Math.min(s.length - 1, Math.floor(0.99 * s.length))] };
};

function recall(want: Hit[], got: Hit[]): number {
  if (want.length === 0) return 1;
  const g = new Set(got.map((h) => h.id));
  return want.filter((h) => g.has(h.id)).length / want.length;
}

/** One autocannon run of default searches; requests per second. */
async function qps(url: string, bodies: string[], seconds: number): Promise<number> {
  const r = await autocannon({ url, connections: Number(args.connections), duration: seconds, requests: bodies.map((body) => ({ method: 'POST', body, headers: { 'content-type': 'application/json' } })) });
  if (r.errors + r.non2xx + r.timeouts > 0) throw new Error(`autocannon: ${r.errors} errors, ${r.non2xx} non-2xx, ${r.timeouts} timeouts`);
  return r.requests.total / seconds;
}

async function collectionStats(server: Server): Promise<{ segments: SegmentStats[]; recall: { checks: number } }> {
  return (await (await fetch(`${server.url}/v1/collections/bench`)).json()) as { segments: SegmentStats[]; recall: { checks: number } };
}

async function runSet(name: DatasetName): Promise<Row> {
  const d = await loadDataset(name, { cache: args.cache, shared: args.shared, docs: 0, queries: 0, topics: 0, kind: 'siamese' });
  const [queries, warmup] = args.set === 'tune' ? [d.tune, d.report] : [d.report, d.tune];
  const nd = d.docs.indptr.length - 1;
  console.error(`${name}: ${d.source}; ${nd} docs, ${args.set} half ${queries.indptr.length - 1} queries`);
  let server = await startServer({ SPARROW_SAMPLE: 'off' });
  try {
    const c = `${server.url}/v1/collections/bench`;
    await post(c, COLLECTION_OF[name], 'PUT');
    const t0 = performance.now();
    const docs = sparseRows(d.docs);
    for (let from = 0; from < docs.length; from += 1000) {
      await post(`${c}/documents`, { documents: docs.slice(from, from + 1000).map((sparse, i) => ({ id: `d${from + i}`, sparse })) });
    }
    const ingestS = (performance.now() - t0) / 1000;
    const t1 = performance.now();
    await runTask(server, `${c}/_optimize`);
    const optimizeS = (performance.now() - t1) / 1000;
    const { segments } = await collectionStats(server);

    const search = (sparse: unknown, extra: object): Promise<SearchAnswer> => post<SearchAnswer>(`${c}/search`, { sparse, ...extra });
    for (const sparse of sparseRows(warmup).slice(0, 100)) await search(sparse, { k: 10 }); // warm-up on the other half
    const rows = sparseRows(queries);
    const recalls10: number[] = [];
    const recalls100: number[] = [];
    const defaultMs: number[] = [];
    const exactMs: number[] = [];
    const scored: number[] = [];
    const settings = new Set<string>();
    for (const [q, sparse] of rows.entries()) {
      const first = q % 2 === 0; // alternate which runs first
      const a = first ? await search(sparse, { k: 10 }) : undefined;
      const exact = await search(sparse, { k: 10, exact: true });
      const approx = a ?? (await search(sparse, { k: 10 }));
      recalls10.push(recall(exact.hits, approx.hits));
      defaultMs.push(approx.took_ms);
      exactMs.push(exact.took_ms);
      const withStats = await search(sparse, { k: 10, stats: true });
      scored.push(withStats.stats!.docsScored);
      for (const s of withStats.stats!.segments) settings.add(s.exact ? `exact (${s.from})` : `qc=${s.queryCut} hf=${s.heapFactor} (${s.from})`);
      const [want, got] = [await search(sparse, { k: 100, exact: true }), await search(sparse, { k: 100 })];
      recalls100.push(recall(want.hits, got.hits));
    }
    const row: Row = {
      dataset: name,
      docs: nd,
      nnz_per_doc: d.docs.indices.length / nd,
      queries: rows.length,
      segments,
      settings: [...settings].join(', '),
      recall_at_10: mean(recalls10),
      recall_at_100: mean(recalls100),
      default_took_ms: summary(defaultMs),
      exact_took_ms: summary(exactMs),
      ratio: mean(defaultMs) / mean(exactMs),
      docs_scored: mean(scored),
      ingest_s: ingestS,
      optimize_s: optimizeS,
    };
    const seconds = Number(args['monitor-seconds']);
    if (seconds > 0) {
      // The same data directory served with the monitor at its default rate and off, alternated twice.
      const bodies = rows.map((sparse) => JSON.stringify({ sparse, k: 10 }));
      const on: number[] = [];
      const off: number[] = [];
      let checks = 0;
      for (const round of [0, 1]) {
        for (const monitor of round === 0 ? [true, false] : [false, true]) {
          await stop(server);
          server = await startServer({ SPARROW_SAMPLE: 'off', ...(monitor ? {} : { SPARROW_RECALL_SAMPLE_RATE: '0' }) }, server.dataDir);
          await qps(`${server.url}/v1/collections/bench/search`, bodies, 2); // warm-up
          (monitor ? on : off).push(await qps(`${server.url}/v1/collections/bench/search`, bodies, seconds));
          if (monitor) checks += (await collectionStats(server)).recall.checks;
        }
      }
      row.monitor = { on_qps: mean(on), off_qps: mean(off), checks };
    }
    return row;
  } finally {
    await stop(server);
  }
}

async function main(): Promise<void> {
  const names = (args.dataset === 'all' ? DATASETS.filter((n) => COLLECTION_OF[n]) : args.dataset.split(',')) as DatasetName[];
  const rows: Row[] = [];
  for (const name of names) {
    if (!COLLECTION_OF[name]) throw new TypeError(`--dataset: ${name} is not a real-text set (${Object.keys(COLLECTION_OF).join(', ')})`);
    try {
      rows.push(await runSet(name));
    } catch (error) {
      if (error instanceof Error && /is absent/.test(error.message)) console.log(`${name}: skipped: ${error.message}`);
      else throw error;
    }
    const r = rows[rows.length - 1];
    if (r?.dataset === name) console.error(JSON.stringify(r));
  }
  const f = (x: number, n = 3): string => x.toFixed(n);
  console.log(`\nHTTP, pre-encoded queries (${args.set} half), after _optimize; default = no knobs; recall against exact: true on the same server; took_ms as the server reports it`);
  console.log('| data set | docs (nnz/doc) | queries | sealed segments: build s / calibration s | default settings | recall@10 | recall@100 | default took_ms mean / p50 / p99 | exact took_ms mean / p50 / p99 | ratio (means) | docs scored |');
  console.log('|---|---|---|---|---|---|---|---|---|---|---|');
  for (const r of rows) {
    const segs = r.segments.filter((s) => s.sealed).map((s) => (s.calibration ? `${s.documents}: ${f(s.calibration.buildSeconds, 1)} / ${f(s.calibration.seconds, 1)}` : `${s.documents}: uncalibrated`)).join('; ');
    const ms = (m: Row['exact_took_ms']): string => `${f(m.mean)} / ${f(m.p50)} / ${f(m.p99)}`;
    console.log(`| ${r.dataset} | ${r.docs} (${f(r.nnz_per_doc, 1)}) | ${r.queries} | ${segs} | ${r.settings} | ${f(r.recall_at_10)} | ${f(r.recall_at_100)} | ${ms(r.default_took_ms)} | ${ms(r.exact_took_ms)} | ${f(r.ratio, 2)} | ${f(r.docs_scored, 0)} |`);
  }
  const monitored = rows.filter((r) => r.monitor);
  if (monitored.length > 0) {
    console.log(`\nRecall monitor overhead: HTTP QPS of default searches (autocannon, ${args.connections} connections, ${args['monitor-seconds']} s per run, two runs each, alternated)`);
    console.log('| data set | QPS monitor on (default rate) | QPS monitor off | change | checks run |');
    console.log('|---|---|---|---|---|');
    for (const r of monitored) console.log(`| ${r.dataset} | ${f(r.monitor!.on_qps, 0)} | ${f(r.monitor!.off_qps, 0)} | ${f((100 * (r.monitor!.on_qps - r.monitor!.off_qps)) / r.monitor!.off_qps, 1)} % | ${r.monitor!.checks} |`);
  }
  console.log('No data set here is made of real SPLADE document vectors (there are none on this machine).');
  console.log(`machine: ${os.availableParallelism()} cores; load average ${os.loadavg().map((x) => x.toFixed(1)).join(' / ')} at the end`);
  if (args.json) writeFileSync(args.json, JSON.stringify(rows, null, 2));
}

await main().catch((error: unknown) => {
  console.error(`bench:http-recall: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
  process.exit(2);
});
