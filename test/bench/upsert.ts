/** Bench helper: an upsert that waits out BACKPRESSURE (the engine's "seal queue full") and retries. */
import type { Collection, DocumentInput } from '../../src/engine/types.js';
import { AppError } from '../../src/errors.js';

export async function upsertRetrying(c: Collection, docs: DocumentInput[], waitMs = 200): Promise<void> {
  for (;;) {
    try {
      await c.upsert(docs);
      return;
    } catch (e) {
      if (!(e instanceof AppError && e.code === 'BACKPRESSURE')) throw e;
      await new Promise((r) => setTimeout(r, waitMs));
    }
  }
}
