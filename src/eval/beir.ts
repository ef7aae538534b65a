/**
 * BEIR datasets on disk: corpus.jsonl (`_id`, `title`, `text`, `metadata`; optional `sparse`,
 * `dense`), queries.jsonl (`_id`, `text`) and qrels/<split>.tsv (`query-id corpus-id score`, one
 * header line). The corpus is streamed line by line so that a corpus larger than memory can be
 * indexed; queries and qrels are small and loaded whole.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Qrels } from '../core/metrics.js';
import type { DocumentInput, SparseInput } from '../engine/types.js';
import { AppError } from '../errors.js';

/** One line of a JSONL file: either a parsed document or the reason it could not be used. */
export type CorpusLine = ({ doc: DocumentInput } | { error: string }) & { lineNo: number; /** bytes of the file read so far */ bytes: number };

export interface BeirPaths {
  corpus: string;
  queries: string;
  qrels: string;
}

function invalid(message: string): AppError {
  return new AppError('INVALID_DATASET', message);
}

/** The files of a BEIR folder; a missing file is INVALID_DATASET naming it. */
export function beirPaths(dir: string, split = 'test'): BeirPaths {
  const paths = {
    corpus: path.join(dir, 'corpus.jsonl'),
    queries: path.join(dir, 'queries.jsonl'),
    qrels: path.join(dir, 'qrels', `${split}.tsv`),
  };
  if (!fs.existsSync(dir) || !fs.statSync(dir).isDirectory()) throw invalid(`BEIR folder ${dir} does not exist`);
  if (!fs.existsSync(paths.corpus)) throw invalid(`BEIR folder ${dir} has no corpus.jsonl`);
  if (!fs.existsSync(paths.queries)) throw invalid(`BEIR folder ${dir} has no queries.jsonl`);
  if (!fs.existsSync(paths.qrels)) {
    const qrelsDir = path.join(dir, 'qrels');
    const found = fs.existsSync(qrelsDir) ? fs.readdirSync(qrelsDir).filter((f) => f.endsWith('.tsv')).map((f) => f.slice(0, -4)) : [];
    throw invalid(`no qrels for split "${split}": ${paths.qrels} is missing (splits found: ${found.length ? found.join(', ') : 'none'})`);
  }
  return paths;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** Parse one corpus line into a document; throws a plain message (the caller adds the line number). */
export function parseCorpusLine(line: string): DocumentInput {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch (err) {
    throw new Error(`invalid JSON (${(err as Error).message})`);
  }
  if (!isPlainObject(value)) throw new Error('a line must be a JSON object');
  const rawId = value._id ?? value.id;
  const id = typeof rawId === 'number' ? String(rawId) : rawId;
  if (typeof id !== 'string' || id.length === 0) throw new Error('"_id" must be a non-empty string');
  const doc: DocumentInput = { id };
  for (const field of ['title', 'text'] as const) {
    const v = value[field];
    if (v === undefined || v === null) continue;
    if (typeof v !== 'string') throw new Error(`"${field}" must be a string`);
    doc[field] = v;
  }
  if (value.metadata !== undefined && value.metadata !== null) {
    if (!isPlainObject(value.metadata)) throw new Error('"metadata" must be an object');
    if (Object.keys(value.metadata).length > 0) doc.metadata = value.metadata;
  }
  if (value.sparse !== undefined) {
    if (!isPlainObject(value.sparse)) throw new Error('"sparse" must be an object ({indices, values} or {tokens})');
    doc.sparse = value.sparse as SparseInput;
  } else if (value.indices !== undefined || value.values !== undefined) {
    // a line of `sparrow encode` output: {"id", "indices", "values"}
    doc.sparse = { indices: value.indices, values: value.values } as SparseInput;
  }
  if (value.dense !== undefined) {
    if (!Array.isArray(value.dense) || !value.dense.every((x) => typeof x === 'number')) throw new Error('"dense" must be an array of numbers');
    doc.dense = value.dense as number[];
  }
  if (!doc.title && !doc.text && !doc.sparse) throw new Error('document has neither title, text nor sparse');
  return doc;
}

/** Lines of a text file from byte `start` (a line start; the line there is number `firstLineNo`):
 * each with its 1-based number and `end`, the byte offset just past its newline, so that a reader
 * can resume exactly after any line. "\n" and "\r\n" endings; blank lines are skipped. */
export async function* readLinesFrom(file: string, start = 0, firstLineNo = 1): AsyncGenerator<{ lineNo: number; line: string; end: number }> {
  let lineNo = firstLineNo - 1;
  let offset = start; // file offset of pending[0]
  let pending: Buffer = Buffer.alloc(0);
  const emit = (bytes: Buffer) => {
    lineNo++;
    const text = bytes.toString('utf8');
    return text.endsWith('\r') ? text.slice(0, -1) : text;
  };
  for await (const chunk of fs.createReadStream(file, { start })) {
    pending = pending.length === 0 ? (chunk as Buffer) : Buffer.concat([pending, chunk as Buffer]);
    let from = 0;
    for (let nl = pending.indexOf(10, from); nl >= 0; nl = pending.indexOf(10, from)) {
      const line = emit(pending.subarray(from, nl));
      from = nl + 1;
      if (line.trim().length > 0) yield { lineNo, line, end: offset + from };
    }
    pending = pending.subarray(from);
    offset += from;
  }
  if (pending.length > 0) {
    const line = emit(pending);
    if (line.trim().length > 0) yield { lineNo, line, end: offset + pending.length };
  }
}

/** Lines of a text file with 1-based numbers and the bytes read so far; blank lines are skipped. */
export async function* readLines(file: string): AsyncGenerator<{ lineNo: number; line: string; bytes: number }> {
  for await (const { lineNo, line, end } of readLinesFrom(file)) yield { lineNo, line, bytes: end };
}

/** Stream a corpus: every non-blank line becomes a document or an error with its line number. */
export async function* readCorpus(file: string): AsyncGenerator<CorpusLine> {
  if (!fs.existsSync(file)) throw invalid(`corpus file ${file} does not exist`);
  for await (const { lineNo, line, bytes } of readLines(file)) {
    try {
      yield { lineNo, bytes, doc: parseCorpusLine(line) };
    } catch (err) {
      yield { lineNo, bytes, error: (err as Error).message };
    }
  }
}

/** queries.jsonl → id -> text. A malformed line is INVALID_DATASET with its line number. */
export async function loadQueries(file: string): Promise<Map<string, string>> {
  const queries = new Map<string, string>();
  for await (const { lineNo, line } of readLines(file)) {
    try {
      const q = parseQueryLine(line);
      queries.set(q.id, q.text);
    } catch (err) {
      throw invalid(`${file}:${lineNo}: ${(err as Error).message}`);
    }
  }
  return queries;
}

/** One queries.jsonl line; throws a plain message (the caller adds the line number). */
export function parseQueryLine(line: string): { id: string; text: string } {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    throw new Error('invalid JSON');
  }
  if (!isPlainObject(value)) throw new Error('a line must be a JSON object');
  const id = typeof value._id === 'number' ? String(value._id) : value._id;
  if (typeof id !== 'string' || typeof value.text !== 'string') throw new Error('a query needs "_id" and "text" strings');
  return { id, text: value.text };
}

