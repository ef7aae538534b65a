/**
 * The per-collection SQLite schema and its migrations (PRAGMA user_version). SQLite is the source
 * of truth: segments are derived from `documents` and can always be rebuilt without a model.
 */
import type Database from 'better-sqlite3';

/** Migration i brings user_version from i to i + 1. Never edit a shipped migration: append. */
const MIGRATIONS: string[] = [
  `
  CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) STRICT;
  -- One row per live document. docno: internal, dense, never reused (AUTOINCREMENT).
  -- weighting 1 = values are raw term frequencies (BM25 applied at seal/query time), 0 = final weights.
  CREATE TABLE documents (
    docno INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    title TEXT,
    text TEXT,
    metadata TEXT,
    indices BLOB NOT NULL,
    vals BLOB NOT NULL,
    weighting INTEGER NOT NULL,
    length INTEGER NOT NULL,
    encoder_version TEXT NOT NULL,
    dense BLOB,
    seq INTEGER NOT NULL
  );
  CREATE INDEX documents_seq ON documents(seq);
  -- Append-only operation log (replayable into another backend together with documents).
  CREATE TABLE oplog (seq INTEGER PRIMARY KEY, op TEXT NOT NULL, id TEXT NOT NULL, docno INTEGER, at INTEGER NOT NULL) STRICT;
  -- Docnos deleted (or replaced) while still present in a segment; id kept for readers of older snapshots.
  CREATE TABLE tombstones (docno INTEGER PRIMARY KEY, id TEXT NOT NULL, seq INTEGER NOT NULL) STRICT;
  -- The segment manifest: the live sealed segments. meta.generation counts manifest commits.
  CREATE TABLE segments (
    file TEXT PRIMARY KEY,
    docs INTEGER NOT NULL,
    min_docno INTEGER NOT NULL,
    max_docno INTEGER NOT NULL,
    avgdl REAL NOT NULL,
    bytes INTEGER NOT NULL,
    created_at INTEGER NOT NULL
  ) STRICT;
  -- Lexical collections: term id -> token, for explain.
  CREATE TABLE terms (id INTEGER PRIMARY KEY, token TEXT NOT NULL) STRICT;
  CREATE INDEX terms_token ON terms(token);
  `,
  `
  -- Rows that could not be loaded at open (stored by an older version without today's checks, or
  -- damaged): moved here with the reason, out of documents (a tombstone hides them in segments).
  CREATE TABLE quarantine (
    docno INTEGER PRIMARY KEY,
    id TEXT NOT NULL,
    reason TEXT NOT NULL,
    at INTEGER NOT NULL,
    title TEXT,
    text TEXT,
    metadata TEXT,
    indices BLOB,
    vals BLOB,
    weighting INTEGER,
    length INTEGER,
    encoder_version TEXT,
    dense BLOB,
    seq INTEGER
  );
  `,
  `
  -- A bounded sample of the collection's recent sparse queries (src/store/recent-queries.ts), the
  -- calibration queries of new segments. at: unix ms.
  CREATE TABLE recent_queries (id INTEGER PRIMARY KEY AUTOINCREMENT, at INTEGER NOT NULL, indices BLOB NOT NULL, vals BLOB NOT NULL) STRICT;
  `,
];

export const SCHEMA_VERSION = MIGRATIONS.length;

export function migrate(db: Database.Database): void {
  const current = db.pragma('user_version', { simple: true }) as number;
  if (current > SCHEMA_VERSION) {
    throw new Error(`collection.db has schema version ${current}; this Sparrow knows up to ${SCHEMA_VERSION}`);
  }
  for (let v = current; v < SCHEMA_VERSION; v++) {
    db.transaction(() => {
      db.exec(MIGRATIONS[v]);
      db.pragma(`user_version = ${v + 1}`);
    })();
  }
}
