/**
 * The only onnxruntime import. Opens a SPLADE-style graph, checks its inputs and output rank, and
 * runs batches of token ids. ONNX threads come from the CPU budget; spinning is off so idle
 * sessions do not burn the cores that search and the other workers share.
 */
// A namespace import: the default import breaks when tsx loads this file as CommonJS in a worker.
import * as ort from 'onnxruntime-node';
import { failLoad as fail } from './load-error.js';

export interface OnnxOutput {
  data: Float32Array;
  /** [batch, tokens, vocab] or [batch, vocab] */
  dims: readonly number[];
}

export interface OnnxSparseModel {
  /** 3: logits per position; 2: already pooled per sequence */
  readonly outputRank: 2 | 3;
  /** ids and mask are row-major [batch, tokens], padded with 0 */
  run(inputIds: BigInt64Array, attentionMask: BigInt64Array, batch: number, tokens: number): Promise<OnnxOutput>;
  close(): Promise<void>;
}

const KNOWN_INPUTS = new Set(['input_ids', 'attention_mask', 'token_type_ids']);
const OUTPUT_PREFERENCE = ['logits', 'sparse', 'output', 'last_hidden_state'];

/** allowSpinning (default false): ONNX Runtime's default busy-waits its threads after each run;
 * bench:encode measures the CPU that costs. */
/** `vocabSize`: the width the output must have per token (SPLADE logits); undefined for an embedding model (any width). */
export async function openOnnxModel(file: string, options: { intraOpThreads: number; vocabSize: number | undefined; allowSpinning?: boolean }): Promise<OnnxSparseModel> {
  const spin = options.allowSpinning === true ? '1' : '0';
  let session: ort.InferenceSession;
  try {
    session = await ort.InferenceSession.create(file, {
      intraOpNumThreads: options.intraOpThreads,
      interOpNumThreads: 1,
      executionMode: 'sequential',
      graphOptimizationLevel: 'all',
      logSeverityLevel: 3,
      extra: { session: { intra_op: { allow_spinning: spin }, inter_op: { allow_spinning: spin } } },
    });
  } catch (err) {
    fail(file, `is not a loadable ONNX model (${(err as Error).message})`, err);
  }
  for (const required of ['input_ids', 'attention_mask']) {
    if (!session.inputNames.includes(required)) fail(file, `the graph has no input named ${required} (inputs: ${session.inputNames.join(', ')})`);
  }
  const unknown = session.inputNames.filter((n) => !KNOWN_INPUTS.has(n));
  if (unknown.length > 0) fail(file, `the graph asks for inputs this encoder cannot feed: ${unknown.join(', ')}`);
  const withTypes = session.inputNames.includes('token_type_ids');
  const outputName = OUTPUT_PREFERENCE.find((n) => session.outputNames.includes(n)) ?? session.outputNames[0];
  const meta = session.outputMetadata.find((m) => m.name === outputName);
  const shape = meta !== undefined && meta.isTensor ? meta.shape : undefined;
  const checkShape = (dims: readonly (number | string)[]): 2 | 3 => {
    if (dims.length !== 2 && dims.length !== 3) fail(file, `output ${outputName} has rank ${dims.length}: expected logits [batch, tokens, vocab] or [batch, vocab]`);
    const last = dims[dims.length - 1];
    if (options.vocabSize !== undefined && typeof last === 'number' && last !== options.vocabSize) fail(file, `output ${outputName} has ${last} entries per token but the tokenizer has ${options.vocabSize} tokens`);
    return dims.length as 2 | 3;
  };
  const outputRank = shape !== undefined ? checkShape(shape) : 3;

  return {
    outputRank,
    async run(inputIds, attentionMask, batch, tokens) {
      const feeds: Record<string, ort.Tensor> = {
        input_ids: new ort.Tensor('int64', inputIds, [batch, tokens]),
        attention_mask: new ort.Tensor('int64', attentionMask, [batch, tokens]),
      };
      if (withTypes) feeds.token_type_ids = new ort.Tensor('int64', new BigInt64Array(batch * tokens), [batch, tokens]);
      const result = await session.run(feeds, [outputName]);
      const out = result[outputName];
      if (out.type !== 'float32') fail(file, `output ${outputName} is ${out.type}, expected float32`);
      if (checkShape(out.dims) !== outputRank || out.dims[0] !== batch) fail(file, `output ${outputName} has shape [${out.dims.join(', ')}]`);
      return { data: out.data as Float32Array, dims: out.dims };
    },
    async close() {
      await session.release();
    },
  };
}

/** The onnxruntime version (part of an encoder's fingerprint: another runtime may round differently). */
export function onnxRuntimeVersion(): string {
  return ort.env.versions.common;
}
