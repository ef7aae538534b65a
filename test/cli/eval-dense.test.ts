/** `sparrow eval` with dense vectors from files: dense and hybrid rows beside the sparse ones. */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readDenseJsonl } from '../../src/eval/dense.js';
import type { ReportEntry } from '../../src/eval/report.js';
import { runCli, runEvalOnce, writeCorpus } from './helpers.js';

const DOCS = 60;
const QUERIES = 10;
let dir: string;
let beir: string;
let entries: ReportEntry[];

/** Document i is the unit vector e_i; query q points at its relevant document (and half at the next). */
function unit(i: number, dims = DOCS): number[] {
  return Array.from({ length: dims }, (_, j) => (j === i ? 1 : 0));
}

function writeFiles(folder: string): void {
  fs.mkdirSync(path.join(folder, 'qrels'), { recursive: true });
  writeCorpus(path.join(folder, 'corpus.jsonl'), DOCS);
  // the text side asks for a word every document shares: sparse alone ranks poorly
  fs.writeFileSync(path.join(folder, 'queries.jsonl'), Array.from({ length: QUERIES }, (_, q) => JSON.stringify({ _id: `q${q}`, text: 'alpha' })).join('\n'));
  const qrels = ['query-id\tcorpus-id\tscore', ...Array.from({ length: QUERIES }, (_, q) => `q${q}\tdoc-${q * 5}\t1`)];
  fs.writeFileSync(path.join(folder, 'qrels', 'test.tsv'), `${qrels.join('\n')}\n`);
  fs.writeFileSync(path.join(folder, 'dense-docs.jsonl'), Array.from({ length: DOCS }, (_, i) => JSON.stringify({ id: `doc-${i}`, dense: unit(i) })).join('\n'));
  fs.writeFileSync(path.join(folder, 'dense-queries.jsonl'), Array.from({ length: QUERIES }, (_, q) => JSON.stringify({ id: `q${q}`, dense: unit(q * 5) })).join('\n'));
}

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sparrow-eval-dense-'));
  beir = path.join(dir, 'toy');
  writeFiles(beir);
  entries = await runEvalOnce(path.join(dir, 'data'), {
    beirDir: beir,
    split: 'test',
    encoder: { kind: 'lexical' },
    mode: 'exact',
    k: 10,
    sweep: [],
    outDir: path.join(dir, 'out'),
    warmup: 1,
    dense: {
      docs: await readDenseJsonl(path.join(beir, 'dense-docs.jsonl')),
      queries: await readDenseJsonl(path.join(beir, 'dense-queries.jsonl')),
      metric: 'cosine',
      alpha: 0.3,
    },
  });
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('sparrow eval --dense-docs --dense-queries', () => {
  it('reports sparse, dense and hybrid rows side by side', () => {
    expect(entries.map((e) => e.mode)).toEqual(['exact', 'dense', 'hybrid-convex', 'hybrid-rrf']);
    const by = Object.fromEntries(entries.map((e) => [e.mode, e]));
    // dense: the one relevant document is first for every query → nDCG@10 = MRR@10 = 1
    expect(by.dense.ndcg_at_10).toBeCloseTo(1, 6);
    expect(by.dense.mrr_at_10).toBeCloseTo(1, 6);
    // every query's text matches the same 8 of 60 documents: sparse alone finds at most a few
    expect(by.exact.ndcg_at_10).toBeLessThan(0.5);
    // hybrid keeps the dense side's relevant document in its candidates: better than sparse alone
    for (const mode of ['hybrid-convex', 'hybrid-rrf']) expect(by[mode].ndcg_at_10, mode).toBeGreaterThan(by.exact.ndcg_at_10);
    expect(by['hybrid-convex'].params).toMatchObject({ alpha: 0.3 });
    for (const e of entries) expect(fs.existsSync(path.join(dir, 'out', e.run_file))).toBe(true);
  });

  it('refuses malformed vector files with INVALID_DATASET naming the line', async () => {
    const bad = path.join(dir, 'bad.jsonl');
    fs.writeFileSync(bad, '{"id":"a","dense":[1,2]}\n{"id":"b","dense":[1]}\n');
    await expect(readDenseJsonl(bad)).rejects.toMatchObject({ code: 'INVALID_DATASET', message: expect.stringMatching(/bad\.jsonl:2: .*earlier lines have 2/) });
    fs.writeFileSync(bad, '{"id":"a","dense":["x"]}\n');
    await expect(readDenseJsonl(bad)).rejects.toMatchObject({ code: 'INVALID_DATASET', message: expect.stringMatching(/:1: "dense"/) });
    await expect(readDenseJsonl(path.join(dir, 'missing.jsonl'))).rejects.toMatchObject({ code: 'INVALID_DATASET' });
  });

  it('asks for both files on the command line', async () => {
    const res = await runCli(['eval', '--beir', beir, '--dense-docs', path.join(beir, 'dense-docs.jsonl'), '--data-dir', path.join(dir, 'cli-data'), '--out', path.join(dir, 'cli-out')]);
    expect(res.code).toBe(1);
    expect(res.stderr).toMatch(/VALIDATION_ERROR: --dense-docs and --dense-queries go together/);
  });
});
