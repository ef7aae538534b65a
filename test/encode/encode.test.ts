/**
 * `sparrow encode` in one process: the vectors are the engine's own (bit for bit, for the same
 * batches), the output is in input order, a run killed (SIGKILL) or interrupted (SIGINT) resumes
 * to an output identical to an uninterrupted run, and a malformed line stops it with its line
 * number and exit code 2.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { encodeCommand } from '../../src/cli/encode-command.js';
import { runIndexJob } from '../../src/bulk/index-job.js';
import { CollectionSink } from '../../src/bulk/index-sinks.js';
import { createEncoder } from '../../src/encoder/factory.js';
import { EngineManager } from '../../src/engine/manager.js';
import { readLinesFrom } from '../../src/eval/beir.js';
import { closeEncoderPool } from '../../src/workers/pool.js';
import { runCli, spawnCli } from '../cli/helpers.js';
import { capture, corpusLine, lineCount, readVectorLines, TINY_MODEL, waitFor, writeLongCorpus } from './corpus.js';

vi.setConfig({ testTimeout: 60_000 });

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sparrow-encode-'));
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

async function encodeHere(input: string, output: string, batch: number, extra: { side?: 'document' | 'query' } = {}) {
  const out = capture();
  const code = await encodeCommand({ model: TINY_MODEL, input, output, side: extra.side ?? 'document', batch, threads: 2, out });
  return { code, log: out.text() };
}

describe('sparrow encode', () => {
  it('writes, in input order, exactly the vectors the engine stores for the same batches', async () => {
    const corpus = path.join(dir, 'corpus.jsonl');
    writeLongCorpus(corpus, 96);
    const output = path.join(dir, 'vectors.jsonl');
    const res = await encodeHere(corpus, output, 32);
    expect(res.code, res.log).toBe(0);
    expect(res.log).toMatch(/done: 96 records encoded in 3 batches, [\d.]+ s, [\d.]+ docs\/s/);
    expect(fs.existsSync(`${output}.checkpoint.json`)).toBe(false);
    const lines = readVectorLines(output);
    expect(lines.map((l) => l.id)).toEqual(Array.from({ length: 96 }, (_, i) => `d${i}`));

    const manager = await EngineManager.open({ dataDir: path.join(dir, 'data'), encoderFor: (config, cpu) => createEncoder(config.encoder, cpu) });
    try {
      // the engine encodes what it is sent, in the batches it is sent
      const engine = await manager.create('engine', { encoder: { kind: 'splade', model: TINY_MODEL } });
      const docs = Array.from({ length: 96 }, (_, i) => JSON.parse(corpusLine(i)) as { _id: string; title: string; text: string });
      for (let i = 0; i < 96; i += 32) await engine.upsert(docs.slice(i, i + 32).map((d) => ({ id: d._id, title: d.title, text: d.text })));
      for (const line of lines) {
        const stored = engine.get(line.id)!.sparse;
        expect([...stored.indices]).toEqual(line.indices);
        expect([...stored.values]).toEqual(line.values.map(Math.fround)); // bit for bit (float32)
      }
      // and `sparrow index` loads the output as it is (pre-encoded vectors)
      const loaded = await manager.create('loaded', { encoder: { kind: 'splade', model: TINY_MODEL } });
      const summary = await runIndexJob(new CollectionSink(loaded), { file: output, batchSize: 50, concurrency: 1, onError: 'stop', maxRetrySeconds: 10 });
      expect(summary.exitCode).toBe(0);
      for (const line of lines) expect(loaded.get(line.id)!.sparse).toEqual(engine.get(line.id)!.sparse);
    } finally {
      await manager.close();
      await closeEncoderPool();
    }
  });

  it('--side query encodes queries.jsonl of a BEIR folder as the server encodes a query', async () => {
    const beir = path.join(dir, 'beir');
    fs.mkdirSync(beir);
    const queries = ['cancer cells', 'gene expression in human blood', 'sparse vector search'];
    fs.writeFileSync(path.join(beir, 'queries.jsonl'), queries.map((text, i) => JSON.stringify({ _id: `q${i}`, text })).join('\n'));
    const output = path.join(dir, 'queries.jsonl');
    const res = await encodeHere(beir, output, 2, { side: 'query' });
    expect(res.code, res.log).toBe(0);
    const lines = readVectorLines(output);
    const manager = await EngineManager.open({ dataDir: path.join(dir, 'data'), encoderFor: (config, cpu) => createEncoder(config.encoder, cpu) });
    try {
      const c = await manager.create('c', { encoder: { kind: 'splade', model: TINY_MODEL } });
      for (const [i, text] of queries.entries()) {
        const terms = (await c.encode(text, 'query')).sort((a, b) => a.id - b.id);
        expect(lines[i].id).toBe(`q${i}`);
        expect(lines[i].indices).toEqual(terms.map((t) => t.id));
        expect(lines[i].values.map(Math.fround)).toEqual(terms.map((t) => Math.fround(t.weight)));
      }
    } finally {
      await manager.close();
      await closeEncoderPool();
    }
  });

  it('killed (SIGKILL) and interrupted (SIGINT), then resumed: the output equals an uninterrupted run', async () => {
    const corpus = path.join(dir, 'corpus.jsonl');
    // Long enough (several seconds even on an idle machine) for the 1 s checkpoint to be written
    // before the run ends: at 800 records an idle run finished in 0.6 s without one.
    writeLongCorpus(corpus, 3000);
    const reference = path.join(dir, 'reference.jsonl');
    expect((await encodeHere(corpus, reference, 16)).code).toBe(0);

    const output = path.join(dir, 'out.jsonl');
    const args = ['encode', '--model', TINY_MODEL, '--input', corpus, '--output', output, '--batch', '16'];
    const killed = spawnCli(args);
    const gone = new Promise((resolve) => killed.on('exit', resolve));
    await waitFor('a first checkpoint', () => fs.existsSync(`${output}.checkpoint.json`) && JSON.parse(fs.readFileSync(`${output}.checkpoint.json`, 'utf8')).records >= 64);
    killed.kill('SIGKILL');
    await gone;
    expect(lineCount(output)).toBeLessThan(3000);

    const interrupted = spawnCli(args);
    let log = '';
    interrupted.stderr!.on('data', (d) => (log += d));
    const code = new Promise((resolve) => interrupted.on('close', resolve));
    await waitFor('the resumed run', () => log.includes('resuming'));
    await waitFor('more lines', () => lineCount(output) > 300);
    interrupted.kill('SIGINT');
    expect(await code).toBe(1);
    expect(log).toMatch(/interrupted: \d+ records encoded/);

    const last = await runCli(args);
    expect(last.code, last.stderr).toBe(0);
    expect(last.stderr).toMatch(/\(\d+ already in the output\)/);
    expect(fs.readFileSync(output)).toEqual(fs.readFileSync(reference));
    expect(fs.existsSync(`${output}.checkpoint.json`)).toBe(false);
  }, 180_000);

  it('stops at a malformed line with its number and exit code 2; fixed, the run resumes to the full output', async () => {
    const corpus = path.join(dir, 'corpus.jsonl');
    writeLongCorpus(corpus, 60, { 45: '{"_id": "broken", "text": ' });
    const output = path.join(dir, 'out.jsonl');
    const args = ['encode', '--model', TINY_MODEL, '--input', corpus, '--output', output, '--batch', '10'];
    const bad = await runCli(args);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/INVALID_DATASET: .*corpus\.jsonl:45: invalid JSON/);
    expect(lineCount(output)).toBe(40); // the complete batches before the line
    writeLongCorpus(corpus, 60);
    const fixed = await runCli(args);
    expect(fixed.code, fixed.stderr).toBe(0);
    expect(readVectorLines(output).map((l) => l.id)).toEqual(Array.from({ length: 60 }, (_, i) => `d${i}`));
    const reference = path.join(dir, 'reference.jsonl');
    await encodeHere(corpus, reference, 10);
    expect(fs.readFileSync(output)).toEqual(fs.readFileSync(reference));
  }, 90_000);

  it('refuses an existing output without checkpoint, and a resume with another batch size', async () => {
    const corpus = path.join(dir, 'corpus.jsonl');
    writeLongCorpus(corpus, 20);
    const output = path.join(dir, 'out.jsonl');
    fs.writeFileSync(output, 'something\n');
    await expect(encodeHere(corpus, output, 8)).rejects.toThrow(/exists and has no checkpoint/);
    fs.rmSync(output);
    fs.writeFileSync(`${output}.checkpoint.json`, JSON.stringify({ version: 1, input: path.resolve(corpus), side: 'document', batchSize: 4, fingerprint: 'x', nextBatch: 0, at: { offset: 0, lineNo: 1 }, records: 0, outputBytes: 0 }));
    await expect(encodeHere(corpus, output, 8)).rejects.toThrow(/belongs to another run \(batchSize: 4 there, 8 now\)/);
  });
});

describe('readLinesFrom', () => {
  it('gives each line its number and the byte offset after it, from any line start (CRLF too)', async () => {
    const file = path.join(dir, 'lines.txt');
    fs.writeFileSync(file, 'één\r\n\nzwei\nlast');
    const all = [];
    for await (const l of readLinesFrom(file)) all.push(l);
    expect(all).toEqual([
      { lineNo: 1, line: 'één', end: 7 },
      { lineNo: 3, line: 'zwei', end: 13 },
      { lineNo: 4, line: 'last', end: 17 },
    ]);
    const rest = [];
    for await (const l of readLinesFrom(file, 7, 2)) rest.push(l);
    expect(rest).toEqual(all.slice(1));
  });
});
