import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeTinyModelDir, MAX_POSITIONS } from '../../scripts/make-tiny-model.js';
import { SpladeDocumentEncoder, planBatches } from '../../src/encoder/splade.js';
import type { SparseVector } from '../../src/core/types.js';
import { referenceWeights } from './tiny-reference.js';

const FIXTURE = 'test/fixtures/tiny-splade';
const TEXTS = [
  'The protein expression of cancer cells.',
  'sparse search',
  'Blood risk, disease (treatment) and the human gene: study results!',
  'xyz qq 42',
];

function expectClose(actual: SparseVector, expected: Map<number, number>): void {
  expect([...actual.indices]).toEqual([...expected.keys()]);
  actual.indices.forEach((id, i) => expect(Math.abs(actual.values[i] - (expected.get(id) as number))).toBeLessThan(1e-5));
}

describe('SPLADE document encoder on the tiny ONNX model', () => {
  let encoder: SpladeDocumentEncoder;
  let tmp: string;
  beforeAll(async () => {
    encoder = await SpladeDocumentEncoder.open(FIXTURE);
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'sparrow-splade-'));
  });
  afterAll(async () => {
    await encoder.close();
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  it('matches an independent TypeScript computation of the model and pooling (1e-5)', async () => {
    const docs = await encoder.encode(TEXTS);
    const specials = [...encoder.model.tokenizer.specialIds];
    docs.forEach((doc, i) => {
      const seqs = encoder.sequencesOf(TEXTS[i]);
      expect(seqs).toHaveLength(1);
      expect(doc.length).toBe(seqs[0].length - 2);
      expectClose(doc.vector, referenceWeights(seqs, specials));
    });
  });

  it('gives the same vector whatever the batch (padding is masked)', async () => {
    const together = await encoder.encode(TEXTS);
    for (let i = 0; i < TEXTS.length; i++) {
      const [alone] = await encoder.encode([TEXTS[i]]);
      expect([...alone.vector.indices]).toEqual([...together[i].vector.indices]);
      alone.vector.values.forEach((v, j) => expect(Math.abs(v - together[i].vector.values[j])).toBeLessThan(1e-6));
    }
  });

  it('zeroes the special tokens dimensions', async () => {
    const [doc] = await encoder.encode(['cancer [MASK] cells']);
    for (const id of encoder.model.tokenizer.specialIds) expect([...doc.vector.indices]).not.toContain(id);
  });

  it('chunks a long text and max-pools the chunks', async () => {
    const text = Array.from({ length: 80 }, (_, i) => TEXTS[i % 3]).join(' ');
    const seqs = encoder.sequencesOf(text);
    expect(seqs.length).toBeGreaterThan(1);
    for (const s of seqs) expect(s.length).toBeLessThanOrEqual(MAX_POSITIONS);
    const [doc] = await encoder.encode([text]);
    expectClose(doc.vector, referenceWeights(seqs, [...encoder.model.tokenizer.specialIds]));
  });

  it('reads at most maxChunks chunks of a 1 MB text', async () => {
    const huge = 'cancer cells study '.repeat(55_000);
    expect(huge.length).toBeGreaterThan(1_000_000);
    const seqs = encoder.sequencesOf(huge);
    expect(seqs).toHaveLength(8);
    const [doc] = await encoder.encode([huge]);
    expect(doc.length).toBe(8 * (MAX_POSITIONS - 2));
    expect(doc.vector.indices.length).toBeGreaterThan(0);
  });

  it('gives an empty vector for empty or whitespace text', async () => {
    const docs = await encoder.encode(['', '   \n\t ', 'cells']);
    expect(docs[0].vector.indices.length).toBe(0);
    expect(docs[1].vector.indices.length).toBe(0);
    expect(docs[0].length).toBe(0);
    expect(docs[2].vector.indices.length).toBeGreaterThan(0);
  });

  it('uses a [batch, vocab] output as is', async () => {
    const dir = path.join(tmp, 'pooled');
    writeTinyModelDir(dir, { output: 'pooled' });
    const pooled = await SpladeDocumentEncoder.open(dir);
    try {
      expect(pooled.outputRank).toBe(2);
      const docs = await pooled.encode(TEXTS);
      docs.forEach((doc, i) => expectClose(doc.vector, referenceWeights(pooled.sequencesOf(TEXTS[i]))));
    } finally {
      await pooled.close();
    }
  });

  it('feeds only the inputs the graph declares (no token_type_ids)', async () => {
    const dir = path.join(tmp, 'notypes');
    writeTinyModelDir(dir, { tokenTypes: false });
    const enc = await SpladeDocumentEncoder.open(dir);
    try {
      const [doc] = await enc.encode(['cancer cells']);
      expect(doc.vector.indices.length).toBeGreaterThan(0);
    } finally {
      await enc.close();
    }
  });

  it('applies pruning options', async () => {
    const pruned = await SpladeDocumentEncoder.open(FIXTURE, { prune: { top_k: 3 } });
    try {
      const [full] = await encoder.encode([TEXTS[2]]);
      const [top] = await pruned.encode([TEXTS[2]]);
      expect(top.vector.indices.length).toBe(3);
      const largest = [...full.vector.values].sort((a, b) => b - a).slice(0, 3);
      expect([...top.vector.values].sort((a, b) => b - a)).toEqual(largest);
    } finally {
      await pruned.close();
    }
  });
});

