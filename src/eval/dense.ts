/**
 * Dense and hybrid rows of `sparrow eval`: document and query vectors come from JSONL files
 * ({"id": "...", "dense": [numbers]} per line, ids as in corpus.jsonl / queries.jsonl), since no
 * dense model runs here. The collection gets a dense field; the documents are indexed with their
 * vectors; then the same queries run as mode "dense", hybrid convex and hybrid RRF, beside the
 * sparse rows.
 */
import fs from 'node:fs';
import readline from 'node:readline';
import type { DocumentSink } from '../bulk/index-job.js';
import type { DenseConfig, DocumentInput, SearchRequest } from '../engine/types.js';
import { AppError } from '../errors.js';

export interface DenseEvalOptions {
  /** docid -> vector */
  docs: Map<string, number[]>;
  /** query id -> vector */
  queries: Map<string, number[]>;
  metric: DenseConfig['metric'];
  /** convex weight of the sparse side */
  alpha: number;
}

/** Reads {id, dense} lines; INVALID_DATASET naming the file and line on anything else. */
export async function readDenseJsonl(file: string): Promise<Map<string, number[]>> {
  const out = new Map<string, number[]>();
  let dims = -1;
  let lineNo = 0;
  const bad = (why: string): AppError => new AppError('INVALID_DATASET', `${file}:${lineNo}: ${why}`);
  if (!fs.existsSync(file)) throw new AppError('INVALID_DATASET', `${file}: no such file`);
  for await (const line of readline.createInterface({ input: fs.createReadStream(file), crlfDelay: Infinity })) {
    lineNo++;
    if (line.trim() === '') continue;
    let row: { id?: unknown; dense?: unknown };
    try {
      row = JSON.parse(line) as typeof row;
    } catch {
      throw bad('not JSON');
    }
    if (typeof row.id !== 'string' || row.id === '') throw bad('"id" must be a non-empty string');
    if (!Array.isArray(row.dense) || row.dense.length === 0 || !row.dense.every((x) => typeof x === 'number' && Number.isFinite(x))) {
      throw bad('"dense" must be a non-empty array of finite numbers');
    }
    if (dims >= 0 && row.dense.length !== dims) throw bad(`"dense" has ${row.dense.length} numbers; earlier lines have ${dims}`);
    dims = row.dense.length;
    out.set(row.id, row.dense as number[]);
  }
  if (out.size === 0) throw new AppError('INVALID_DATASET', `${file}: no vectors`);
  return out;
}

export function dimsOf(vectors: Map<string, number[]>): number {
  return vectors.values().next().value!.length;
}

/** Passes documents on with their vectors attached (a document without one is indexed sparse only). */
export class DenseAttachingSink implements DocumentSink {
  constructor(
    private readonly inner: DocumentSink,
    private readonly vectors: Map<string, number[]>,
  ) {}
  stored(ids: string[]): Promise<Set<string>> {
    return this.inner.stored(ids);
  }
  write(docs: DocumentInput[]): Promise<void> {
    return this.inner.write(docs.map((d) => (this.vectors.has(d.id) ? { ...d, dense: this.vectors.get(d.id) } : d)));
  }
  finish(): Promise<void> {
    return this.inner.finish();
  }
}

/** The dense and hybrid rows to run: report label, its parameters, and the request fields. */
export function densePasses(o: DenseEvalOptions): Array<{ mode: string; params: Record<string, number | string>; request: Partial<SearchRequest> }> {
  return [
    { mode: 'dense', params: {}, request: { mode: 'dense' } },
    { mode: 'hybrid-convex', params: { alpha: o.alpha }, request: { mode: 'hybrid', hybrid: { method: 'convex', alpha: o.alpha, normalization: 'min_max' } } },
    { mode: 'hybrid-rrf', params: { rankConstant: 60 }, request: { mode: 'hybrid', hybrid: { method: 'rrf', rankConstant: 60 } } },
  ];
}

/** The query's vector; INVALID_DATASET when the file lacks it (every judged query needs one). */
export function queryVectorOf(o: DenseEvalOptions, queryId: string): number[] {
  const v = o.queries.get(queryId);
  if (!v) throw new AppError('INVALID_DATASET', `the dense query file has no vector for query ${queryId}`);
  return v;
}