/** qrels TSV (`query-id corpus-id score`, optional header) → qid -> docId -> grade. */
export async function loadQrels(file: string): Promise<Qrels> {
  if (!fs.existsSync(file)) throw invalid(`qrels file ${file} does not exist`);
  const qrels: Qrels = new Map();
  for await (const { lineNo, line } of readLines(file)) {
    const cols = line.split('\t').map((c) => c.trim());
    if (lineNo === 1 && cols[0] === 'query-id') continue;
    const grade = Number(cols[2]);
    if (cols.length < 3 || !cols[0] || !cols[1] || !Number.isInteger(grade)) {
      throw invalid(`${file}:${lineNo}: expected "query-id<TAB>corpus-id<TAB>integer score"`);
    }
    let judged = qrels.get(cols[0]);
    if (!judged) qrels.set(cols[0], (judged = new Map()));
    judged.set(cols[1], grade);
  }
  return qrels;
}

export interface BeirSplit {
  name: string;
  split: string;
  paths: BeirPaths;
  /** Only the queries judged in this split, in file order. */
  queries: Array<{ id: string; text: string }>;
  qrels: Qrels;
}

/** Queries and qrels of one split (the corpus is streamed separately through readCorpus). */
export async function loadBeirSplit(dir: string, split = 'test'): Promise<BeirSplit> {
  const paths = beirPaths(dir, split);
  const [allQueries, qrels] = await Promise.all([loadQueries(paths.queries), loadQrels(paths.qrels)]);
  const queries: Array<{ id: string; text: string }> = [];
  for (const qid of qrels.keys()) {
    const text = allQueries.get(qid);
    if (text === undefined) throw invalid(`qrels ${paths.qrels} judge query "${qid}" which is not in ${paths.queries}`);
    queries.push({ id: qid, text });
  }
  return { name: path.basename(path.resolve(dir)), split, paths, queries, qrels };
}
