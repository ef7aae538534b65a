/**
 * The server's SPLADE encoder (the same class, pool and batching) used by `sparrow encode` and
 * `sparrow encode-worker`, with a fingerprint per side: a hash of everything that decides the
 * vectors' bits — model and tokenizer files, idf.json for inference-free queries, the encoder's
 * batching constants, the query mode, pruning, and the onnxruntime version. Two encoders with
 * one fingerprint write the same vectors for the same batch of texts.
 */
import crypto from 'node:crypto';
import { defaultCpu, type CpuConfig } from '../config.js';
import type { SparseVector } from '../core/types.js';
import { createEncoder } from '../encoder/factory.js';
import { onnxRuntimeVersion } from '../encoder/onnx.js';
import { SPLADE_DEFAULTS } from '../encoder/splade.js';
import { DOCS_PER_TASK, SpladeEncoder, type SpladeQueryMode } from '../encoder/splade-encoder.js';
import { AppError } from '../errors.js';
import type { EncodeSide } from './records.js';

/** Encoding format version: bump when the meaning of a batch changes. */
const FORMAT = 1;

/** The CPU budget of an encode process: `threads` encoder workers, nothing else running. */
export function encodeCpu(threads: number): CpuConfig {
  return { ...defaultCpu(), encoderWorkers: threads };
}

export class ModelEncoder {
  private constructor(private readonly splade: SpladeEncoder) {}

  static async open(options: { modelDir: string; query?: SpladeQueryMode; cpu: CpuConfig }): Promise<ModelEncoder> {
    const encoder = await createEncoder({ kind: 'splade', model: options.modelDir, ...(options.query ? { query: options.query } : {}) }, options.cpu);
    if (!(encoder instanceof SpladeEncoder)) throw new AppError('INTERNAL', 'a splade config made another encoder');
    return new ModelEncoder(encoder);
  }

  get modelDir(): string {
    return this.splade.model.dir;
  }

  /** What the fingerprint of a side is made of (named in refusals). */
  parts(side: EncodeSide): Record<string, unknown> {
    const { model, queryMode } = this.splade;
    const inferenceFree = side === 'query' && queryMode === 'inference-free';
    return {
      format: FORMAT,
      side,
      encoder: this.splade.version, // model + tokenizer file hash, pruning
      maxLength: model.maxLength,
      vocabSize: model.tokenizer.vocabSize,
      batching: { ...SPLADE_DEFAULTS, intraOpThreads: undefined, docsPerTask: DOCS_PER_TASK },
      query: side === 'query' ? queryMode : undefined,
      idf: inferenceFree && model.idf ? crypto.createHash('sha256').update(new Uint8Array(model.idf.buffer)).digest('hex').slice(0, 16) : undefined,
      onnxruntime: onnxRuntimeVersion(),
    };
  }

  fingerprint(side: EncodeSide): string {
    return crypto.createHash('sha256').update(JSON.stringify(this.parts(side))).digest('hex').slice(0, 24);
  }

  /** Vectors of a batch exactly as the server computes them for the same batch of texts. */
  async encode(side: EncodeSide, texts: string[]): Promise<SparseVector[]> {
    if (side === 'document') return (await this.splade.encodeDocuments(texts)).map((d) => d.vector);
    return Promise.all(texts.map((t) => this.splade.encodeQuery(t)));
  }

  async close(): Promise<void> {
    await this.splade.close();
  }
}
