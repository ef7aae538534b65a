/**
 * npm run bench:memory [-- --docs 100000 | --docs-file F.jsonl | --dataset NAME | --sample] [--dir D] [--queries 300]
 *                      [--clients 4] [--cpu-budget N]
 * What a collection costs on disk and in memory, per document and per non-zero: collection.db
 * (SQLite, with its WAL), the segment files by section (forward rows, postings, blocks, summaries,
 * the rest), and the RSS of a real server process (`sparrow serve`) after it opened the data
 * directory and while --clients concurrent clients send --queries searches (peak, sampled every
 * 50 ms from /proc), at the default CPU budget (all cores) unless --cpu-budget is given. The server
 * runs with the Node flags of `npm start`.
 *
 *   --docs N       N SYNTHETIC pre-encoded SPLADE-like documents (test/bench/synthetic.ts; there are
 *                  no real SPLADE document vectors here), queried with synthetic report queries
 *   --docs-file F  pre-encoded documents `{id, indices, values}` per line (scripts/real-text-sets.ts
 *                  writes the real-text sets of bench:index), queried with the document rows
 *   --dataset NAME a real-text set of bench:index (test/bench/datasets.ts: scifact-bm25, manpages-bm25,
 *                  scifact-splade-msmarco, scifact-splade-if, msmarco-queries), its vectors stored as
 *                  pre-encoded documents, queried with its report-half queries
 *   --sample       the bundled SciFact sample collection on a fresh data directory (what `npm start`
 *                  creates), queried with text (the claims of its own documents' titles)
 *   --dir D        keep the built collection there (reused when it exists)
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import type { CsrBatch } from '../../src/core/types.js';
import { EngineManager } from '../../src/engine/manager.js';
import type { DocumentInput } from '../../src/engine/types.js';
import { DATASETS, defaultShared, loadDataset, type BenchData, type DatasetName } from './datasets.js';
import { upsertRetrying } from './upsert.js';
import { loadSeismic } from '../../src/index/native.js';
import type { SeismicSections } from '../../src/index/native-types.js';
import { generateDocBatch, generateQueries, readSparseJsonl, sparseRows } from './synthetic.js';

const { values: args } = parseArgs({
  options: {
    docs: { type: 'string', default: '100000' },
    'docs-file': { type: 'string' },
    dataset: { type: 'string' },
    cache: { type: 'string', default: path.join(os.tmpdir(), 'sparrow-bench-data') },
    shared: { type: 'string', default: defaultShared() },
    sample: { type: 'boolean', default: false },
    dir: { type: 'string' },
    queries: { type: 'string', default: '300' },
    clients: { type: 'string', default: '4' },
    'cpu-budget': { type: 'string' },
  },
});
const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const COLLECTION = args.sample ? 'scifact' : 'c';
type Query = { sparse: { indices: number[]; values: number[] } } | { query: string };

async function upsertAll(dir: string, batches: Iterable<DocumentInput[]>): Promise<void> {
  const manager = await EngineManager.open({ dataDir: dir });
  const c = await manager.create(COLLECTION, { encoder: { kind: 'splade' } });
  let done = 0;
  for (const input of batches) {
    await upsertRetrying(c, input);
    done += input.length;
    if (done % 100_000 < input.length) process.stderr.write(`  ingested ${done} documents\n`);
  }
  await c.flush();
  await manager.close();
}

function* syntheticBatches(docs: number): Iterable<DocumentInput[]> {
  for (let from = 0; from < docs; from += 1_000) {
    const n = Math.min(1_000, docs - from);
    yield sparseRows(generateDocBatch(from, n), 0, n).map((sparse, i) => ({ id: `d${from + i}`, sparse }));
  }
}

function* fileBatches(rows: CsrBatch, ids: string[]): Iterable<DocumentInput[]> {
  for (let from = 0; from < ids.length; from += 1_000) {
    yield sparseRows(rows, from, 1_000).map((sparse, i) => ({ id: ids[from + i], sparse }));
  }
}

/** --dataset: the named real-text set (read once). */
let dataset: Promise<BenchData> | undefined;
function namedDataset(): Promise<BenchData> {
  const name = args.dataset as DatasetName;
  if (!DATASETS.includes(name)) throw new TypeError(`--dataset must be one of ${DATASETS.join(', ')}`);
  dataset ??= loadDataset(name, { cache: args.cache, shared: args.shared, docs: 0, queries: 0, topics: 0, kind: 'siamese' });
  return dataset;
}

