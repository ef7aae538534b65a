/**
 * SPLADE document (and siamese query) encoding over an ONNX model directory.
 *
 * Long texts: the token ids are cut into chunks of (max length − 2) tokens, each chunk becomes
 * [CLS] chunk [SEP], and the chunks are max-pooled into one vector — the same max the model uses
 * over positions, so a text that fits gives exactly the unchunked result. At most `maxChunks`
 * chunks are read (default 8, i.e. 4,080 tokens at max length 512); the tokenizer stops there, so a
 * 1 MB text costs bounded time and memory. Sequences of all documents in a call are sorted by
 * length and grouped so that one batch's logits stay under `logitsBudgetBytes`.
 */
import os from 'node:os';
import { checkTexts } from './check-input.js';
import type { EncodedDocument } from './types.js';
import { loadModelDir, type ModelDir } from './model-dir.js';
import { openOnnxModel, type OnnxSparseModel } from './onnx.js';
import type { SparseVector } from '../core/types.js';
import { denseToSparse, logSaturate, maxPoolLogits, maxPoolLogitsArg, maxPoolRow, pruneSparse, validatePrune, type PruneOptions } from './splade-math.js';

export interface SpladeOptions {
  prune?: PruneOptions;
  /** chunks read per text (default 8) */
  maxChunks?: number;
  /** bound on one batch's float32 logits (default 64 MiB) */
  logitsBudgetBytes?: number;
  /** bound on sequences per batch (default 32) */
  maxBatchSequences?: number;
  intraOpThreads?: number;
}

export const SPLADE_DEFAULTS = { maxChunks: 8, logitsBudgetBytes: 64 * 1024 * 1024, maxBatchSequences: 32, intraOpThreads: 1 } as const;

interface Sequence {
  doc: number;
  /** index of the chunk in its text */
  chunk: number;
  ids: number[];
}

/** Groups sequence indices (sorted by length, longest first) into batches within the bounds. */
export function planBatches(lengths: readonly number[], maxTokensPerBatch: number, maxSequences: number): number[][] {
  const order = lengths.map((_, i) => i).sort((a, b) => lengths[b] - lengths[a] || a - b);
  const batches: number[][] = [];
  let current: number[] = [];
  for (const i of order) {
    const width = current.length > 0 ? lengths[current[0]] : lengths[i];
    if (current.length > 0 && (current.length >= maxSequences || (current.length + 1) * width > maxTokensPerBatch)) {
      batches.push(current);
      current = [];
    }
    current.push(i);
  }
  if (current.length > 0) batches.push(current);
  return batches;
}

const LITTLE_ENDIAN = os.endianness() === 'LE';

/** Writes token ids and mask ones as int64 at `offset`: through 32-bit halves on little-endian
 * machines (ids are < 2^31), which is much cheaper than one BigInt per token. */
export function fillRow(ids: BigInt64Array, mask: BigInt64Array, offset: number, seq: readonly number[]): void {
  if (LITTLE_ENDIAN) {
    const ids32 = new Int32Array(ids.buffer, ids.byteOffset, ids.length * 2);
    const mask32 = new Int32Array(mask.buffer, mask.byteOffset, mask.length * 2);
    for (let t = 0; t < seq.length; t++) {
      ids32[2 * (offset + t)] = seq[t];
      mask32[2 * (offset + t)] = 1;
    }
  } else {
    for (let t = 0; t < seq.length; t++) {
      ids[offset + t] = BigInt(seq[t]);
      mask[offset + t] = 1n;
    }
  }
}

export class SpladeDocumentEncoder {
  private constructor(
    readonly model: ModelDir,
    private readonly onnx: OnnxSparseModel,
    private readonly options: Required<Omit<SpladeOptions, 'prune' | 'intraOpThreads'>> & { prune: PruneOptions },
  ) {}

  static async open(dir: string, options: SpladeOptions = {}): Promise<SpladeDocumentEncoder> {
    const prune = validatePrune(options.prune);
    const model = loadModelDir(dir);
    const onnx = await openOnnxModel(model.modelFile, {
      intraOpThreads: options.intraOpThreads ?? SPLADE_DEFAULTS.intraOpThreads,
      vocabSize: model.tokenizer.vocabSize,
    });
    return new SpladeDocumentEncoder(model, onnx, {
      maxChunks: options.maxChunks ?? SPLADE_DEFAULTS.maxChunks,
      logitsBudgetBytes: options.logitsBudgetBytes ?? SPLADE_DEFAULTS.logitsBudgetBytes,
      maxBatchSequences: options.maxBatchSequences ?? SPLADE_DEFAULTS.maxBatchSequences,
      prune,
    });
  }

