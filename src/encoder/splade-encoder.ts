/**
 * The SPLADE encoder as the engine sees it: documents (and siamese queries) run the model in the
 * worker pool; inference-free queries run inline on the calling thread with the model's idf.json.
 */
import type { SparseVector, TermId } from '../core/types.js';
import path from 'node:path';
import type { EncoderPool } from '../workers/pool.js';
import type { EncoderSpec } from '../workers/protocol.js';
import { inferenceFreeQuery } from './inference-free.js';
import { failLoad } from './load-error.js';
import { checkText, checkTexts } from './check-input.js';
import { loadModelDir, modelFingerprint, type ModelDir } from './model-dir.js';
import type { PruneOptions } from './splade-math.js';
import { SPLADE_DEFAULTS } from './splade.js';
import type { TokenOffsets } from './tokenizer.js';
import type { EncodedDocument, SparseEncoder } from './types.js';

/** Documents per pool task: big enough to batch, small enough to spread over the workers. */
export const DOCS_PER_TASK = 16;

export type SpladeQueryMode = 'inference-free' | 'siamese';

export class SpladeEncoder implements SparseEncoder {
  readonly kind = 'splade';
  readonly weighting = 'none';
  readonly version: string;

  private constructor(
    readonly model: ModelDir,
    readonly queryMode: SpladeQueryMode,
    private readonly spec: EncoderSpec,
    private readonly pool: EncoderPool,
    prune: PruneOptions,
  ) {
    this.version = `splade:${modelFingerprint(model)}${Object.keys(prune).length > 0 ? `:${JSON.stringify(prune)}` : ''}`;
  }

  /** Loads and checks the model directory; one worker opens the ONNX session to check the graph. */
  static async open(options: { modelDir: string; query?: SpladeQueryMode; prune: PruneOptions; maxChunks?: number; intraOpThreads: number; pool: EncoderPool }): Promise<SpladeEncoder> {
    const model = loadModelDir(options.modelDir);
    const query = options.query ?? (model.idf !== undefined ? 'inference-free' : 'siamese');
    if (query === 'inference-free' && model.idf === undefined) {
      failLoad(path.join(model.dir, 'idf.json'), 'missing: inference-free queries need idf.json');
    }
    const spec: EncoderSpec = { kind: 'splade', modelDir: model.dir, prune: options.prune, maxChunks: options.maxChunks, intraOpThreads: options.intraOpThreads };
    // An empty text runs no model, but the worker loads (and checks) the graph first.
    await options.pool.run(spec, ['']);
    return new SpladeEncoder(model, query, spec, options.pool, options.prune);
  }

  async encodeDocuments(texts: string[]): Promise<EncodedDocument[]> {
    checkTexts(texts);
    return this.pool.runAll(this.spec, texts, DOCS_PER_TASK);
  }

  async encodeQuery(text: string): Promise<SparseVector> {
    checkText(text);
    if (this.queryMode === 'inference-free') return this.encodeQuerySync(text);
    const [doc] = await this.pool.run(this.spec, [text]);
    return doc.vector;
  }

  /** Inference-free query encoding, synchronously. */
  encodeQuerySync(text: string): SparseVector {
    return inferenceFreeQuery(this.model.tokenizer, this.model.idf as Float32Array, text);
  }

  /** Where each term of the text's vector gets its weight: term id -> token index in tokenOffsets(text)
   * (or CLS_POSITION / SEP_POSITION); 'pooled' when the model's output has no positions. Runs the model. */
  async attribute(text: string): Promise<Map<TermId, number> | 'pooled'> {
    checkText(text);
    const result = await this.pool.attribute(this.spec, [text]);
    if (result === 'pooled') return result;
    const { indices, values } = result[0].vector;
    return new Map(Array.from(indices, (id, i) => [id, values[i]]));
  }

  /** Tokens read per document: (max length − 2) per chunk, at most maxChunks chunks, as the document encoder reads them. */
  get tokenLimit(): number {
    return (this.model.maxLength - 2) * (this.spec.kind === 'splade' ? (this.spec.maxChunks ?? SPLADE_DEFAULTS.maxChunks) : SPLADE_DEFAULTS.maxChunks);
  }

  tokenOffsets(text: string): TokenOffsets {
    return this.model.tokenizer.encodeWithOffsets(text, this.tokenLimit);
  }

  tokenOf(id: TermId): string | undefined {
    return this.model.tokenizer.tokenOf(id);
  }

  idOf(token: string): TermId | undefined {
    return this.model.tokenizer.idOf(token);
  }

  async close(): Promise<void> {}
}