async function queriesFor(n: number): Promise<Query[]> {
  if (args.sample) {
    const corpus = path.join(REPO, 'index-data/samples/scifact');
    const file = fs.readdirSync(corpus).find((f) => f.startsWith('corpus'));
    const text = file ? fs.readFileSync(path.join(corpus, file)) : Buffer.alloc(0);
    const lines = (file?.endsWith('.gz') ? (await import('node:zlib')).gunzipSync(text) : text).toString('utf8').split('\n');
    const titles = lines.filter((l) => l.trim()).map((l) => (JSON.parse(l) as { title?: string }).title ?? '').filter((t) => t.length > 0);
    return Array.from({ length: n }, (_, i) => ({ query: titles[(i * 7919) % titles.length] }));
  }
  if (args.dataset) {
    const { report } = await namedDataset();
    const count = report.indptr.length - 1;
    return Array.from({ length: n }, (_, i) => ({ sparse: sparseRows(report, i % count, 1)[0] }));
  }
  if (args['docs-file']) {
    const { rows } = await readSparseJsonl(args['docs-file']);
    const count = rows.indptr.length - 1;
    return Array.from({ length: n }, (_, i) => ({ sparse: sparseRows(rows, (i * 7919) % count, 1)[0] }));
  }
  const q = generateQueries(n, { set: 'report' });
  return sparseRows(q, 0, n).map((sparse) => ({ sparse }));
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
    s.on('error', reject);
  });
}

function rssMB(pid: number): number {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1] ?? NaN) / 1024;
}

async function waitReady(base: string, server: ChildProcess): Promise<void> {
  for (;;) {
    if (server.exitCode !== null) throw new Error(`the server exited with ${server.exitCode}`);
    try {
      if ((await fetch(`${base}/ready`)).status === 200) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 200));
  }
}

