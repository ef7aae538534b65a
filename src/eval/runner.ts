/**
 * `sparrow eval`: a BEIR split against a collection. Indexes the corpus when the collection is
 * missing or empty, seals it (flush) so that the sealed, approximate path is what is measured, runs every
 * judged query exactly and at each sweep point, optionally the SQLite FTS5 baseline, and writes
 * report.json, one TREC run file per row and chart.svg into the output folder.
 *
 * Latency is the wall time of one in-process Collection.search call (query encoding included),
 * one query at a time, after a warm-up pass over the first queries.
 */
import fs from 'node:fs';
import path from 'node:path';
import { evaluate, type Run, type ScoredDoc } from '../core/metrics.js';
import { AppError } from '../errors.js';
import type { Collection, CollectionManager, EncoderConfig, SearchRequest } from '../engine/types.js';
import { DEFAULT_INDEX } from '../config.js';
import type { QueryStats, SeismicParams } from '../index/native-types.js';
import { runIndexJob } from '../bulk/index-job.js';
import { CollectionSink } from '../bulk/index-sinks.js';
import { checkEncoderCanIndex } from '../bulk/encoder-check.js';
import { loadBeirSplit, readCorpus, type BeirSplit } from './beir.js';
import { DenseAttachingSink, densePasses, dimsOf, queryVectorOf, type DenseEvalOptions } from './dense.js';
import { renderChart } from './chart.js';
import { Fts5Baseline } from './fts5.js';
import { formatTrecRun, percentile, recallVsExact, writeReport, type ReportEntry } from './report.js';
import type { SweepPoint } from './sweep.js';

export interface EvalOptions {
  /** Seismic build parameters of a new collection, over the defaults */
  seismic?: Partial<SeismicParams>;
  beirDir: string;
  split: string;
  /** default: the dataset folder's name */
  collection?: string;
  encoder: EncoderConfig;
  mode: 'exact' | 'approx';
  k: number;
  sweep: SweepPoint[];
  baseline?: 'fts5';
  outDir: string;
  /** queries run once before each timed pass */
  warmup: number;
  log?: (line: string) => void;
  /** dense and hybrid rows from vector files (src/eval/dense.ts) */
  dense?: DenseEvalOptions;
}

export interface EvalResult {
  entries: ReportEntry[];
  reportFile: string;
  chartFile: string;
}

export interface Pass {
  run: Run;
  latencies: number[];
  stats: QueryStats[];
}

export function encoderLabel(e: EncoderConfig): string {
  return e.kind === 'splade' ? `splade(${path.basename(e.model ?? 'vectors')}${e.query ? `, ${e.query}` : ''})` : e.kind;
}

/** A collection name from a dataset folder name: lower-case, [a-z0-9_-], at most 64 characters. */
export function collectionNameFor(dataset: string): string {
  const name = dataset.toLowerCase().replace(/[^a-z0-9_-]+/g, '-').replace(/^[-_]+/, '').slice(0, 64);
  return name || 'beir';
}

async function timedPass(split: Pick<BeirSplit, 'queries'>, warmup: number, search: (text: string, id: string) => Promise<{ hits: ScoredDoc[]; stats?: QueryStats }>): Promise<Pass> {
  for (const q of split.queries.slice(0, warmup)) await search(q.text, q.id);
  const pass: Pass = { run: new Map(), latencies: [], stats: [] };
  for (const q of split.queries) {
    const t0 = performance.now();
    const { hits, stats } = await search(q.text, q.id);
    pass.latencies.push(performance.now() - t0);
    pass.run.set(q.id, hits);
    if (stats) pass.stats.push(stats);
  }
  return pass;
}

export function enginePass(c: Collection, split: Pick<BeirSplit, 'queries'>, o: Pick<EvalOptions, 'k' | 'warmup'>, extra: Partial<SearchRequest>, perQuery?: (id: string) => Partial<SearchRequest>): Promise<Pass> {
  return timedPass(split, o.warmup, async (text, id) => {
    const res = await c.search({ query: text, k: o.k, ...extra, ...perQuery?.(id) });
    return { hits: res.hits.map((h) => ({ docId: h.id, score: h.score })), stats: res.stats };
  });
}

/** Shares skipped over the whole pass: postings never scored, blocks skipped by their summary. */
export function skipped(stats: QueryStats[]): { postings: number | null; blocks: number | null } {
  if (stats.length === 0) return { postings: null, blocks: null };
  const sum = (f: (s: QueryStats) => number) => stats.reduce((acc, s) => acc + f(s), 0);
  const postings = sum((s) => s.postingsTotal);
  const blocks = sum((s) => s.blocksScored + s.blocksSkipped);
  return {
    postings: postings > 0 ? 1 - sum((s) => s.docsScored) / postings : null,
    blocks: blocks > 0 ? sum((s) => s.blocksSkipped) / blocks : null,
  };
}

function noDenseField(name: string): AppError {
  return new AppError('DENSE_NOT_CONFIGURED', `collection ${name} has no dense field: use a new collection (--collection NAME) for --dense-docs`);
}

