/**
 * NDJSON bulk ingest: one document per line. Valid lines are upserted in batches of `batchSize`;
 * each batch is acknowledged (durable) before the next is read, so a crash keeps every batch
 * before it. A batch the engine refuses is retried document by document, so one bad line fails
 * alone. The answer is a per-line summary.
 */
import type { Collection, DocumentInput } from '../engine/types.js';
import type { ErrorCode } from '../errors.js';
import { itemValidationError, toAppError } from './problem.js';
import type { ItemValidator } from './validation.js';


export interface BulkItem {
  line: number; // 1-based
  id?: string;
  status: number;
  code?: ErrorCode;
  detail?: string;
}

export interface BulkSummary {
  lines: number;
  batches: number;
  indexed: number;
  failed: number;
  items: BulkItem[];
}

function parseLine(text: string, line: number, validate: ItemValidator): { doc: DocumentInput } | { item: BulkItem } {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    return { item: { line, status: 400, code: 'INVALID_JSON', detail: (err as Error).message } };
  }
  const id = typeof (value as { id?: unknown })?.id === 'string' ? (value as { id: string }).id : undefined;
  if (!validate(value)) {
    const e = itemValidationError(`line ${line}: document`, validate.errors);
    return { item: { line, id, status: e.status, code: e.code, detail: e.message } };
  }
  return { doc: value as DocumentInput };
}

export async function bulkIngest(collection: Collection, ndjson: string, batchSize: number, validate: ItemValidator): Promise<BulkSummary> {
  const summary: BulkSummary = { lines: 0, batches: 0, indexed: 0, failed: 0, items: [] };
  let batch: Array<{ doc: DocumentInput; line: number }> = [];
  const record = (item: BulkItem): void => {
    summary.items.push(item);
    if (item.status < 300) summary.indexed++;
    else summary.failed++;
  };
  const flush = async (): Promise<void> => {
    if (batch.length === 0) return;
    const pending = batch;
    batch = [];
    summary.batches++;
    try {
      await collection.upsert(pending.map((p) => p.doc));
      for (const p of pending) record({ line: p.line, id: p.doc.id, status: 200 });
    } catch (batchError) {
      if (pending.length === 1 || toAppError(batchError).status >= 500) return failAll(pending, batchError);
      for (const p of pending) {
        try {
          await collection.upsert([p.doc]);
          record({ line: p.line, id: p.doc.id, status: 200 });
        } catch (err) {
          failAll([p], err);
        }
      }
    }
  };
  const failAll = (pending: typeof batch, err: unknown): void => {
    const e = toAppError(err);
    for (const p of pending) record({ line: p.line, id: p.doc.id, status: e.status, code: e.code, detail: e.message });
  };

  const ids = new Set<string>();
  const lines = ndjson.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const text = lines[i].trim();
    if (text === '') continue;
    summary.lines++;
    const parsed = parseLine(text, i + 1, validate);
    if ('item' in parsed) {
      record(parsed.item);
      continue;
    }
    // A repeated id starts a new batch, so a later line always wins over an earlier one.
    if (ids.has(parsed.doc.id)) {
      await flush();
      ids.clear();
    }
    ids.add(parsed.doc.id);
    batch.push({ doc: parsed.doc, line: i + 1 });
    if (batch.length >= batchSize) {
      await flush();
      ids.clear();
    }
  }
  await flush();
  summary.items.sort((a, b) => a.line - b.line);
  return summary;
}
