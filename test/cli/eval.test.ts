/** `sparrow eval` on a small BEIR folder: every row, the files it writes, and its error messages. */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { evaluate, type Run } from '../../src/core/metrics.js';
import { loadQrels } from '../../src/eval/beir.js';
import { loadQueryTexts } from '../../src/eval/bench.js';
import type { ReportEntry } from '../../src/eval/report.js';
import { runCli, runEvalOnce, writeCorpus } from './helpers.js';

let dir: string;
let beir: string;
let entries: ReportEntry[];
let outDir: string;

/** A toy BEIR folder: 400 documents; query i asks for "number<i>" and judges doc-i relevant (grade 2) and doc-(i+1) (grade 1). */
function writeBeir(folder: string): void {
  fs.mkdirSync(path.join(folder, 'qrels'), { recursive: true });
  writeCorpus(path.join(folder, 'corpus.jsonl'), 400);
  const queries = Array.from({ length: 40 }, (_, q) => JSON.stringify({ _id: `q${q}`, text: `number${q * 7} alpha` }));
  fs.writeFileSync(path.join(folder, 'queries.jsonl'), `${queries.join('\n')}\n`);
  const qrels = ['query-id\tcorpus-id\tscore'];
  for (let q = 0; q < 40; q++) qrels.push(`q${q}\tdoc-${q * 7}\t2`, `q${q}\tdoc-${q * 7 + 1}\t1`);
  fs.writeFileSync(path.join(folder, 'qrels', 'test.tsv'), `${qrels.join('\n')}\n`);
}

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sparrow-eval-'));
  beir = path.join(dir, 'toy');
  writeBeir(beir);
  outDir = path.join(dir, 'out');
  entries = await runEvalOnce(path.join(dir, 'data'), {
    beirDir: beir,
    split: 'test',
    encoder: { kind: 'lexical' },
    seismic: { exhaustiveBelow: 0 }, // blocked lists even at this size, so the skip statistics exist
    mode: 'approx',
    k: 100,
    sweep: [{ queryCut: 1 }, { queryCut: 10, heapFactor: 0.9 }],
    baseline: 'fts5',
    outDir,
    warmup: 2,
  });
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

function readRun(file: string): Run {
  const run: Run = new Map();
  for (const line of fs.readFileSync(file, 'utf8').trim().split('\n')) {
    const [qid, q0, docId, rank, score] = line.split(' ');
    expect(q0).toBe('Q0');
    expect(Number(rank)).toBeGreaterThan(0);
    if (!run.has(qid)) run.set(qid, []);
    run.get(qid)!.push({ docId, score: Number(score) });
  }
  return run;
}

describe('runEval', () => {
  it('writes one row per mode and sweep point plus the baseline', () => {
    expect(entries.map((e) => [e.mode, e.params])).toEqual([
      ['exact', { k: 100 }],
      ['approx', { k: 100, queryCut: 1 }],
      ['approx', { k: 100, queryCut: 10, heapFactor: 0.9 }],
      ['fts5', { k: 100 }],
    ]);
    for (const e of entries) {
      expect(e).toMatchObject({ dataset: 'toy', split: 'test', queries: 40 });
      expect(e.latency_ms.p99).toBeGreaterThanOrEqual(e.latency_ms.p50);
      expect(e.ndcg_at_10).toBeGreaterThan(0.5); // the judged documents hold the query's unique word
    }
    expect(entries[0].encoder).toBe('lexical');
    expect(entries[0].recall_vs_exact).toBeNull();
    for (const e of entries.slice(1, 3)) {
      expect(e.recall_vs_exact).toBeGreaterThan(0);
      expect(e.recall_vs_exact).toBeLessThanOrEqual(1);
      expect(e.postings_skipped).toBeGreaterThanOrEqual(0); // from the native statistics
      expect(e.blocks_skipped).toBeGreaterThanOrEqual(0);
    }
  });

  it('writes report.json, a TREC run per row whose metrics equal the report, and an SVG chart', async () => {
    const report = JSON.parse(fs.readFileSync(path.join(outDir, 'report.json'), 'utf8')) as ReportEntry[];
    expect(report).toEqual(entries);
    const qrels = await loadQrels(path.join(beir, 'qrels', 'test.tsv'));
    for (const e of report) {
      const { mean } = evaluate(readRun(path.join(outDir, e.run_file)), qrels);
      expect(mean.ndcg_at_10).toBeCloseTo(e.ndcg_at_10, 6);
      expect(mean.map).toBeCloseTo(e.map, 6);
    }
    const svg = fs.readFileSync(path.join(outDir, 'chart.svg'), 'utf8');
    expect(svg).toMatch(/^<svg[^>]+xmlns="http:\/\/www.w3.org\/2000\/svg"/);
    expect(svg.match(/<circle cx/g)!.length).toBe(entries.length + 1);
  });
});

