/**
 * What a newcomer meets on the command line (issue 18): --help and --version everywhere, a
 * collection created only when the command can fill it, a visible seal stage, eval labels that
 * match --k, eval --dense-docs failing before any pass, chart labels that do not overlap, and
 * SPARROW_SIMD checked.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SERVE_FLAG_HELP } from '../../src/cli/serve-help.js';
import { runIndexJob, type DocumentSink } from '../../src/bulk/index-job.js';
import { OPTIONS } from '../../src/config.js';
import { createEncoder } from '../../src/encoder/factory.js';
import { EngineManager } from '../../src/engine/manager.js';
import { placeLabels } from '../../src/eval/chart.js';
import { readDenseJsonl } from '../../src/eval/dense.js';
import { formatTable, type ReportEntry } from '../../src/eval/report.js';
import { runEval } from '../../src/eval/runner.js';
import { checkSimdSetting } from '../../src/index/native.js';
import { closeEncoderPool } from '../../src/workers/pool.js';
import { ROOT, runCli, writeCorpus } from './helpers.js';

const VERSION = (JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;
let dir: string;

beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sparrow-newcomer-'));
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('--help and --version', () => {
  it('answer on the program and on every command with exit 0', async () => {
    for (const args of [['--version'], ['serve', '--version'], ['index', '--version']]) {
      const res = await runCli(args);
      expect({ args, code: res.code, out: res.stdout.trim() }).toEqual({ args, code: 0, out: VERSION });
    }
    for (const command of ['eval', 'bench']) {
      const res = await runCli([command, '--help']);
      expect(res.code, command).toBe(0);
      expect(res.stdout).toContain(`Usage: sparrow ${command}`);
    }
  });

  it('serve --help lists every server flag with its variable and a description', async () => {
    const res = await runCli(['serve', '--help']);
    expect(res.code, res.stderr).toBe(0);
    for (const o of OPTIONS) {
      expect(SERVE_FLAG_HELP[o.flag], `description of --${o.flag}`).toBeTruthy();
      expect(res.stdout).toMatch(new RegExp(`--${o.flag} <value>\\s+${o.env}\\s+\\S`));
    }
  });
});

describe('a collection is created only when the command can fill it', () => {
  it('index --encoder splade without --model refuses a text corpus before creating anything', async () => {
    const corpus = path.join(dir, 'text.jsonl');
    writeCorpus(corpus, 5);
    const dataDir = path.join(dir, 'data-splade');
    const res = await runCli(['index', corpus, '--collection', 'nomodel', '--encoder', 'splade', '--data-dir', dataDir]);
    expect(res.code).toBe(1);
    expect(res.stderr).toMatch(/INVALID_CONFIG: --encoder splade without --model .*text\.jsonl:1 has no "sparse" vector: pass --model DIR/);
    expect(fs.existsSync(path.join(dataDir, 'nomodel'))).toBe(false);
  });

  it('index --encoder splade without --model takes pre-encoded {tokens} over the bundled vocabulary, and searches them', async () => {
    const corpus = path.join(dir, 'sparse.jsonl');
    const docs = [
      { _id: 'a', title: 'hello', sparse: { tokens: { hello: 1.5, world: 0.5 } } },
      { _id: 'b', title: 'protein', sparse: { tokens: { protein: 2 } } },
    ];
    fs.writeFileSync(corpus, docs.map((d) => JSON.stringify(d)).join('\n') + '\n');
    const dataDir = path.join(dir, 'data-pre');
    const res = await runCli(['index', corpus, '--collection', 'pre', '--encoder', 'splade', '--data-dir', dataDir]);
    expect(res.code, res.stderr).toBe(0);
    expect(res.stderr).toContain('sealing…');
    expect(res.stderr.indexOf('sealing…')).toBeLessThan(res.stderr.indexOf('done: 2 documents indexed'));
    const manager = await EngineManager.open({ dataDir, encoderFor: async () => undefined });
    try {
      const c = manager.get('pre');
      const { hits } = await c.search({ sparse: { tokens: { hello: 1 } }, k: 5 });
      expect(hits.map((h) => h.id)).toEqual(['a']);
    } finally {
      await manager.close();
    }
  });
});

describe('the seal stage', () => {
  it('is announced after the last write and before the sink seals', async () => {
    const corpus = path.join(dir, 'seal.jsonl');
    writeCorpus(corpus, 3);
    const events: string[] = [];
    const sink: DocumentSink = {
      stored: async () => new Set(),
      write: async (d) => void events.push(`write ${d.length}`),
      finish: async () => void events.push('finish'),
    };
    await runIndexJob(sink, { file: corpus, batchSize: 10, concurrency: 1, onError: 'stop', maxRetrySeconds: 1, onSeal: () => events.push('sealing') });
    expect(events).toEqual(['write 3', 'sealing', 'finish']);
  });
});

describe('sparrow eval', () => {
  function entry(k: number): ReportEntry {
    return {
      dataset: 'toy', split: 'test', queries: 1, encoder: 'lexical', mode: 'exact', params: { k },
      ndcg_at_10: 0.5, recall_at_100: 0.6, recall_at_1000: 0.6, mrr_at_10: 0.5, map: 0.4,
      recall_vs_exact: null, latency_ms: { p50: 1, p99: 2 }, run_file: 'x.run',
    };
  }

  it('labels recall by the cutoff k allows: --k 10 prints R@10, never R@100 or R@1000', () => {
    const header10 = formatTable([entry(10)]).split('\n')[0];
    expect(header10).toContain('R@10 |');
    expect(header10).not.toMatch(/R@100|R@1000/);
    const header1000 = formatTable([entry(1000)]).split('\n')[0];
    expect(header1000).toContain('R@100 |');
    expect(header1000).toContain('R@1000 |');
  });

  it('--dense-docs on a collection without a dense field fails before any pass', async () => {
    const beir = path.join(dir, 'toy');
    fs.mkdirSync(path.join(beir, 'qrels'), { recursive: true });
    writeCorpus(path.join(beir, 'corpus.jsonl'), 10);
    fs.writeFileSync(path.join(beir, 'queries.jsonl'), JSON.stringify({ _id: 'q0', text: 'alpha' }) + '\n');
    fs.writeFileSync(path.join(beir, 'qrels', 'test.tsv'), 'query-id\tcorpus-id\tscore\nq0\tdoc-0\t1\n');
    fs.writeFileSync(path.join(beir, 'dense.jsonl'), JSON.stringify({ id: 'doc-0', dense: [1, 0] }) + '\n' + JSON.stringify({ id: 'q0', dense: [1, 0] }) + '\n');
    const manager = await EngineManager.open({ dataDir: path.join(dir, 'data-eval'), encoderFor: (config, cpu) => createEncoder(config.encoder, cpu) });
    const outDir = path.join(dir, 'eval-out');
    const passes: string[] = [];
    try {
      await manager.create('toy', { encoder: { kind: 'lexical' } });
      const vectors = await readDenseJsonl(path.join(beir, 'dense.jsonl'));
      const run = runEval(manager, {
        beirDir: beir, split: 'test', encoder: { kind: 'lexical' }, mode: 'exact', k: 10, sweep: [], outDir, warmup: 0,
        log: (line) => passes.push(line),
        dense: { docs: vectors, queries: vectors, metric: 'cosine', alpha: 0.5 },
      });
      await expect(run).rejects.toMatchObject({ code: 'DENSE_NOT_CONFIGURED' });
      expect(passes.filter((l) => /nDCG@10/.test(l))).toEqual([]);
      expect(fs.existsSync(outDir)).toBe(false);
    } finally {
      await manager.close();
      await closeEncoderPool();
    }
  });

  it('places chart labels so that none overlaps another, also for points on top of each other', () => {
    const points = Array.from({ length: 12 }, (_, i) => ({ x: 300 + (i % 3), y: 200 + (i % 2), text: `approx queryCut=${i} heapFactor=0.9` }));
    points.push({ x: 715, y: 100, text: 'exact k=10' }); // near the right edge: the label goes left of the point
    const boxes = placeLabels(points, 720);
    const left = (b: (typeof boxes)[number]) => (b.anchor === 'start' ? b.x : b.x - b.width);
    for (let i = 0; i < boxes.length; i++) {
      expect(left(boxes[i]) + boxes[i].width).toBeLessThanOrEqual(720);
      for (let j = 0; j < i; j++) {
        const a = boxes[i];
        const b = boxes[j];
        const apart = left(a) + a.width <= left(b) || left(b) + b.width <= left(a) || a.y - 12 >= b.y || b.y - 12 >= a.y;
        expect(apart, `labels ${i} and ${j} overlap`).toBe(true);
      }
    }
  });
});

describe('SPARROW_SIMD', () => {
  it('accepts unset and "portable", and rejects anything else with a message naming it', async () => {
    expect(() => checkSimdSetting(undefined)).not.toThrow();
    expect(() => checkSimdSetting('portable')).not.toThrow();
    expect(() => checkSimdSetting('bogus')).toThrow('SPARROW_SIMD must be "portable" or unset (the CPU decides), got "bogus"');
    const load = promisify(execFile)(process.execPath, ['--import', 'tsx', '-e', "await import('./src/index/native.ts')"], { cwd: ROOT, env: { ...process.env, SPARROW_SIMD: 'bogus' } });
    await expect(load).rejects.toMatchObject({ stderr: expect.stringContaining('SPARROW_SIMD must be "portable"') });
  });
});