  get outputRank(): 2 | 3 {
    return this.onnx.outputRank;
  }

  /** The model-input sequences of one text: [CLS] chunk [SEP] per chunk; none for an empty text. */
  sequencesOf(text: string): number[][] {
    const { tokenizer, maxLength } = this.model;
    const window = maxLength - 2;
    const ids = tokenizer.encode(text, window * this.options.maxChunks);
    const out: number[][] = [];
    for (let start = 0; start < ids.length; start += window) out.push([tokenizer.clsId, ...ids.slice(start, start + window), tokenizer.sepId]);
    return out;
  }

  async encode(texts: string[]): Promise<EncodedDocument[]> {
    const vocab = this.model.tokenizer.vocabSize;
    const accs = new Map<number, Float32Array>();
    const rank3 = this.onnx.outputRank === 3;
    const lengths = await this.runChunks(texts, (doc, _chunk, data, row, width, length) => {
      let acc = accs.get(doc);
      if (acc === undefined) accs.set(doc, (acc = new Float32Array(vocab)));
      if (rank3) maxPoolLogits(acc, data, row, width, length);
      else maxPoolRow(acc, data, row);
    });
    return texts.map((_, doc) => ({ vector: this.finish(accs.get(doc)), length: lengths[doc] }));
  }

  /**
   * Attribution: the same vectors as encode(), but each value is where the term's max came from —
   * the index of the token in the text (as tokenizer.encode reads it), or CLS_POSITION / SEP_POSITION.
   * undefined for a model whose output is already pooled (no positions to tell).
   */
  async attribute(texts: string[]): Promise<EncodedDocument[] | undefined> {
    if (this.onnx.outputRank !== 3) return undefined;
    const vocab = this.model.tokenizer.vocabSize;
    const window = this.model.maxLength - 2;
    const state = new Map<number, { acc: Float32Array; arg: Int32Array }>();
    const lengths = await this.runChunks(texts, (doc, chunk, data, row, width, length) => {
      let s = state.get(doc);
      if (s === undefined) state.set(doc, (s = { acc: new Float32Array(vocab), arg: new Int32Array(vocab) }));
      maxPoolLogitsArg(s.acc, s.arg, data, row, width, length, chunk * window);
    });
    return texts.map((_, doc) => {
      const s = state.get(doc);
      const vector = this.finish(s?.acc);
      const positions = Float32Array.from(vector.indices, (j) => s!.arg[j]);
      return { vector: { indices: vector.indices, values: positions }, length: lengths[doc] };
    });
  }

  /** Pooled logits -> the stored vector: special tokens' dimensions zeroed (logits models), saturated, pruned. */
  private finish(acc: Float32Array | undefined): SparseVector {
    if (acc === undefined) return { indices: new Uint32Array(0), values: new Float32Array(0) };
    // OpenSearch zeroes the special tokens' own dimensions of the pooled logits; a pooled graph is used as is.
    const logits = this.onnx.outputRank === 3;
    return pruneSparse(denseToSparse(logits ? logSaturate(acc) : acc, logits ? this.model.tokenizer.specialIds : []), this.options.prune);
  }

  /** Runs every chunk of every text through the model in planned batches; `visit` sees each row's output. Returns token counts. */
  private async runChunks(texts: string[], visit: (doc: number, chunk: number, data: Float32Array, row: number, width: number, length: number) => void): Promise<number[]> {
    checkTexts(texts);
    const vocab = this.model.tokenizer.vocabSize;
    const sequences: Sequence[] = [];
    const lengths = new Array<number>(texts.length).fill(0);
    texts.forEach((text, doc) => {
      this.sequencesOf(text).forEach((ids, chunk) => {
        sequences.push({ doc, chunk, ids });
        lengths[doc] += ids.length - 2;
      });
    });
    const perToken = this.onnx.outputRank === 3 ? vocab * 4 : 1;
    const maxTokens = Math.max(this.model.maxLength, Math.floor(this.options.logitsBudgetBytes / perToken));
    for (const batch of planBatches(sequences.map((s) => s.ids.length), maxTokens, this.options.maxBatchSequences)) {
      const width = sequences[batch[0]].ids.length;
      const ids = new BigInt64Array(batch.length * width);
      const mask = new BigInt64Array(batch.length * width);
      batch.forEach((s, row) => fillRow(ids, mask, row * width, sequences[s].ids));
      const out = await this.onnx.run(ids, mask, batch.length, width);
      batch.forEach((s, row) => visit(sequences[s].doc, sequences[s].chunk, out.data, row, width, sequences[s].ids.length));
    }
    return lengths;
  }

  async close(): Promise<void> {
    await this.onnx.close();
  }
}
