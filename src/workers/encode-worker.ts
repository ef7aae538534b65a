/**
 * Worker entry of the encoder pool. Each worker keeps one encoder per spec, created on its first
 * task (an ONNX session per worker, loaded lazily). Errors come back as data so their stable code
 * survives the thread boundary.
 */
import { move, transferableSymbol, valueSymbol } from 'piscina';
import { AppError } from '../errors.js';
import { getAnalyzer } from '../encoder/analyzer.js';
import { encodeLexicalDocument } from '../encoder/lexical-document.js';
import { asEncodedDocument, DenseDocumentEncoder } from '../encoder/dense.js';
import { SpladeDocumentEncoder } from '../encoder/splade.js';
import type { EncodedDocument } from '../encoder/types.js';
import { packDocuments, specKey, transferablesOf, type EncodeReply, type EncodeTask, type EncoderSpec } from './protocol.js';

interface DocumentEncoder {
  encode(texts: string[]): Promise<EncodedDocument[]>;
  /** SPLADE: where each term's weight comes from (undefined: the model's output is pooled) */
  attribute?(texts: string[]): Promise<EncodedDocument[] | undefined>;
}
const encoders = new Map<string, Promise<DocumentEncoder>>();

async function create(spec: EncoderSpec): Promise<DocumentEncoder> {
  if (spec.kind === 'lexical') {
    const analyzer = getAnalyzer(spec.analyzer);
    return { encode: async (texts) => texts.map((t) => encodeLexicalDocument(analyzer, t)) };
  }
  if (spec.kind === 'dense') {
    const dense = await DenseDocumentEncoder.open(spec.modelDir, spec);
    return { encode: async (texts) => (await dense.encode(texts)).map(asEncodedDocument) };
  }
  const splade = await SpladeDocumentEncoder.open(spec.modelDir, { prune: spec.prune, maxChunks: spec.maxChunks, intraOpThreads: spec.intraOpThreads });
  return { encode: (texts) => splade.encode(texts), attribute: (texts) => splade.attribute(texts) };
}

export default async function encode(task: EncodeTask): Promise<unknown> {
  let reply: EncodeReply;
  try {
    const key = specKey(task.spec);
    let encoder = encoders.get(key);
    if (encoder === undefined) {
      encoder = create(task.spec);
      encoders.set(key, encoder);
      encoder.catch(() => encoders.delete(key));
    }
    const e = await encoder;
    if (task.attribute) {
      if (e.attribute === undefined) throw new AppError('VALIDATION_ERROR', `attribution needs a SPLADE encoder, not ${task.spec.kind}`);
      const docs = await e.attribute(task.texts);
      reply = docs === undefined ? { ok: true, docs: packDocuments([]), pooled: true } : { ok: true, docs: packDocuments(docs) };
    } else {
      reply = { ok: true, docs: packDocuments(await e.encode(task.texts)) };
    }
  } catch (err) {
    const code = err instanceof AppError ? err.code : 'INTERNAL';
    return { ok: false, code, message: (err as Error).message } satisfies EncodeReply;
  }
  // Piscina moves the listed buffers instead of copying them.
  return move({ [transferableSymbol]: transferablesOf(reply.docs), [valueSymbol]: reply });
}
