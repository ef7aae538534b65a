/**
 * Group commit: write requests that arrive in the same turn of the event loop share one SQLite
 * transaction, so a burst of N requests costs one commit (one WAL sync with durability "fsync").
 * Each request runs in its own savepoint: a failing request rolls back alone and rejects alone.
 * `apply` callbacks run after the commit, in submission order and in the same tick, so a write is
 * visible in memory exactly when it is durable; only then are the promises resolved (acknowledged).
 */
import path from 'node:path';
import type { CollectionStore } from './collection-store.js';
import { storageError } from './storage-errors.js';

export interface Work<T> {
  /** Runs inside the transaction; throws to roll back this request only. */
  write(): T;
  /** Runs after the commit; must not throw. */
  apply(result: T): void;
}

interface Pending {
  work: Work<unknown>;
  resolve(v: unknown): void;
  reject(e: unknown): void;
}

export class GroupCommitter {
  private queue: Pending[] = [];
  private scheduled = false;
  private closed = false;
  /** Test-only hook: called inside the transaction after each request's writes. */
  onWritten?: (index: number) => void;
  /**
   * Called when an apply callback throws (a bug: everything that can fail runs before the commit).
   * The writes are durable, so the requests are still answered; the owner must rebuild its memory.
   */
  onApplyFailed?: (error: unknown) => void;

  constructor(private readonly store: CollectionStore) {}

  submit<T>(work: Work<T>): Promise<T> {
    if (this.closed) return Promise.reject(new Error('collection is closed'));
    return new Promise<T>((resolve, reject) => {
      this.queue.push({ work: work as Work<unknown>, resolve: resolve as (v: unknown) => void, reject });
      if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => this.commit());
      }
    });
  }

  get pending(): number {
    return this.queue.length;
  }

  private commit(): void {
    this.scheduled = false;
    const batch = this.queue;
    this.queue = [];
    if (batch.length === 0) return;
    const outcomes: Array<{ ok: true; value: unknown } | { ok: false; error: unknown }> = [];
    try {
      this.store.transaction(() => {
        batch.forEach((p, i) => {
          try {
            outcomes.push({ ok: true, value: this.store.transaction(() => p.work.write()) });
          } catch (error) {
            // SQLITE_FULL and some I/O errors roll back the whole transaction, not only the savepoint:
            // then the batch as a whole failed (and nothing of it is durable).
            if (!this.store.db.inTransaction) throw error;
            outcomes.push({ ok: false, error: storageError(error, path.dirname(this.store.db.name)) });
          }
          this.onWritten?.(i);
        });
      });
    } catch (error) {
      // The commit itself failed (disk full, read-only, I/O error): nothing of the batch is durable.
      const failure = storageError(error, path.dirname(this.store.db.name));
      for (const p of batch) p.reject(failure);
      return;
    }
    try {
      batch.forEach((p, i) => {
        const o = outcomes[i];
        if (o.ok) p.work.apply(o.value);
      });
    } catch (error) {
      if (!this.onApplyFailed) throw error;
      this.onApplyFailed(error);
    }
    batch.forEach((p, i) => {
      const o = outcomes[i];
      if (o.ok) p.resolve(o.value);
      else p.reject(o.error);
    });
  }

  /** Commits what is queued, then refuses new work. */
  async close(): Promise<void> {
    if (this.queue.length > 0) this.commit();
    this.closed = true;
  }
}
