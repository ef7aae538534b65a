/** Checks on documents that the JSON schema cannot express (shared by the batch and _bulk routes). */
import type { DocumentInput } from '../engine/types.js';
import { AppError } from '../errors.js';

export function checkBatchSize(count: number, max: number): void {
  if (count > max) throw new AppError('VALIDATION_ERROR', `a batch holds at most ${max} documents, got ${count}`, { extra: { limit: max } });
}

/** A document needs text to encode or a sparse vector; ids must be unique within a batch. */
export function checkDocuments(docs: readonly DocumentInput[], where = (i: number) => `documents[${i}]`): void {
  const seen = new Set<string>();
  docs.forEach((doc, i) => {
    if (doc.text === undefined && doc.sparse === undefined) {
      throw new AppError('MISSING_CONTENT', `${where(i)} (id ${JSON.stringify(doc.id)}) has neither text nor sparse`, { extra: { index: i } });
    }
    if (seen.has(doc.id)) throw new AppError('VALIDATION_ERROR', `${where(i)}: id ${JSON.stringify(doc.id)} appears twice in the batch`, { extra: { index: i } });
    seen.add(doc.id);
  });
}
