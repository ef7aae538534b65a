/**
 * A SPLADE-shaped ONNX model over the bert-base-uncased vocabulary, written by the benchmark (no
 * Python, no download) so real text can be turned into expansion-style sparse vectors. Random
 * weights with TIED input/output embeddings: a token's hidden state is its own unit-norm embedding
 * plus a share of the masked mean of the sequence, and logit_j = gain_j · (hidden · embedding_j − TAU)
 * with gain_j = SCALE · idf_j / 8 (the bundled inference-free IDF: frequent tokens weigh little, as in
 * a trained SPLADE model), so a document keeps its own tokens and expands into the few vocabulary ids whose (random)
 * embeddings lie closest to its tokens and to its context: the same id always expands the same way,
 * as a trained model's related terms do. Not a trained model: its rankings mean nothing, only the
 * shape of its vectors (real-text term statistics, expansion, ~150 non-zeros per abstract) does.
 */
import fs from 'node:fs';
import path from 'node:path';
import onnxProto from 'onnx-proto';
import type * as P from 'onnx-proto';
import { BUNDLED_VOCAB } from '../../src/encoder/paths.js';
import { FLOAT, INT64, floats, int64s, io, node, pooledSparseNodes, uniform } from '../../scripts/make-tiny-model.js';

const { onnx } = onnxProto;

const HIDDEN = 24;
const MAX_POSITIONS = 512;
/** Share of the sequence's mean embedding added to each token's own (context-dependent expansion). */
const CONTEXT = 0.35;
/** Logit threshold on the cosine-like product: about 3.7 standard deviations of a random pair at HIDDEN 24. */
const TAU = 0.75;
const SCALE = 6;
/** Median IDF of the bundled table is about 8: a median token's gain is SCALE. */
const IDF_UNIT = 8;

function unitRows(data: Float32Array, rows: number, dims: number): Float32Array {
  for (let r = 0; r < rows; r++) {
    let n = 0;
    for (let d = 0; d < dims; d++) n += data[r * dims + d] ** 2;
    const inv = 1 / Math.sqrt(n || 1);
    for (let d = 0; d < dims; d++) data[r * dims + d] *= inv;
  }
  return data;
}

function buildModel(vocab: number, idf: Float32Array): Uint8Array {
  const gain = idf.map((x) => (SCALE * x) / IDF_UNIT);
  const word = unitRows(uniform(11, vocab * HIDDEN, 1), vocab, HIDDEN);
  const nodes: P.onnx.INodeProto[] = [
    node('Gather', ['word_emb', 'input_ids'], ['e_word']),
    node('Cast', ['attention_mask'], ['mask_f'], [{ name: 'to', type: onnx.AttributeProto.AttributeType.INT, i: FLOAT }]),
    node('Unsqueeze', ['mask_f', 'axis2'], ['mask3']),
    node('Mul', ['e_word', 'mask3'], ['e_masked']),
    node('ReduceSum', ['e_masked', 'axis1'], ['e_sum'], [{ name: 'keepdims', type: onnx.AttributeProto.AttributeType.INT, i: 1 }]),
    node('ReduceSum', ['mask3', 'axis1'], ['mask_sum'], [{ name: 'keepdims', type: onnx.AttributeProto.AttributeType.INT, i: 1 }]),
    node('Max', ['mask_sum', 'one_f'], ['mask_sum_safe']),
    node('Div', ['e_sum', 'mask_sum_safe'], ['ctx']),
    node('Mul', ['ctx', 'context_share'], ['ctx_part']),
    node('Add', ['e_word', 'ctx_part'], ['hidden']),
    node('Transpose', ['word_emb'], ['word_emb_t'], [{ name: 'perm', type: onnx.AttributeProto.AttributeType.INTS, ints: [1, 0] }]),
    node('MatMul', ['hidden', 'word_emb_t'], ['sim']),
    node('Sub', ['sim', 'tau'], ['sim_shift']),
    node('Mul', ['sim_shift', 'gain'], ['logits']),
    // pooled in the graph (the encoder takes [batch, vocab] outputs as they are)
    ...pooledSparseNodes('logits', 'mask3', 'one_f', 'sparse'),
  ];
  const model = onnx.ModelProto.create({
    irVersion: 8,
    producerName: 'sparrow bench splade-model',
    opsetImport: [{ domain: '', version: 13 }],
    graph: {
      name: 'bench_splade_tied',
      node: nodes,
      initializer: [
        floats('word_emb', [vocab, HIDDEN], word),
        floats('one_f', [], new Float32Array([1])),
        floats('context_share', [], new Float32Array([CONTEXT])),
        floats('tau', [], new Float32Array([TAU])),
        floats('gain', [vocab], gain),
        int64s('axis1', [1], [1]),
        int64s('axis2', [1], [2]),
      ],
      input: [io('input_ids', INT64, ['batch', 'tokens']), io('attention_mask', INT64, ['batch', 'tokens'])],
      output: [io('sparse', FLOAT, ['batch', String(vocab)])],
    },
  });
  return onnx.ModelProto.encode(model).finish();
}

/**
 * Writes the model directory (model.onnx, vocab.txt = the bundled bert-base-uncased vocabulary,
 * idf.json = the bundled OpenSearch inference-free IDF, config.json) unless it is there already.
 */
export function writeBenchSpladeModel(dir: string): string {
  if (fs.existsSync(path.join(dir, 'model.onnx'))) return dir;
  fs.mkdirSync(dir, { recursive: true });
  const vocab = fs.readFileSync(BUNDLED_VOCAB, 'utf8').split('\n').filter((l, i, all) => l !== '' || i < all.length - 1);
  fs.copyFileSync(BUNDLED_VOCAB, path.join(dir, 'vocab.txt'));
  const idfFile = path.join(path.dirname(BUNDLED_VOCAB), '..', 'opensearch-inference-free', 'idf.json');
  fs.copyFileSync(idfFile, path.join(dir, 'idf.json'));
  const idfOf = JSON.parse(fs.readFileSync(idfFile, 'utf8')) as Record<string, number>;
  const idf = Float32Array.from(vocab, (t) => idfOf[t] ?? 0);
  fs.writeFileSync(path.join(dir, 'config.json'), JSON.stringify({ model_type: 'bench-splade-tied', max_position_embeddings: MAX_POSITIONS, vocab_size: vocab.length }) + '\n');
  fs.writeFileSync(path.join(dir, 'model.onnx'), buildModel(vocab.length, idf));
  return dir;
}
