/**
 * Validation and encoding of documents before they reach the store: every error a user can cause
 * is found here, before anything is written (a batch is all-or-nothing).
 */
import type { SparseVector } from '../../core/types.js';
import type { DenseEncoder } from '../../encoder/dense.js';
import type { SparseEncoder } from '../../encoder/types.js';
import { AppError } from '../../errors.js';
import { checkDenseVectors } from '../../index/native.js';
import type { FilterIndex } from '../segments/filter-index.js';
import { parseSparseInput } from './sparse-input.js';
import type { CollectionConfig, DocumentInput } from '../types.js';

export const USER_VECTOR_VERSION = 'user';
const MAX_ID_LENGTH = 512;

export interface PreparedDocument {
  id: string;
  title: string | null;
  text: string | null;
  metadata: Record<string, unknown> | undefined;
  vector: SparseVector;
  tf: boolean;
  length: number;
  encoderVersion: string;
  dense: Float32Array | null;
  tokens?: string[];
}

export interface PrepareContext {
  config: CollectionConfig;
  encoder?: SparseEncoder;
  /** embeds texts of documents that bring no dense vector (collections with dense.model) */
  denseEncoder?: DenseEncoder;
  filters: FilterIndex;
  tokenToId(token: string): number | undefined;
}

export async function prepareDocuments(docs: DocumentInput[], ctx: PrepareContext): Promise<PreparedDocument[]> {
  if (!Array.isArray(docs) || docs.length === 0) throw new AppError('VALIDATION_ERROR', 'documents must be a non-empty array');
  const seen = new Set<string>();
  const out: PreparedDocument[] = [];
  const toEncode: number[] = [];
  docs.forEach((d, i) => {
    const what = `documents[${i}]`;
    if (d === null || typeof d !== 'object') throw new AppError('VALIDATION_ERROR', `${what} must be an object`);
    if (typeof d.id !== 'string' || d.id.length === 0 || d.id.length > MAX_ID_LENGTH) {
      throw new AppError('VALIDATION_ERROR', `${what}.id must be a non-empty string of at most ${MAX_ID_LENGTH} characters`);
    }
    if (seen.has(d.id)) throw new AppError('VALIDATION_ERROR', `${what}.id "${d.id}" appears twice in the batch`);
    seen.add(d.id);
    for (const f of ['title', 'text'] as const) {
      if (d[f] !== undefined && typeof d[f] !== 'string') throw new AppError('VALIDATION_ERROR', `${what}.${f} must be a string`);
    }
    if (d.metadata !== undefined && (d.metadata === null || typeof d.metadata !== 'object' || Array.isArray(d.metadata))) {
      throw new AppError('VALIDATION_ERROR', `${what}.metadata must be an object`);
    }
    ctx.filters.validate(d.metadata, what);
    const dense = parseDense(d.dense, ctx.config, `${what}.dense`);
    const content = encodedContent(d.title, d.text);
    if (d.sparse === undefined && content.length === 0) {
      throw new AppError('MISSING_CONTENT', `${what} has neither text (or title) nor a sparse vector`);
    }
    const vector = d.sparse === undefined ? { indices: new Uint32Array(0), values: new Float32Array(0) } : parseSparseInput(d.sparse, ctx.tokenToId, `${what}.sparse`);
    if (d.sparse === undefined) toEncode.push(i);
    out.push({
      id: d.id,
      title: d.title ?? null,
      text: d.text ?? null,
      metadata: d.metadata,
      vector,
      tf: false,
      length: 0,
      encoderVersion: USER_VECTOR_VERSION,
      dense,
    });
  });
  if (toEncode.length > 0) {
    if (!ctx.encoder) throw new AppError('INVALID_CONFIG', 'this collection has no encoder: send documents with a sparse vector');
    const texts = toEncode.map((i) => encodedContent(docs[i].title, docs[i].text));
    const encoded = await ctx.encoder.encodeDocuments(texts);
    toEncode.forEach((i, j) => {
      const e = encoded[j];
      Object.assign(out[i], {
        vector: e.vector,
        tf: ctx.encoder!.weighting === 'bm25',
        length: e.length,
        encoderVersion: ctx.encoder!.version,
        tokens: e.tokens,
      });
    });
  }
  const toEmbed = ctx.denseEncoder ? out.map((p, i) => i).filter((i) => out[i].dense === null && [docs[i].title, docs[i].text].some((s) => s)) : [];
  if (toEmbed.length > 0) {
    const vectors = await ctx.denseEncoder!.embed(toEmbed.map((i) => encodedContent(docs[i].title, docs[i].text)));
    toEmbed.forEach((i, j) => (out[i].dense = vectors[j].length > 0 ? vectors[j] : null));
  }
  out.forEach((p, i) => checkStoredForm(p, ctx.config, `documents[${i}]`));
  return out;
}

