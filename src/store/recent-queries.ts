/**
 * A bounded sample of a collection's recent sparse queries, kept in its SQLite database
 * (table recent_queries): the calibration queries of the segments it builds next.
 *
 * - Sampled: one search in `every` is kept (the first is always kept).
 * - Bounded: at most `limit` queries are used; older ones are deleted once every TRIM_EVERY stored
 *   queries (so the table holds at most limit + TRIM_EVERY - 1 rows).
 * - Retention: queries older than `retentionMs` are never used and are deleted at the next trim.
 * - Opt-out: a collection with index.recentQueries false keeps none (and deletes what it had).
 * Only term ids and weights are stored, never the query text.
 */
import type Database from 'better-sqlite3';
import type { CsrBatch, SparseVector } from '../core/types.js';
import { bytesOf, typed } from './collection-store.js';

export interface RecentQueriesOptions {
  limit: number;
  every: number;
  retentionMs: number;
}

export const RECENT_QUERIES: RecentQueriesOptions = { limit: 1_000, every: 4, retentionMs: 30 * 24 * 3600 * 1000 };

/** Stored queries between two trims of the table (one DELETE per TRIM_EVERY inserts, not per insert). */
export const TRIM_EVERY = 32;

/**
 * How long recordSoon's queries wait to be written together, in one transaction (one commit). A
 * commit per loop turn cost the event loop ~9 us a search under load (bench:http lexical, 1 query
 * kept in 4, about one per turn); a few per second cost nothing measurable.
 */
export const RECENT_FLUSH_MS = 200;

export class RecentQueries {
  private seen = 0;
  private stored = 0;
  private readonly insert;
  private readonly trim;
  private readonly latest;
  private readonly count;
  /** recordSoon's queries not written yet (flush writes them) */
  private soon: SparseVector[] = [];
  private flushTimer: NodeJS.Timeout | undefined;
  private readonly storeAll;
  private readonly flushSoon = (): void => this.flush();

  constructor(
    private readonly db: Database.Database,
    private readonly options: RecentQueriesOptions = RECENT_QUERIES,
    private readonly now: () => number = Date.now,
  ) {
    this.insert = db.prepare<[number, Buffer, Buffer]>('INSERT INTO recent_queries (at, indices, vals) VALUES (?, ?, ?)');
    this.trim = db.prepare<[number, number]>('DELETE FROM recent_queries WHERE id <= (SELECT MAX(id) FROM recent_queries) - ? OR at < ?');
    this.latest = db.prepare<[number, number], { indices: Buffer; vals: Buffer }>('SELECT indices, vals FROM recent_queries WHERE at >= ? ORDER BY id DESC LIMIT ?');
    this.count = db.prepare<[number], { n: number }>('SELECT COUNT(*) AS n FROM recent_queries WHERE at >= ?');
    this.storeAll = db.transaction((qs: SparseVector[]) => qs.forEach((q) => this.store(q)));
  }

  /** Offers a query; one in `every` is stored. Best effort: a failed write (a read-only database) is dropped, never the search. */
  record(q: SparseVector): void {
    if (this.sampled(q)) this.store(q);
  }

  /**
   * record(q), written later: a search's latency never includes it. The queries kept within
   * RECENT_FLUSH_MS (or `limit` of them, whichever comes first) are written together in one
   * transaction (one commit, not one each); flush() writes them at once (the collection does on close).
   */
  recordSoon(q: SparseVector): void {
    if (!this.sampled(q)) return;
    this.soon.push({ indices: q.indices.slice(), values: q.values.slice() });
    if (this.soon.length >= this.options.limit) this.flush();
    else if (this.flushTimer === undefined) this.flushTimer = setTimeout(this.flushSoon, RECENT_FLUSH_MS).unref();
  }

  /** Writes recordSoon's pending queries now (best effort, as record). */
  flush(): void {
    clearTimeout(this.flushTimer);
    this.flushTimer = undefined;
    const qs = this.soon;
    if (qs.length === 0) return;
    this.soon = [];
    try {
      this.storeAll(qs);
    } catch {
      // the commit failed (a read-only database): dropped, as store drops a failed write
    }
  }

  /** Whether this offer is the one in `every` that is kept. */
  private sampled(q: SparseVector): boolean {
    return q.indices.length > 0 && this.seen++ % this.options.every === 0;
  }

  private store(q: SparseVector): void {
    const at = this.now();
    try {
      this.insert.run(at, bytesOf(q.indices), bytesOf(q.values));
      if (this.stored++ % TRIM_EVERY === 0) this.trim.run(this.options.limit, at - this.options.retentionMs);
    } catch {
      // calibration falls back to pseudo-queries
    }
  }

  /** Queries within retention. */
  size(): number {
    return Math.min(this.options.limit, this.count.get(this.now() - this.options.retentionMs)!.n);
  }

  /** The `n` most recent queries within retention, as one batch. */
  sample(n: number): CsrBatch {
    const rows = this.latest.all(this.now() - this.options.retentionMs, Math.min(n, this.options.limit));
    const indptr = new Uint32Array(rows.length + 1);
    const parts = rows.map((r) => ({ indices: typed(r.indices, Uint32Array), values: typed(r.vals, Float32Array) }));
    parts.forEach((p, i) => (indptr[i + 1] = indptr[i] + p.indices.length));
    const indices = new Uint32Array(indptr[rows.length]);
    const values = new Float32Array(indptr[rows.length]);
    parts.forEach((p, i) => {
      indices.set(p.indices, indptr[i]);
      values.set(p.values, indptr[i]);
    });
    return { indptr, indices, values };
  }

  /** Deletes every stored query (opt-out). */
  clear(): void {
    this.db.prepare('DELETE FROM recent_queries').run();
  }
}