async function openOrIndex(manager: CollectionManager, split: BeirSplit, name: string, o: EvalOptions): Promise<Collection> {
  const log = o.log ?? (() => undefined);
  const exists = manager.list().includes(name);
  if (exists && manager.get(name).stats().documents > 0) {
    log(`collection ${name} exists: using it as it is`);
    return manager.get(name);
  }
  // an existing empty collection keeps its own config (encoder, index parameters)
  const dense = o.dense && { dense: { dims: dimsOf(o.dense.docs), metric: o.dense.metric } };
  const index = o.seismic && { index: { ...DEFAULT_INDEX, seismic: { ...DEFAULT_INDEX.seismic, ...o.seismic } } };
  if (!exists) await checkEncoderCanIndex(o.encoder, split.paths.corpus);
  const c = exists ? manager.get(name) : await manager.create(name, { encoder: o.encoder, ...dense, ...index });
  log(`indexing ${split.paths.corpus} into collection ${name} (${encoderLabel(c.config.encoder)})`);
  const sink = o.dense ? new DenseAttachingSink(new CollectionSink(c), o.dense.docs) : new CollectionSink(c);
  const summary = await runIndexJob(sink, {
    file: split.paths.corpus,
    batchSize: 256,
    concurrency: 2,
    onError: 'skip',
    maxRetrySeconds: 600,
    onMessage: log,
  });
  log(`indexed ${summary.indexed} documents in ${summary.seconds.toFixed(1)} s (${summary.docsPerSecond.toFixed(0)} docs/s), ${summary.skipped} skipped`);
  return c;
}

async function fts5Pass(split: BeirSplit, o: EvalOptions): Promise<Pass> {
  const fts = new Fts5Baseline();
  try {
    let batch = [];
    for await (const line of readCorpus(split.paths.corpus)) {
      if (!('doc' in line)) continue;
      batch.push(line.doc);
      if (batch.length >= 1000) {
        fts.add(batch);
        batch = [];
      }
    }
    fts.add(batch);
    return await timedPass(split, o.warmup, async (text) => ({ hits: fts.search(text, o.k) }));
  } finally {
    fts.close();
  }
}

export async function runEval(manager: CollectionManager, o: EvalOptions): Promise<EvalResult> {
  const log = o.log ?? (() => undefined);
  const split = await loadBeirSplit(o.beirDir, o.split);
  const name = o.collection ?? collectionNameFor(split.name);
  if (o.dense && manager.list().includes(name) && !manager.get(name).config.dense) throw noDenseField(name); // before any pass
  const c = await openOrIndex(manager, split, name, o);
  await c.flush();
  const encoder = encoderLabel(c.config.encoder);
  fs.mkdirSync(o.outDir, { recursive: true });

  const entries: ReportEntry[] = [];
  const row = (mode: string, params: ReportEntry['params'], pass: Pass, recall: number | null): ReportEntry => {
    const { mean, queries } = evaluate(pass.run, split.qrels);
    const runFile = `${split.name}-${split.split}-${[mode, ...Object.entries(params).map(([k, v]) => `${k}${v}`)].join('-')}.run`;
    fs.writeFileSync(path.join(o.outDir, runFile), formatTrecRun(pass.run, `sparrow-${mode}`));
    const skip = mode === 'approx' ? skipped(pass.stats) : { postings: null, blocks: null };
    const entry: ReportEntry = {
      dataset: split.name,
      split: split.split,
      queries,
      encoder: mode === 'fts5' ? 'sqlite-fts5(porter, bm25)' : encoder,
      mode,
      params,
      ...mean,
      recall_vs_exact: recall,
      latency_ms: { p50: percentile(pass.latencies, 50), p99: percentile(pass.latencies, 99) },
      postings_skipped: skip.postings,
      blocks_skipped: skip.blocks,
      run_file: runFile,
    };
    entries.push(entry);
    log(`${mode} ${JSON.stringify(params)}: nDCG@10 ${entry.ndcg_at_10.toFixed(4)}, p50 ${entry.latency_ms.p50.toFixed(2)} ms`);
    return entry;
  };

  log(`${split.queries.length} queries of ${split.name}/${split.split}, k=${o.k}`);
  const exact = await enginePass(c, split, o, { exact: true });
  row('exact', { k: o.k }, exact, null);
  if (o.mode === 'approx') {
    for (const point of o.sweep) {
      const pass = await enginePass(c, split, o, { exact: false, stats: true, ...point });
      row('approx', { k: o.k, ...point }, pass, recallVsExact(pass.run, exact.run, 10));
    }
  }
  if (o.dense) {
    const vectors = o.dense;
    for (const p of densePasses(vectors)) {
      row(p.mode, { k: o.k, ...p.params }, await enginePass(c, split, o, p.request, (id) => ({ dense: queryVectorOf(vectors, id) })), null);
    }
  }
  if (o.baseline === 'fts5') row('fts5', { k: o.k }, await fts5Pass(split, o), null);

  const reportFile = writeReport(o.outDir, entries);
  const chartFile = path.join(o.outDir, 'chart.svg');
  fs.writeFileSync(chartFile, renderChart(entries, `${split.name}/${split.split}: quality and recall vs exact against latency`));
  return { entries, reportFile, chartFile };
}