describe('sparrow eval / index (command line)', () => {
  it('names the missing qrels file and exits 1', async () => {
    const res = await runCli(['eval', '--beir', beir, '--split', 'dev', '--data-dir', path.join(dir, 'data2'), '--out', path.join(dir, 'o2')]);
    expect(res.code).toBe(1);
    expect(res.stderr).toMatch(/INVALID_DATASET: no qrels for split "dev": .*dev\.tsv is missing \(splits found: test\)/);
  });

  it('rejects a bad option with exit 2', async () => {
    const res = await runCli(['eval', '--beir', beir, '--mode', 'fast']);
    expect(res.code).toBe(2);
    expect(res.stderr).toMatch(/--mode.*fast.*invalid|Allowed choices/i);
    const sweep = await runCli(['eval', '--beir', beir, '--sweep', 'nprobe=3', '--data-dir', path.join(dir, 'data3')]);
    expect(sweep.code).toBe(1);
    expect(sweep.stderr).toMatch(/INVALID_CONFIG: --sweep: unknown knob "nprobe"/);
  });

  it('bench: latency table of the collection the eval built, exact and approximate', async () => {
    const res = await runCli(['bench', '--collection', 'toy', '--data-dir', path.join(dir, 'data'), '--queries', path.join(beir, 'queries.jsonl'), '--sweep', 'queryCut=1,10', '--warmup', '2']);
    expect(res.code, res.stderr).toBe(0);
    const rows = res.stdout.split('\n').filter((l) => /^\| (exact|approx) /.test(l));
    expect(rows).toHaveLength(3);
    expect(res.stdout).toMatch(/^40 queries, k=10/);
    expect(rows[2]).toMatch(/\| approx \| queryCut=10 \| [\d.]+ \| [\d.]+ \| [\d.]+ \| \d+ \| (0|1)\.\d{3} \| [\d.]+% \|/);
  });

  it('bench: reads TSV and plain-line query files, and says when a file holds none', async () => {
    const tsv = path.join(dir, 'q.tsv');
    fs.writeFileSync(tsv, '7\tfirst query\n\nsecond line without id\n');
    expect(await loadQueryTexts(tsv)).toEqual([
      { id: '7', text: 'first query' },
      { id: '3', text: 'second line without id' },
    ]);
    expect(await loadQueryTexts(path.join(beir, 'queries.jsonl'), 2)).toEqual([
      { id: 'q0', text: 'number0 alpha' },
      { id: 'q1', text: 'number7 alpha' },
    ]);
    fs.writeFileSync(tsv, '\n');
    await expect(loadQueryTexts(tsv)).rejects.toThrow(/holds no query/);
  });

  it('index: reports a malformed line with its number and exits 2 under --on-error skip, 1 under stop', async () => {
    const corpus = path.join(dir, 'bad.jsonl');
    writeCorpus(corpus, 20, { 7: '{"_id": "x", "text": [1]}' });
    const skip = await runCli(['index', corpus, '--collection', 'bad', '--data-dir', path.join(dir, 'data4'), '--on-error', 'skip']);
    expect(skip.code).toBe(2);
    expect(skip.stderr).toMatch(/bad\.jsonl:7: "text" must be a string/);
    expect(skip.stderr).toMatch(/done: 20 documents indexed, 0 already stored, 1 skipped, 1 errors, [\d.]+ s, \d+ docs\/s/);
    const stop = await runCli(['index', corpus, '--collection', 'bad2', '--data-dir', path.join(dir, 'data4')]);
    expect(stop.code).toBe(1);
    expect(stop.stderr).toMatch(/failed: 6 documents indexed/);
  });
});
