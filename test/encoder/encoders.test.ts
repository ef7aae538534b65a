import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultCpu } from '../../src/config.js';
import { createEncoder } from '../../src/encoder/factory.js';
import { inferenceFreeQuery } from '../../src/encoder/inference-free.js';
import { LexicalEncoder, LEXICAL_INLINE_CHARS } from '../../src/encoder/lexical.js';
import { luceneIdf } from '../../src/encoder/bm25.js';
import { murmur3 } from '../../src/encoder/murmur3.js';
import { bundledTokenizer } from '../../src/encoder/tokenizer-files.js';
import { readIdf } from '../../src/encoder/model-dir.js';
import { BUNDLED_IDF } from '../../src/encoder/paths.js';
import { SpladeDocumentEncoder } from '../../src/encoder/splade.js';
import { EncoderPool } from '../../src/workers/pool.js';
import { writeTinyModelDir } from '../../scripts/make-tiny-model.js';

const FIXTURE = path.resolve('test/fixtures/tiny-splade');
const cpu = { ...defaultCpu(2), encoderWorkers: 2 };
const stats = { numDocs: 100, avgDocLength: 10, docFreq: (t: number) => (t === murmur3('cancer') ? 10 : 1) };

describe('createEncoder', () => {
  let pool: EncoderPool;
  let tmp: string;
  beforeAll(() => {
    pool = new EncoderPool({ encoderWorkers: 2, encoderQueue: 64 });
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'sparrow-enc-'));
  });
  afterAll(async () => {
    await pool.close();
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  it('lexical: BM25 term frequencies, queries weighted by Lucene IDF, tokens known', async () => {
    const enc = await createEncoder({ kind: 'lexical' }, cpu, () => pool);
    expect([enc.kind, enc.weighting, enc.version]).toEqual(['lexical', 'bm25', 'lexical:porter2:murmur3']);
    const [doc] = await enc.encodeDocuments(['Cancer cells and cancer']);
    expect(doc.length).toBe(3);
    const q = await enc.encodeQuery('cancer of the cell', stats);
    const cancer = murmur3('cancer');
    const cell = murmur3('cell');
    expect([...q.indices]).toEqual([cancer, cell].sort((a, b) => a - b));
    expect(q.values[[...q.indices].indexOf(cancer)]).toBeCloseTo(luceneIdf(100, 10), 5);
    expect(enc.tokenOf(cancer)).toBe('cancer');
    expect((await enc.encodeQuery('  ', stats)).indices.length).toBe(0);
  });

  it('lexical: a large batch goes through the pool and equals inline encoding', async () => {
    const texts = Array.from({ length: 400 }, (_, i) => `document ${i} about proteins and running cells `.repeat(5));
    expect(texts.join('').length).toBeGreaterThan(LEXICAL_INLINE_CHARS);
    const pooled = await new LexicalEncoder('porter2', () => pool).encodeDocuments(texts);
    const inline = await new LexicalEncoder('porter2').encodeDocuments(texts);
    expect(pooled.map((d) => [...d.vector.indices])).toEqual(inline.map((d) => [...d.vector.indices]));
    expect(pooled.map((d) => [...d.vector.values])).toEqual(inline.map((d) => [...d.vector.values]));
  });

  it('splade: documents in the pool equal the model run in this thread; queries inference-free by default', async () => {
    const enc = await createEncoder({ kind: 'splade', model: FIXTURE }, cpu, () => pool);
    expect([enc.kind, enc.weighting]).toEqual(['splade', 'none']);
    expect(enc.version).toMatch(/^splade:[0-9a-f]{16}$/);
    const local = await SpladeDocumentEncoder.open(FIXTURE);
    const texts = ['cancer cells', 'the gene study'];
    const [expected, actual] = await Promise.all([local.encode(texts), enc.encodeDocuments(texts)]);
    await local.close();
    expect(actual.map((d) => [...d.vector.values])).toEqual(expected.map((d) => [...d.vector.values]));
    // inference-free: each distinct token once, weighted by idf.json, specials dropped
    const q = await enc.encodeQuery('cancer cancer [SEP] cells zz', stats);
    const tok = local.model.tokenizer;
    const idf = local.model.idf as Float32Array;
    const expectedIds = [...new Set(tok.encode('cancer cells zz'))].sort((a, b) => a - b);
    expect([...q.indices]).toEqual(expectedIds);
    expect([...q.values]).toEqual(expectedIds.map((id) => idf[id]));
    expect(enc.tokenOf(tok.idOf('cancer') as number)).toBe('cancer');
    expect(enc.idOf?.('cancer')).toBe(tok.idOf('cancer'));
    expect(enc.idOf?.('not-a-token')).toBeUndefined();
  });

  it('splade siamese: the query runs the model', async () => {
    const enc = await createEncoder({ kind: 'splade', model: FIXTURE, query: 'siamese', prune: { top_k: 5 } }, cpu, () => pool);
    const q = await enc.encodeQuery('cancer cells', stats);
    const [doc] = await enc.encodeDocuments(['cancer cells']);
    expect(q.indices.length).toBe(5);
    expect([...q.indices]).toEqual([...doc.vector.indices]);
    expect(enc.version).toMatch(/"top_k":5/);
  });

  it('splade: a bad model directory fails at creation naming the file', async () => {
    const dir = path.join(tmp, 'rank4');
    writeTinyModelDir(dir, { output: 'rank4' });
    await expect(createEncoder({ kind: 'splade', model: dir }, cpu, () => pool)).rejects.toMatchObject({ code: 'MODEL_LOAD_FAILED', message: expect.stringMatching(/model\.onnx: output logits has rank 4/) });
    const noIdf = path.join(tmp, 'noidf');
    writeTinyModelDir(noIdf);
    fs.rmSync(path.join(noIdf, 'idf.json'));
    await expect(createEncoder({ kind: 'splade', model: noIdf, query: 'inference-free' }, cpu, () => pool)).rejects.toMatchObject({ code: 'MODEL_LOAD_FAILED', message: expect.stringMatching(/idf\.json: missing/) });
    // without idf.json the default query mode is siamese
    const enc = await createEncoder({ kind: 'splade', model: noIdf }, cpu, () => pool);
    expect((await enc.encodeQuery('cancer', stats)).indices.length).toBeGreaterThan(0);
  });

  it('bad arguments are TypeErrors naming the argument', async () => {
    const lexical = await createEncoder({ kind: 'lexical' }, cpu, () => pool);
    const splade = await createEncoder({ kind: 'splade', model: FIXTURE }, cpu, () => pool);
    for (const enc of [lexical, splade]) {
      await expect(enc.encodeDocuments('text' as never)).rejects.toThrow(new TypeError('texts must be an array of strings'));
      await expect(enc.encodeDocuments(['ok', 3] as never)).rejects.toThrow(TypeError);
      await expect(enc.encodeQuery(undefined as never, stats)).rejects.toThrow(new TypeError('text must be a string'));
    }
    expect(() => bundledTokenizer().encode(null as never)).toThrow(new TypeError('text must be a string'));
  });

  it('bad configurations are INVALID_CONFIG naming the option', async () => {
    const bad = async (config: unknown, pattern: RegExp) =>
      expect(createEncoder(config as never, cpu, () => pool)).rejects.toMatchObject({ code: 'INVALID_CONFIG', message: expect.stringMatching(pattern) });
    await bad({ kind: 'dense' }, /encoder\.kind/);
    await bad({ kind: 'splade' }, /encoder\.model/);
    await bad({ kind: 'lexical', query: 'siamese' }, /encoder\.query/);
    await bad({ kind: 'lexical', prune: { top_k: 3 } }, /encoder\.prune/);
    await bad({ kind: 'splade', model: FIXTURE, query: 'lexical' }, /encoder\.query/);
    await bad({ kind: 'splade', model: FIXTURE, prune: { top_k: -1 } }, /encoder\.prune\.top_k/);
  });
});

describe('inference-free with the bundled OpenSearch idf.json', () => {
  it('weights each distinct bert-base-uncased token once by idf, specials dropped', () => {
    const tokenizer = bundledTokenizer();
    const idf = readIdf(BUNDLED_IDF, tokenizer);
    const q = inferenceFreeQuery(tokenizer, idf, 'What causes cancer? cancer [CLS]');
    const tokens = [...q.indices].map((id) => tokenizer.tokenOf(id));
    expect(tokens.sort()).toEqual(['?', 'cancer', 'causes', 'what']);
    expect(q.values[[...q.indices].indexOf(tokenizer.idOf('cancer') as number)]).toBeCloseTo(4.7959, 3);
    expect(inferenceFreeQuery(tokenizer, idf, ' \t ').indices.length).toBe(0);
  });
});
