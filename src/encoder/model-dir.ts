/**
 * A model directory as a Hugging Face ONNX export lays it out: model.onnx, tokenizer.json or
 * vocab.txt, optional idf.json (inference-free query weights), optional config.json (max length).
 * Every problem is MODEL_LOAD_FAILED naming the file. Nothing is downloaded.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { failLoad as fail } from './load-error.js';
import type { BertTokenizer } from './tokenizer.js';
import { loadTokenizerDir } from './tokenizer-files.js';

export const DEFAULT_MAX_LENGTH = 512;

export interface ModelDir {
  dir: string;
  modelFile: string;
  tokenizer: BertTokenizer;
  tokenizerFile: string;
  /** idf weight per token id, when idf.json exists */
  idf?: Float32Array;
  /** model maximum sequence length, [CLS] and [SEP] included */
  maxLength: number;
}

function readJsonObject(file: string): Record<string, unknown> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (err) {
    fail(file, 'cannot be read as JSON', err);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) fail(file, 'must hold a JSON object');
  return parsed as Record<string, unknown>;
}

/** idf.json: token -> weight for every vocabulary token. */
export function readIdf(file: string, tokenizer: BertTokenizer): Float32Array {
  const json = readJsonObject(file);
  const entries = Object.entries(json);
  if (entries.length !== tokenizer.vocabSize) fail(file, `has ${entries.length} entries but the vocabulary has ${tokenizer.vocabSize} tokens`);
  const idf = new Float32Array(tokenizer.vocabSize);
  for (const [token, weight] of entries) {
    const id = tokenizer.idOf(token);
    if (id === undefined) fail(file, `token ${JSON.stringify(token)} is not in the vocabulary`);
    if (typeof weight !== 'number' || !Number.isFinite(weight) || weight < 0) fail(file, `weight of ${JSON.stringify(token)} must be a finite number >= 0`);
    idf[id] = weight;
  }
  return idf;
}

function maxLengthOf(dir: string): number {
  for (const [name, key] of [
    ['config.json', 'max_position_embeddings'],
    ['tokenizer_config.json', 'model_max_length'],
  ] as const) {
    const file = path.join(dir, name);
    if (!fs.existsSync(file)) continue;
    const value = readJsonObject(file)[key];
    // tokenizer_config.json uses a huge sentinel when the length is unknown
    if (typeof value === 'number' && Number.isInteger(value) && value >= 3 && value <= 1_000_000) return value;
  }
  return DEFAULT_MAX_LENGTH;
}

export function loadModelDir(dir: string): ModelDir {
  const resolved = path.resolve(dir);
  if (!fs.existsSync(resolved) || !fs.statSync(resolved).isDirectory()) fail(resolved, 'model directory does not exist');
  const modelFile = path.join(resolved, 'model.onnx');
  if (!fs.existsSync(modelFile)) fail(modelFile, 'missing: the model directory needs model.onnx');
  const { tokenizer, file: tokenizerFile } = loadTokenizerDir(resolved);
  const idfFile = path.join(resolved, 'idf.json');
  const idf = fs.existsSync(idfFile) ? readIdf(idfFile, tokenizer) : undefined;
  return { dir: resolved, modelFile, tokenizer, tokenizerFile, idf, maxLength: maxLengthOf(resolved) };
}

/** Content hash of the files that decide the vectors (model and tokenizer), for encoder versions. */
export function modelFingerprint(model: ModelDir): string {
  const hash = crypto.createHash('sha256');
  for (const file of [model.modelFile, model.tokenizerFile]) {
    const fd = fs.openSync(file, 'r');
    try {
      const buf = Buffer.allocUnsafe(1 << 20);
      for (let n = fs.readSync(fd, buf); n > 0; n = fs.readSync(fd, buf)) hash.update(buf.subarray(0, n));
    } finally {
      fs.closeSync(fd);
    }
  }
  return hash.digest('hex').slice(0, 16);
}
