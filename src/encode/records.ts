/**
 * The records `sparrow encode` reads: documents of a BEIR corpus (the text the server encodes:
 * title and text joined by a newline) or queries of a BEIR queries file. Read from a byte offset,
 * so that a resumed job starts exactly after the last record written.
 */
import fs from 'node:fs';
import path from 'node:path';
import { AppError } from '../errors.js';
import { parseCorpusLine, parseQueryLine, readLinesFrom } from '../eval/beir.js';

export type EncodeSide = 'document' | 'query';

export interface EncodeRecord {
  lineNo: number;
  id: string;
  text: string;
  /** byte offset just past this record's line */
  end: number;
}

/** Where reading resumes: the byte offset of a line start and that line's number. */
export interface InputPosition {
  offset: number;
  lineNo: number;
}

export const INPUT_START: InputPosition = { offset: 0, lineNo: 1 };

/** A malformed input line: exit code 2, with the file and line number. */
export class InputLineError extends AppError {
  constructor(
    readonly file: string,
    readonly lineNo: number,
    reason: string,
  ) {
    super('INVALID_DATASET', `${file}:${lineNo}: ${reason}`);
  }
}

/** A JSONL file, or a BEIR folder: its corpus.jsonl (documents) or queries.jsonl (queries). */
export function inputFile(input: string, side: EncodeSide): string {
  if (!fs.existsSync(input)) throw new AppError('INVALID_DATASET', `input ${input} does not exist`);
  if (!fs.statSync(input).isDirectory()) return input;
  const file = path.join(input, side === 'document' ? 'corpus.jsonl' : 'queries.jsonl');
  if (!fs.existsSync(file)) throw new AppError('INVALID_DATASET', `folder ${input} has no ${path.basename(file)} (a BEIR folder is expected)`);
  return file;
}

/** The text the server's encoder sees for a document: title and text, joined by a newline. */
export function documentText(doc: { title?: string; text?: string }): string {
  return [doc.title, doc.text].filter((s) => s).join('\n');
}

export function parseRecord(line: string, side: EncodeSide): { id: string; text: string } {
  if (side === 'query') return parseQueryLine(line);
  const doc = parseCorpusLine(line);
  const text = documentText(doc);
  if (text.length === 0) throw new Error('document has neither title nor text to encode');
  return { id: doc.id, text };
}

/** Records from `from`; a malformed line throws InputLineError. */
export async function* readRecords(file: string, side: EncodeSide, from: InputPosition = INPUT_START): AsyncGenerator<EncodeRecord> {
  for await (const { lineNo, line, end } of readLinesFrom(file, from.offset, from.lineNo)) {
    let record: { id: string; text: string };
    try {
      record = parseRecord(line, side);
    } catch (err) {
      throw new InputLineError(file, lineNo, (err as Error).message);
    }
    yield { lineNo, ...record, end };
  }
}
