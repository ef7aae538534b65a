/**
 * Writes the tiny SPLADE-shaped ONNX model used as a test fixture (test/fixtures/tiny-splade):
 * a small WordPiece vocabulary, embeddings (word + position + token type) -> one layer that also
 * sees the masked mean of the sequence (so padding and the attention mask matter) -> logits
 * [batch, tokens, vocab]. Weights come from a seeded generator, exported so tests can redo the
 * same math in plain TypeScript. No Python: the graph is written with onnx-proto.
 *   npx tsx scripts/make-tiny-model.ts [outDir]
 * Variants (for tests of bad model directories and pooled outputs): see TinyModelOptions.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import onnxProto from 'onnx-proto';
import type * as P from 'onnx-proto';

const { onnx } = onnxProto;

export const HIDDEN = 8;
export const MAX_POSITIONS = 32;
const WORDS = ('the of and a to in is was for on with as by that are from at be this it or have has not which were these ' +
  'cell cells protein gene genes cancer patients study results blood risk disease effect treatment human expression ' +
  'search sparse vector index query model token text word').split(' ');
const LETTERS = 'abcdefghijklmnopqrstuvwxyz0123456789'.split('');
export const TINY_VOCAB: string[] = ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]', '.', ',', '-', '(', ')', ...LETTERS, ...LETTERS.map((c) => `##${c}`), ...WORDS.filter((w) => !LETTERS.includes(w))];

export interface TinyWeights {
  vocab: number;
  word: Float32Array; // [vocab, H]
  position: Float32Array; // [MAX_POSITIONS, H]
  type: Float32Array; // [2, H]
  w1: Float32Array; // [H, H] applied to the token's embedding
  w2: Float32Array; // [H, H] applied to the masked mean embedding
  b1: Float32Array; // [H]
  wOut: Float32Array; // [H, vocab]
  bOut: Float32Array; // [vocab]
}

/** mulberry32: a small deterministic PRNG, values in [-scale, scale). */
export function uniform(seed: number, n: number, scale: number): Float32Array {
  let a = seed >>> 0;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    out[i] = (((t ^ (t >>> 14)) >>> 0) / 4294967296) * 2 * scale - scale;
  }
  return out;
}

export function tinyWeights(vocab = TINY_VOCAB.length): TinyWeights {
  return {
    vocab,
    word: uniform(1, vocab * HIDDEN, 1),
    position: uniform(2, MAX_POSITIONS * HIDDEN, 0.3),
    type: uniform(3, 2 * HIDDEN, 0.3),
    w1: uniform(4, HIDDEN * HIDDEN, 0.8),
    w2: uniform(5, HIDDEN * HIDDEN, 0.8),
    b1: uniform(6, HIDDEN, 0.2),
    wOut: uniform(7, HIDDEN * vocab, 1),
    bOut: uniform(8, vocab, 0.5),
  };
}

export interface TinyModelOptions {
  /** declare and use token_type_ids (default true) */
  tokenTypes?: boolean;
  /** 'logits': [batch, tokens, vocab] (default); 'pooled': [batch, vocab] max over masked positions
   * of log(1 + relu(logit)); 'rank4': logits with an extra axis (a wrong model) */
  output?: 'logits' | 'pooled' | 'rank4';
}

export const FLOAT = onnx.TensorProto.DataType.FLOAT;
export const INT64 = onnx.TensorProto.DataType.INT64;

export function floats(name: string, dims: number[], data: Float32Array): P.onnx.ITensorProto {
  return { name, dims, dataType: FLOAT, rawData: new Uint8Array(data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength)) };
}
export function int64s(name: string, dims: number[], data: number[]): P.onnx.ITensorProto {
  return { name, dims, dataType: INT64, int64Data: data };
}
export function node(opType: string, input: string[], output: string[], attribute: P.onnx.IAttributeProto[] = []): P.onnx.INodeProto {
  return { opType, input, output, name: output[0], attribute };
}
export function io(name: string, elemType: number, dims: string[]): P.onnx.IValueInfoProto {
  return { name, type: { tensorType: { elemType, shape: { dim: dims.map((d) => (/^\d+$/.test(d) ? { dimValue: Number(d) } : { dimParam: d })) } } } };
}

/** max over the positions of log(1 + relu(logit)), padding positions multiplied to 0 (weights are >= 0): [batch, vocab]. */
export function pooledSparseNodes(logits: string, mask3: string, one: string, out: string): P.onnx.INodeProto[] {
  return [
    node('Relu', [logits], ['relu']),
    node('Add', ['relu', one], ['relu1']),
    node('Log', ['relu1'], ['logw']),
    node('Mul', ['logw', mask3], ['logw_masked']),
    node('ReduceMax', ['logw_masked'], [out], [
      { name: 'axes', type: onnx.AttributeProto.AttributeType.INTS, ints: [1] },
      { name: 'keepdims', type: onnx.AttributeProto.AttributeType.INT, i: 0 },
    ]),
  ];
}