describe('bad model directories fail at load naming the file', () => {
  let tmp: string;
  beforeAll(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'sparrow-baddir-'));
  });
  afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

  const make = (name: string, options: Parameters<typeof writeTinyModelDir>[1] = {}): string => {
    const dir = path.join(tmp, name);
    writeTinyModelDir(dir, options);
    return dir;
  };

  it('no model.onnx', async () => {
    const dir = make('nomodel');
    fs.rmSync(path.join(dir, 'model.onnx'));
    await expect(SpladeDocumentEncoder.open(dir)).rejects.toMatchObject({ code: 'MODEL_LOAD_FAILED', message: expect.stringMatching(/model\.onnx: missing/) });
  });

  it('no tokenizer', async () => {
    const dir = make('notok');
    fs.rmSync(path.join(dir, 'vocab.txt'));
    await expect(SpladeDocumentEncoder.open(dir)).rejects.toMatchObject({ code: 'MODEL_LOAD_FAILED', message: expect.stringMatching(/tokenizer\.json: missing \(and no vocab\.txt\)/) });
  });

  it('logits of the wrong rank', async () => {
    const dir = make('rank4', { output: 'rank4' });
    await expect(SpladeDocumentEncoder.open(dir)).rejects.toMatchObject({ code: 'MODEL_LOAD_FAILED', message: expect.stringMatching(/model\.onnx: output logits has rank 4/) });
  });

  it('an idf.json whose size differs from the vocabulary', async () => {
    const dir = make('idf');
    fs.writeFileSync(path.join(dir, 'idf.json'), JSON.stringify({ '[PAD]': 1, cancer: 2 }));
    await expect(SpladeDocumentEncoder.open(dir)).rejects.toMatchObject({ code: 'MODEL_LOAD_FAILED', message: expect.stringMatching(/idf\.json: has 2 entries but the vocabulary has \d+ tokens/) });
  });

  it('a vocabulary that does not match the logits', async () => {
    const dir = make('vocab');
    fs.appendFileSync(path.join(dir, 'vocab.txt'), 'extra\n');
    fs.rmSync(path.join(dir, 'idf.json'));
    await expect(SpladeDocumentEncoder.open(dir)).rejects.toMatchObject({ code: 'MODEL_LOAD_FAILED', message: expect.stringMatching(/model\.onnx: output logits has \d+ entries per token but the tokenizer has \d+ tokens/) });
  });

  it('a file that is not an ONNX model', async () => {
    const dir = make('garbage');
    fs.writeFileSync(path.join(dir, 'model.onnx'), 'not a model');
    await expect(SpladeDocumentEncoder.open(dir)).rejects.toMatchObject({ code: 'MODEL_LOAD_FAILED', message: expect.stringMatching(/model\.onnx: is not a loadable ONNX model/) });
  });

  it('a missing directory', async () => {
    await expect(SpladeDocumentEncoder.open(path.join(tmp, 'nope'))).rejects.toMatchObject({ code: 'MODEL_LOAD_FAILED', message: expect.stringMatching(/model directory does not exist/) });
  });
});

describe('planBatches', () => {
  it('groups longest first within the token and sequence bounds', () => {
    expect(planBatches([3, 10, 5, 10, 2], 20, 8)).toEqual([[1, 3], [2, 0, 4]]);
    expect(planBatches([4, 4, 4], 100, 2)).toEqual([[0, 1], [2]]);
    expect(planBatches([50], 20, 8)).toEqual([[0]]);
    expect(planBatches([], 20, 8)).toEqual([]);
  });
});