async function serverRss(dir: string, queries: Query[]): Promise<{ open: number; load: number; after: number; ms: number }> {
  const port = await freePort();
  const flags = ['serve', '--data-dir', dir, '--port', String(port), '--log-level', 'warn', '--sample', args.sample ? 'on' : 'off'];
  if (args['cpu-budget']) flags.push('--cpu-budget', args['cpu-budget']);
  // The Node flags of `npm start` (package.json), so the figures are what a user running it gets.
  const start = (JSON.parse(fs.readFileSync(path.join(REPO, 'package.json'), 'utf8')) as { scripts: { start: string } }).scripts.start;
  const nodeFlags = start.split(/\s+/).filter((a) => a.startsWith('--'));
  const server = spawn(process.execPath, [...nodeFlags, path.join(REPO, 'bin/sparrow.js'), ...flags], { stdio: ['ignore', 'inherit', 'inherit'] });
  const base = `http://127.0.0.1:${port}`;
  try {
    await waitReady(base, server);
    await new Promise((r) => setTimeout(r, 1_000));
    const open = rssMB(server.pid!);
    let peak = open;
    const sampler = setInterval(() => (peak = Math.max(peak, rssMB(server.pid!))), 50);
    let next = 0;
    const started = performance.now();
    const client = async (): Promise<void> => {
      while (next < queries.length) {
        const body = { ...queries[next++], k: 10 };
        const res = await fetch(`${base}/v1/collections/${COLLECTION}/search`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
        if (res.status !== 200) throw new Error(`search answered ${res.status}: ${await res.text()}`);
        await res.arrayBuffer();
      }
    };
    await Promise.all(Array.from({ length: Number(args.clients) }, client));
    const ms = performance.now() - started;
    clearInterval(sampler);
    return { open, load: Math.max(peak, rssMB(server.pid!)), after: rssMB(server.pid!), ms };
  } finally {
    server.kill('SIGTERM');
    await new Promise((r) => server.once('exit', r));
  }
}

function bytes(file: string): number {
  return fs.existsSync(file) ? fs.statSync(file).size : 0;
}

async function main(): Promise<void> {
  const dir = args.dir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'sparrow-memory-'));
  const collDir = path.join(dir, COLLECTION);
  let name: string;
  if (args.sample) {
    name = 'SciFact sample (lexical, text queries)';
    if (!fs.existsSync(collDir)) await serverRss(dir, []); // first start creates the sample
  } else if (args.dataset) {
    const data = await namedDataset();
    name = `${args.dataset} (pre-encoded; ${data.source})`;
    if (!fs.existsSync(path.join(collDir, 'collection.db'))) {
      const count = data.docs.indptr.length - 1;
      await upsertAll(dir, fileBatches(data.docs, Array.from({ length: count }, (_, i) => `d${i}`)));
    }
  } else if (args['docs-file']) {
    name = `${path.basename(args['docs-file'])} (pre-encoded)`;
    if (!fs.existsSync(path.join(collDir, 'collection.db'))) {
      const { rows, ids } = await readSparseJsonl(args['docs-file']);
      await upsertAll(dir, fileBatches(rows, ids));
    }
  } else {
    name = `synthetic ${args.docs} (pre-encoded; no real SPLADE document vectors here)`;
    if (!fs.existsSync(path.join(collDir, 'collection.db'))) {
      process.stderr.write(`building ${args.docs} synthetic documents in ${dir}\n`);
      await upsertAll(dir, syntheticBatches(Number(args.docs)));
    }
  }
  const sqlite = ['collection.db', 'collection.db-wal', 'collection.db-shm'].reduce((n, f) => n + bytes(path.join(collDir, f)), 0);
  const segDir = path.join(collDir, 'segments');
  const sec: SeismicSections = { forwardIds: 0, forwardValues: 0, forwardOther: 0, postings: 0, blocks: 0, summaries: 0, knn: 0 };
  let files = 0;
  let docs = 0;
  let nnz = 0;
  for (const f of fs.readdirSync(segDir)) {
    const file = path.join(segDir, f);
    files += bytes(file);
    const seg = loadSeismic(file);
    for (const k of Object.keys(sec) as Array<keyof SeismicSections>) sec[k] += seg.sections[k];
    docs += seg.numDocs;
    nnz += seg.forward.nnz;
    seg.close();
  }
  const queries = await queriesFor(Number(args.queries));
  const rss = await serverRss(dir, queries);
  const cpu = args['cpu-budget'] ?? `all ${os.availableParallelism()} cores (default)`;
  const sections = sec.forwardIds + sec.forwardValues + sec.forwardOther + sec.postings + sec.blocks + sec.summaries + sec.knn;
  const other = files - sections + sec.forwardOther; // offsets, docnos, dictionary, headers, calibration
  console.log(`\n${name}: ${docs} sealed documents, ${nnz} non-zeros (${(nnz / Math.max(1, docs)).toFixed(1)}/doc); data directory ${dir}; CPU budget ${cpu}; ${queries.length} searches from ${args.clients} clients in ${(rss.ms / 1000).toFixed(1)} s`);
  console.log('| per | SQLite | segment files | forward (ids + values) | postings | summaries | blocks | docnos/offsets/other |');
  console.log('|---|---|---|---|---|---|---|---|');
  for (const [per, n] of [['document', docs], ['non-zero', nnz]] as const) {
    const f = (x: number): string => (x / Math.max(1, n)).toFixed(2);
    console.log(`| ${per} (bytes) | ${f(sqlite)} | ${f(files)} | ${f(sec.forwardIds + sec.forwardValues)} | ${f(sec.postings)} | ${f(sec.summaries)} | ${f(sec.blocks + sec.knn)} | ${f(other)} |`);
  }
  console.log(`| total (MB) | ${(sqlite / 2 ** 20).toFixed(1)} | ${(files / 2 ** 20).toFixed(1)} | | | | | |`);
  console.log(`\nserver RSS: ${rss.open.toFixed(0)} MB after open, ${rss.load.toFixed(0)} MB peak under load, ${rss.after.toFixed(0)} MB after the searches`);
}

await main();