/** The ONNX model bytes. */
export function buildTinyModel(options: TinyModelOptions = {}, w: TinyWeights = tinyWeights()): Uint8Array {
  const tokenTypes = options.tokenTypes ?? true;
  const output = options.output ?? 'logits';
  const V = w.vocab;
  const nodes: P.onnx.INodeProto[] = [
    node('Gather', ['word_emb', 'input_ids'], ['e_word']),
    node('Shape', ['input_ids'], ['ids_shape']),
    node('Gather', ['ids_shape', 'one'], ['seq_len'], [{ name: 'axis', type: onnx.AttributeProto.AttributeType.INT, i: 0 }]),
    node('Range', ['zero', 'seq_len', 'one'], ['positions']),
    node('Gather', ['pos_emb', 'positions'], ['e_pos']),
    node('Add', ['e_word', 'e_pos'], ['e_wp']),
  ];
  if (tokenTypes) nodes.push(node('Gather', ['type_emb', 'token_type_ids'], ['e_type']), node('Add', ['e_wp', 'e_type'], ['emb']));
  else nodes.push(node('Identity', ['e_wp'], ['emb']));
  nodes.push(
    node('Cast', ['attention_mask'], ['mask_f'], [{ name: 'to', type: onnx.AttributeProto.AttributeType.INT, i: FLOAT }]),
    node('Unsqueeze', ['mask_f', 'axis2'], ['mask3']),
    node('Mul', ['emb', 'mask3'], ['emb_masked']),
    node('ReduceSum', ['emb_masked', 'axis1'], ['emb_sum'], [{ name: 'keepdims', type: onnx.AttributeProto.AttributeType.INT, i: 1 }]),
    node('ReduceSum', ['mask3', 'axis1'], ['mask_sum'], [{ name: 'keepdims', type: onnx.AttributeProto.AttributeType.INT, i: 1 }]),
    node('Max', ['mask_sum', 'one_f'], ['mask_sum_safe']),
    node('Div', ['emb_sum', 'mask_sum_safe'], ['ctx']),
    node('MatMul', ['emb', 'w1'], ['h1']),
    node('MatMul', ['ctx', 'w2'], ['h2']),
    node('Add', ['h1', 'h2'], ['h12']),
    node('Add', ['h12', 'b1'], ['h_pre']),
    node('Relu', ['h_pre'], ['hidden']),
    node('MatMul', ['hidden', 'w_out'], ['logits_raw']),
  );
  let outName = 'logits';
  let outDims = ['batch', 'tokens', String(V)];
  if (output === 'logits') nodes.push(node('Add', ['logits_raw', 'b_out'], ['logits']));
  else if (output === 'rank4') {
    nodes.push(node('Add', ['logits_raw', 'b_out'], ['logits3']), node('Unsqueeze', ['logits3', 'axis3'], ['logits']));
    outDims = ['batch', 'tokens', String(V), '1'];
  } else {
    nodes.push(node('Add', ['logits_raw', 'b_out'], ['logits3']), ...pooledSparseNodes('logits3', 'mask3', 'one_f', 'sparse'));
    outName = 'sparse';
    outDims = ['batch', String(V)];
  }
  const inputs = [io('input_ids', INT64, ['batch', 'tokens']), io('attention_mask', INT64, ['batch', 'tokens'])];
  if (tokenTypes) inputs.push(io('token_type_ids', INT64, ['batch', 'tokens']));
  const initializer = [
    floats('word_emb', [V, HIDDEN], w.word),
    floats('pos_emb', [MAX_POSITIONS, HIDDEN], w.position),
    floats('w1', [HIDDEN, HIDDEN], w.w1),
    floats('w2', [HIDDEN, HIDDEN], w.w2),
    floats('b1', [HIDDEN], w.b1),
    floats('w_out', [HIDDEN, V], w.wOut),
    floats('b_out', [V], w.bOut),
    floats('one_f', [], new Float32Array([1])),
    int64s('zero', [], [0]),
    int64s('one', [], [1]),
    int64s('axis1', [1], [1]),
    int64s('axis2', [1], [2]),
  ];
  if (output === 'rank4') initializer.push(int64s('axis3', [1], [3]));
  if (tokenTypes) initializer.push(floats('type_emb', [2, HIDDEN], w.type));
  const model = onnx.ModelProto.create({
    irVersion: 8,
    producerName: 'sparrow make-tiny-model',
    opsetImport: [{ domain: '', version: 13 }],
    graph: { name: 'tiny_splade', node: nodes, initializer, input: inputs, output: [io(outName, FLOAT, outDims)] },
  });
  return onnx.ModelProto.encode(model).finish();
}

/** Writes a model directory: model.onnx, vocab.txt, idf.json, config.json. */
export function writeTinyModelDir(dir: string, options: TinyModelOptions = {}): void {
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'model.onnx'), buildTinyModel(options));
  fs.writeFileSync(path.join(dir, 'vocab.txt'), TINY_VOCAB.join('\n') + '\n');
  const idf = Object.fromEntries(TINY_VOCAB.map((t, i) => [t, t.startsWith('[') ? 1 : Number((1 + (i % 7) * 0.5).toFixed(2))]));
  fs.writeFileSync(path.join(dir, 'idf.json'), JSON.stringify(idf));
  fs.writeFileSync(path.join(dir, 'config.json'), JSON.stringify({ model_type: 'tiny-splade', max_position_embeddings: MAX_POSITIONS, vocab_size: TINY_VOCAB.length }, null, 2) + '\n');
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
  const out = process.argv[2] ?? path.join('test', 'fixtures', 'tiny-splade');
  writeTinyModelDir(out);
  console.log(`wrote ${out}: vocabulary ${TINY_VOCAB.length}, hidden ${HIDDEN}, max positions ${MAX_POSITIONS}`);
}
