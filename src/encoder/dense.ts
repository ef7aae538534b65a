/**
 * Dense embeddings from a Hugging Face ONNX export (feature extraction: output last_hidden_state
 * [batch, tokens, hidden], or an already pooled [batch, hidden]), for collections whose dense
 * field has a model. Pooling: "mean" over the non-padding positions ([CLS] and [SEP] included, as
 * sentence-transformers does) or "cls" (position 0); optional L2 normalisation. A text longer than
 * the model's window is cut to it (one window: an embedding model has no pooling across windows).
 *
 * Runs in the encoder pool's workers (DenseEncoder posts `dense` tasks); rows cross the thread
 * boundary in the sparse channel's format with indices 0..dims-1 (asEncodedDocument / vectorOf).
 */
import { checkText, checkTexts } from './check-input.js';
import { loadModelDir, modelFingerprint, type ModelDir } from './model-dir.js';
import { openOnnxModel, type OnnxSparseModel } from './onnx.js';
import { fillRow, planBatches } from './splade.js';
import type { EncodedDocument } from './types.js';
import type { CpuConfig } from '../config.js';
import { AppError } from '../errors.js';
import { getEncoderPool, type EncoderPool } from '../workers/pool.js';
import type { EncoderSpec } from '../workers/protocol.js';

export type DensePooling = 'mean' | 'cls';

export interface DenseModelOptions {
  pooling: DensePooling;
  normalize: boolean;
  intraOpThreads?: number;
  /** sequences per ONNX run (default 32) */
  maxBatchSequences?: number;
}

/** Pools row `row` of a [batch, width, hidden] output over its first `length` positions. */
export function poolSequence(data: Float32Array, row: number, width: number, hidden: number, length: number, pooling: DensePooling): Float32Array {
  const base = row * width * hidden;
  if (pooling === 'cls') return data.slice(base, base + hidden);
  const out = new Float32Array(hidden);
  for (let t = 0; t < length; t++) {
    const at = base + t * hidden;
    for (let j = 0; j < hidden; j++) out[j] += data[at + j];
  }
  for (let j = 0; j < hidden; j++) out[j] /= Math.max(1, length);
  return out;
}

/** In place; a zero vector stays zero. */
export function l2Normalize(v: Float32Array): Float32Array {
  let sq = 0;
  for (const x of v) sq += x * x;
  const norm = Math.sqrt(sq);
  if (norm > 0) for (let j = 0; j < v.length; j++) v[j] /= norm;
  return v;
}

export class DenseDocumentEncoder {
  private constructor(
    readonly model: ModelDir,
    private readonly onnx: OnnxSparseModel,
    private readonly options: DenseModelOptions,
  ) {}

  static async open(dir: string, options: DenseModelOptions): Promise<DenseDocumentEncoder> {
    const model = loadModelDir(dir);
    const onnx = await openOnnxModel(model.modelFile, { intraOpThreads: options.intraOpThreads ?? 1, vocabSize: undefined });
    return new DenseDocumentEncoder(model, onnx, options);
  }

  /** One embedding per text; an empty text gets an empty vector (the caller rejects it). */
  async encode(texts: string[]): Promise<Float32Array[]> {
    checkTexts(texts);
    const { tokenizer, maxLength } = this.model;
    const seqs = texts.map((t) => {
      const ids = tokenizer.encode(t, maxLength - 2);
      return ids.length === 0 ? [] : [tokenizer.clsId, ...ids, tokenizer.sepId];
    });
    const out: Float32Array[] = texts.map(() => new Float32Array(0));
    const todo = seqs.map((s, i) => i).filter((i) => seqs[i].length > 0);
    const maxSequences = this.options.maxBatchSequences ?? 32;
    for (const batch of planBatches(todo.map((i) => seqs[i].length), maxLength * maxSequences, maxSequences)) {
      const width = seqs[todo[batch[0]]].length;
      const ids = new BigInt64Array(batch.length * width);
      const mask = new BigInt64Array(batch.length * width);
      batch.forEach((b, row) => fillRow(ids, mask, row * width, seqs[todo[b]]));
      const res = await this.onnx.run(ids, mask, batch.length, width);
      const hidden = res.dims[res.dims.length - 1];
      batch.forEach((b, row) => {
        const doc = todo[b];
        const v = res.dims.length === 2 ? res.data.slice(row * hidden, (row + 1) * hidden) : poolSequence(res.data, row, width, hidden, seqs[doc].length, this.options.pooling);
        out[doc] = this.options.normalize ? l2Normalize(v) : v;
      });
    }
    return out;
  }

  async close(): Promise<void> {
    await this.onnx.close();
  }
}

/** A dense vector in the pool's transfer format: entry j of the row is dimension j. */
export function asEncodedDocument(v: Float32Array): EncodedDocument {
  return { vector: { indices: Uint32Array.from(v.keys()), values: v }, length: v.length };
}

export function vectorOf(d: EncodedDocument): Float32Array {
  return d.vector.values;
}

/** Texts per pool task. */
const TEXTS_PER_TASK = 16;

/** The main-thread side: embeds texts in the encoder pool. */
export class DenseEncoder {
  readonly version: string;

  private constructor(
    model: ModelDir,
    private readonly spec: EncoderSpec,
    private readonly pool: EncoderPool,
    readonly dims: number,
  ) {
    this.version = `dense:${modelFingerprint(model)}:${spec.kind === 'dense' ? `${spec.pooling}${spec.normalize ? ':norm' : ''}` : ''}`;
  }

  /** Loads the model directory and runs one text through a worker to learn (and check) the width. */
  static async open(options: { modelDir: string; pooling: DensePooling; normalize: boolean; intraOpThreads: number; pool: EncoderPool }): Promise<DenseEncoder> {
    const model = loadModelDir(options.modelDir);
    const spec: EncoderSpec = { kind: 'dense', modelDir: model.dir, pooling: options.pooling, normalize: options.normalize, intraOpThreads: options.intraOpThreads };
    const [probe] = await options.pool.run(spec, ['dimension probe']);
    return new DenseEncoder(model, spec, options.pool, vectorOf(probe).length);
  }

  async embed(texts: string[]): Promise<Float32Array[]> {
    checkTexts(texts);
    return (await this.pool.runAll(this.spec, texts, TEXTS_PER_TASK)).map(vectorOf);
  }

  async embedQuery(text: string): Promise<Float32Array> {
    checkText(text);
    const [doc] = await this.pool.run(this.spec, [text]);
    return vectorOf(doc);
  }
}

/** The dense encoder a collection's dense field names (INVALID_CONFIG when its width is not `dims`). */
export async function openDenseEncoder(dense: { dims: number; model?: string; pooling?: DensePooling; normalize?: boolean }, cpu: CpuConfig): Promise<DenseEncoder> {
  if (!dense.model) throw new AppError('INVALID_CONFIG', 'dense.model is not set', { extra: { option: 'dense.model' } });
  const enc = await DenseEncoder.open({ modelDir: dense.model, pooling: dense.pooling ?? 'mean', normalize: dense.normalize ?? true, intraOpThreads: cpu.onnxIntraOpThreads, pool: getEncoderPool(cpu) });
  if (enc.dims !== dense.dims) throw new AppError('INVALID_CONFIG', `dense.model outputs ${enc.dims} dimensions but dense.dims is ${dense.dims}`, { extra: { option: 'dense.dims' } });
  return enc;
}