/** The text an encoder reads for a document: its title and text, joined by a newline when both are there. */
export function encodedContent(title: string | null | undefined, text: string | null | undefined): string {
  return [title, text].filter((s): s is string => typeof s === 'string' && s.length > 0).join('\n');
}

/**
 * The last check before the commit, on exactly what will be stored and applied (float32 values,
 * whatever produced them: the request, the sparse encoder or the dense model), by the rules the
 * native index applies to it: term ids strictly increasing, weights finite and >= 0; a dense
 * vector of `dims` finite values with a non-zero norm under cosine. An acknowledged write can
 * then always be applied.
 */
export function checkStoredForm(p: Pick<PreparedDocument, 'id' | 'vector' | 'dense'>, config: CollectionConfig, what: string): void {
  const bad = (code: 'INVALID_SPARSE_VECTOR' | 'INVALID_DENSE_VECTOR', field: 'sparse' | 'dense', message: string) =>
    new AppError(code, `${what}.${field} ${message}`, { extra: { document: p.id, field } });
  const { indices, values } = p.vector;
  if (indices.length !== values.length) throw bad('INVALID_SPARSE_VECTOR', 'sparse', `has ${indices.length} term ids but ${values.length} weights`);
  for (let j = 0; j < indices.length; j++) {
    if (j > 0 && indices[j] <= indices[j - 1]) throw bad('INVALID_SPARSE_VECTOR', 'sparse', `term ids are not strictly increasing at ${j}`);
    if (!Number.isFinite(values[j]) || values[j] < 0) throw bad('INVALID_SPARSE_VECTOR', 'sparse', `weight ${values[j]} of term ${indices[j]} is not a finite float32 >= 0`);
  }
  if (p.dense === null) return;
  if (!config.dense) throw new AppError('DENSE_NOT_CONFIGURED', `${what}.dense: this collection has no dense field`);
  if (p.dense.length !== config.dense.dims) throw bad('INVALID_DENSE_VECTOR', 'dense', `has ${p.dense.length} values; the collection's dense.dims is ${config.dense.dims}`);
  try {
    checkDenseVectors(p.dense, config.dense.dims, config.dense.metric);
  } catch (error) {
    throw bad('INVALID_DENSE_VECTOR', 'dense', `${(error as Error).message.replace(/^vectors row \d+ /, '')} (stored as float32)`);
  }
}

export function parseDense(dense: unknown, config: CollectionConfig, what: string): Float32Array | null {
  if (dense === undefined) return null;
  if (!config.dense) throw new AppError('DENSE_NOT_CONFIGURED', `${what}: this collection has no dense field`);
  if (!Array.isArray(dense) || dense.length !== config.dense.dims || !dense.every((x) => typeof x === 'number' && Number.isFinite(x))) {
    throw new AppError('INVALID_DENSE_VECTOR', `${what} must be an array of ${config.dense.dims} finite numbers`);
  }
  return Float32Array.from(dense);
}

/** Why a stored row cannot be loaded (checked at open: rows written before these checks existed, or damaged), or undefined. */
export function storedRowProblem(row: Pick<PreparedDocument, 'id' | 'vector' | 'dense'> & { metadata: string | null }, config: CollectionConfig): string | undefined {
  try {
    checkStoredForm(row, config, `stored document ${JSON.stringify(row.id)}`);
    if (row.metadata !== null) JSON.parse(row.metadata);
    return undefined;
  } catch (error) {
    return `${error instanceof AppError ? `${error.code}: ` : 'metadata is not JSON: '}${(error as Error).message}`;
  }
}
