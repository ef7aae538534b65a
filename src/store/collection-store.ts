/**
 * One collection's SQLite database: WAL, statements prepared once, typed rows in and out.
 * Synchronous by design (better-sqlite3); callers batch writes through GroupCommitter.
 */
import Database from 'better-sqlite3';
import type { SparseVector } from '../core/types.js';
import { Lru } from '../core/lru.js';
import { migrate } from './schema.js';

export type Durability = 'process' | 'fsync';

export interface DocumentRow {
  docno: number;
  id: string;
  title: string | null;
  text: string | null;
  metadata: string | null;
  vector: SparseVector;
  /** true: vector values are raw term frequencies (BM25 applied later) */
  tf: boolean;
  length: number;
  encoderVersion: string;
  dense: Float32Array | null;
  seq: number;
}

/** A row moved out of `documents` at open because it could not be loaded. */
export interface QuarantinedRow {
  docno: number;
  id: string;
  reason: string;
  /** ms since the epoch */
  at: number;
}

export type NewDocumentRow = Omit<DocumentRow, 'docno'>;

/** What a search hit shows of its document (text and metadata only when asked for). */
export interface HitFields {
  id: string;
  title: string | null;
  text: string | null;
  metadata: string | null;
}

export interface SegmentRow {
  file: string;
  docs: number;
  minDocno: number;
  maxDocno: number;
  avgdl: number;
  bytes: number;
  createdAt: number;
}

interface RawDoc {
  docno: number;
  id: string;
  title: string | null;
  text: string | null;
  metadata: string | null;
  indices: Buffer;
  vals: Buffer;
  weighting: number;
  length: number;
  encoder_version: string;
  dense: Buffer | null;
  seq: number;
}

type RawBuildRow = Pick<RawDoc, 'docno' | 'indices' | 'vals' | 'weighting' | 'length' | 'seq'>;

/** What building a segment reads of a row: its vector and weighting, nothing else. */
export interface VectorRow {
  docno: number;
  vector: SparseVector;
  tf: boolean;
  length: number;
  seq: number;
}

interface RawSegment {
  file: string;
  docs: number;
  min_docno: number;
  max_docno: number;
  avgdl: number;
  bytes: number;
  created_at: number;
}

export interface ManifestChange {
  add: SegmentRow[];
  remove: string[];
  /** rows with seq <= sealedSeq live in sealed segments (never decreases) */
  sealedSeq?: number;
  /** tombstones no longer needed: their docnos are in no live segment any more */
  purgeTombstones: Iterable<number>;
}

/** Reads the vector rows of a docno range, in docno order: one statement on any connection to a collection.db (the build worker opens its own, read-only). */
export function vectorRowReader(db: Database.Database): (from: number, to: number, limit: number) => VectorRow[] {
  const stmt = db.prepare<[number, number, number], RawBuildRow>(
    'SELECT docno, indices, vals, weighting, length, seq FROM documents WHERE docno >= ? AND docno <= ? ORDER BY docno LIMIT ?',
  );
  return (from, to, limit) =>
    stmt.all(from, to, limit).map((r) => ({
      docno: r.docno,
      vector: { indices: typed(r.indices, Uint32Array), values: typed(r.vals, Float32Array) },
      tf: r.weighting === 1,
      length: r.length,
      seq: r.seq,
    }));
}

/** Copies: a Buffer from SQLite may not be 4-byte aligned. */
export function typed<T extends Uint32Array | Float32Array>(buf: Buffer, Ctor: new (b: ArrayBuffer) => T): T {
  return new Ctor(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength) as ArrayBuffer);
}

export function bytesOf(a: Uint32Array | Float32Array): Buffer {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength);
}

export function decodeRow(r: RawDoc): DocumentRow {
  return {
    docno: r.docno,
    id: r.id,
    title: r.title,
    text: r.text,
    metadata: r.metadata,
    vector: { indices: typed(r.indices, Uint32Array), values: typed(r.vals, Float32Array) },
    tf: r.weighting === 1,
    length: r.length,
    encoderVersion: r.encoder_version,
    dense: r.dense ? typed(r.dense, Float32Array) : null,
    seq: r.seq,
  };
}

/** A hitFieldsOf row as the driver returns it (raw): docno, id, title, then text and metadata with a body. */
type HitRow = [number, string, string | null, (string | null)?, (string | null)?];

/** Docnos per hitFieldsOf statement. */
const HIT_BATCH = 64;
/**
 * hitFieldsOf's cache of a hit's id and title (no body), by docno: a docno's row never changes (an
 * update is a new docno), so an entry stays true until the row is deleted (deleteDocument forgets
 * it). Bounded: HIT_CACHE_ENTRIES docnos, each with at most HIT_CACHE_CHARS characters of id and
 * title (a longer one is read every time): under 2 x 8,192 x 512 bytes = 8 MiB a collection.
 * Measured: a page of 10 hits read from SQLite costs 25-40 us (more after an idle gap), from the
 * cache ~1 us.
 */
const HIT_CACHE_ENTRIES = 8_192;
const HIT_CACHE_CHARS = 512;

const DOC_COLUMNS = 'docno, id, title, text, metadata, indices, vals, weighting, length, encoder_version, dense, seq';

export class CollectionStore {
  readonly db: Database.Database;
  private seq: number;
  private durability: Durability = 'process';
  private readonly stmt;
  private readonly readVectorRows: ReturnType<typeof vectorRowReader>;
  private readonly hitCache = new Lru<number, HitFields>(HIT_CACHE_ENTRIES);
  /** hitFieldsOf's statements by 2 x docnos + body (at most 2 x HIT_BATCH) */
  private readonly hitStatements = new Map<number, Database.Statement<number[], HitRow>>();

  constructor(path: string, durability: Durability) {
    this.db = new Database(path);
    this.db.pragma('journal_mode = WAL');
    this.setDurability(durability);
    this.db.pragma('foreign_keys = ON');
    migrate(this.db);
    const db = this.db;
    this.readVectorRows = vectorRowReader(db);
    this.stmt = {
      getMeta: db.prepare<[string], { value: string }>('SELECT value FROM meta WHERE key = ?'),
      setMeta: db.prepare<[string, string]>('INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value'),
      insertDoc: db.prepare(
        'INSERT INTO documents (id, title, text, metadata, indices, vals, weighting, length, encoder_version, dense, seq) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
      ),
      docById: db.prepare<[string], RawDoc>(`SELECT ${DOC_COLUMNS} FROM documents WHERE id = ?`),
      docByDocno: db.prepare<[number], RawDoc>(`SELECT ${DOC_COLUMNS} FROM documents WHERE docno = ?`),
      hitByDocno: db.prepare<[number], HitFields>('SELECT id, title, NULL AS text, NULL AS metadata FROM documents WHERE docno = ?'),
      hitWithBodyByDocno: db.prepare<[number], HitFields>('SELECT id, title, text, metadata FROM documents WHERE docno = ?'),
      docnoById: db.prepare<[string], { docno: number }>('SELECT docno FROM documents WHERE id = ?'),
      deleteDoc: db.prepare<[number]>('DELETE FROM documents WHERE docno = ?'),
      addTombstone: db.prepare<[number, string, number]>('INSERT OR REPLACE INTO tombstones (docno, id, seq) VALUES (?, ?, ?)'),
      tombstoneId: db.prepare<[number], { id: string }>('SELECT id FROM tombstones WHERE docno = ?'),
      purgeTombstone: db.prepare<[number]>('DELETE FROM tombstones WHERE docno = ?'),
      allTombstones: db.prepare<[], { docno: number }>('SELECT docno FROM tombstones'),
      appendOp: db.prepare<[number, string, string, number | null, number]>('INSERT INTO oplog (seq, op, id, docno, at) VALUES (?, ?, ?, ?, ?)'),
      maxSeq: db.prepare<[], { s: number | null }>('SELECT MAX(seq) AS s FROM oplog'),
      rowsAfterSeq: db.prepare<[number], RawDoc>(`SELECT ${DOC_COLUMNS} FROM documents WHERE seq > ? ORDER BY docno`),
      rowsFromDocno: db.prepare<[number, number, number], RawDoc>(`SELECT ${DOC_COLUMNS} FROM documents WHERE docno >= ? AND docno <= ? ORDER BY docno LIMIT ?`),
      allDocnos: db.prepare<[], number>('SELECT docno FROM documents ORDER BY docno').pluck(),
      allMetadata: db.prepare<[], { docno: number; metadata: string | null }>('SELECT docno, metadata FROM documents ORDER BY docno'),
      allTfVectors: db.prepare<[], { indices: Buffer; length: number }>('SELECT indices, length FROM documents WHERE weighting = 1'),
      countDocs: db.prepare<[], { n: number }>('SELECT COUNT(*) AS n FROM documents'),
      segments: db.prepare<[], RawSegment>('SELECT file, docs, min_docno, max_docno, avgdl, bytes, created_at FROM segments ORDER BY min_docno, file'),
      addSegment: db.prepare<[string, number, number, number, number, number, number]>(
        'INSERT INTO segments (file, docs, min_docno, max_docno, avgdl, bytes, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)',
      ),
      removeSegment: db.prepare<[string]>('DELETE FROM segments WHERE file = ?'),
      quarantine: db.prepare<[string, number, number]>(
        `INSERT OR REPLACE INTO quarantine (docno, id, reason, at, title, text, metadata, indices, vals, weighting, length, encoder_version, dense, seq)
         SELECT docno, id, ?, ?, title, text, metadata, indices, vals, weighting, length, encoder_version, dense, seq FROM documents WHERE docno = ?`,
      ),
      quarantined: db.prepare<[number], QuarantinedRow>('SELECT docno, id, reason, at FROM quarantine ORDER BY docno LIMIT ?'),
      countQuarantined: db.prepare<[], { n: number }>('SELECT COUNT(*) AS n FROM quarantine'),
      addTerm: db.prepare<[number, string]>('INSERT OR IGNORE INTO terms (id, token) VALUES (?, ?)'),
      tokenOf: db.prepare<[number], { token: string }>('SELECT token FROM terms WHERE id = ?'),
      idOfToken: db.prepare<[string], { id: number }>('SELECT id FROM terms WHERE token = ?'),
    };
    this.seq = this.stmt.maxSeq.get()?.s ?? 0;
  }

  /** NORMAL: a commit survives a process crash (WAL); FULL also fsyncs the WAL at every commit. */
  setDurability(durability: Durability): void {
    this.durability = durability;
    this.db.pragma(`synchronous = ${durability === 'fsync' ? 'FULL' : 'NORMAL'}`);
  }

  get lastSeq(): number {
    return this.seq;
  }

  getMeta(key: string): string | undefined {
    return this.stmt.getMeta.get(key)?.value;
  }

  setMeta(key: string, value: string): void {
    this.stmt.setMeta.run(key, value);
  }

  /** Runs fn in a transaction (a savepoint when nested). */
  transaction<T>(fn: () => T): T {
    return this.db.transaction(fn)();
  }

  nextSeq(): number {
    // Rolled-back transactions may leave gaps: seq is increasing, not dense.
    return ++this.seq;
  }

  appendOp(seq: number, op: 'upsert' | 'delete', id: string, docno: number | null): void {
    this.stmt.appendOp.run(seq, op, id, docno, Date.now());
  }

  insertDocument(row: NewDocumentRow): number {
    const r = this.stmt.insertDoc.run(
      row.id,
      row.title,
      row.text,
      row.metadata,
      bytesOf(row.vector.indices),
      bytesOf(row.vector.values),
      row.tf ? 1 : 0,
      row.length,
      row.encoderVersion,
      row.dense ? bytesOf(row.dense) : null,
      row.seq,
    );
    return Number(r.lastInsertRowid);
  }

  docnoOf(id: string): number | undefined {
    return this.stmt.docnoById.get(id)?.docno;
  }

  /** Deletes the live row of `id` and records its tombstone; returns its docno. */
  deleteDocument(id: string, seq: number): number | undefined {
    const docno = this.docnoOf(id);
    if (docno === undefined) return undefined;
    this.stmt.deleteDoc.run(docno);
    this.hitCache.delete(docno);
    this.stmt.addTombstone.run(docno, id, seq);
    return docno;
  }

  getById(id: string): DocumentRow | undefined {
    const r = this.stmt.docById.get(id);
    return r && decodeRow(r);
  }

  getByDocno(docno: number): DocumentRow | undefined {
    const r = this.stmt.docByDocno.get(docno);
    return r && decodeRow(r);
  }

  /** A hit's fields without decoding its vectors; text and metadata only with `body`. */
  hitFields(docno: number, body: boolean): HitFields | undefined {
    return (body ? this.stmt.hitWithBodyByDocno : this.stmt.hitByDocno).get(docno);
  }

  /**
   * hitFields of a page of hits, by docno (docnos no longer stored are absent): one statement per
   * HIT_BATCH docnos instead of one per hit (measured: 10 hits in ~23 µs instead of 32–55); without
   * body, from the cache of recent hits first (HIT_CACHE_ENTRIES).
   */
  hitFieldsOf(docnos: readonly number[], body: boolean): Map<number, HitFields> {
    const out = new Map<number, HitFields>();
    const missing: number[] = [];
    for (const d of docnos) {
      const cached = body ? undefined : this.hitCache.get(d);
      if (cached) out.set(d, cached);
      else missing.push(d);
    }
    for (let at = 0; at < missing.length; at += HIT_BATCH) {
      const part = missing.slice(at, at + HIT_BATCH);
      // Rows as arrays (the driver builds no object per row; measured: a page of 10 in ~25-40 us
      // instead of ~40-85), made into HitFields here.
      for (const r of this.hitStatement(part.length, body).all(...part)) {
        const fields: HitFields = { id: r[1], title: r[2], text: r[3] ?? null, metadata: r[4] ?? null };
        out.set(r[0], fields);
        if (!body && fields.id.length + (fields.title?.length ?? 0) <= HIT_CACHE_CHARS) this.hitCache.set(r[0], fields);
      }
    }
    return out;
  }

  private hitStatement(n: number, body: boolean): Database.Statement<number[], HitRow> {
    const key = 2 * n + (body ? 1 : 0);
    let stmt = this.hitStatements.get(key);
    if (!stmt) {
      const fields = body ? ', text, metadata' : '';
      stmt = this.db.prepare<number[], HitRow>(`SELECT docno, id, title${fields} FROM documents WHERE docno IN (${Array(n).fill('?').join(', ')})`).raw(true);
      this.hitStatements.set(key, stmt);
    }
    return stmt;
  }

  /** The external id a tombstoned docno had (for readers of an older snapshot). */
  tombstonedId(docno: number): string | undefined {
    return this.stmt.tombstoneId.get(docno)?.id;
  }

  tombstones(): number[] {
    return this.stmt.allTombstones.all().map((r) => r.docno);
  }

  *rowsAfterSeq(seq: number): Generator<DocumentRow> {
    for (const r of this.stmt.rowsAfterSeq.iterate(seq)) yield decodeRow(r);
  }

  /** Up to `limit` live rows with docno in [from, to], ascending. */
  rowsInRange(from: number, to: number, limit: number): DocumentRow[] {
    return this.stmt.rowsFromDocno.all(from, to, limit).map(decodeRow);
  }

  /** Like rowsInRange, but only what a segment build needs (no text, metadata or dense vector). */
  vectorRowsInRange(from: number, to: number, limit: number): VectorRow[] {
    return this.readVectorRows(from, to, limit);
  }

  *allDocnos(): Generator<number> {
    yield* this.stmt.allDocnos.iterate();
  }

  *allMetadata(): Generator<{ docno: number; metadata: string | null }> {
    yield* this.stmt.allMetadata.iterate();
  }

  *allTfVectors(): Generator<{ indices: Uint32Array; length: number }> {
    for (const r of this.stmt.allTfVectors.iterate()) yield { indices: typed(r.indices, Uint32Array), length: r.length };
  }

  countDocuments(): number {
    return this.stmt.countDocs.get()?.n ?? 0;
  }

  segments(): SegmentRow[] {
    return this.stmt.segments.all().map((r) => ({
      file: r.file,
      docs: r.docs,
      minDocno: r.min_docno,
      maxDocno: r.max_docno,
      avgdl: r.avgdl,
      bytes: r.bytes,
      createdAt: r.created_at,
    }));
  }

  get generation(): number {
    return Number(this.getMeta('generation') ?? '0');
  }

  get sealedSeq(): number {
    return Number(this.getMeta('sealed_seq') ?? '0');
  }

  /**
   * One transaction: the new segment list becomes live (generation + 1). Always fsynced
   * (synchronous=FULL for this commit), whatever the collection's durability: callers delete the
   * files it drops right after, and a manifest that a power loss could roll back would then name
   * files that no longer exist. Manifest commits are rare (one per seal or merge), so this costs little.
   */
  /** Deletes tombstones that no segment and no running search needs (TombstoneGate decides when). */
  purgeTombstones(docnos: Iterable<number>): void {
    this.db.transaction(() => {
      for (const d of docnos) this.stmt.purgeTombstone.run(d);
    })();
  }

  commitManifest(change: ManifestChange): number {
    if (this.durability === 'fsync') return this.writeManifest(change);
    this.db.pragma('synchronous = FULL');
    try {
      return this.writeManifest(change);
    } finally {
      this.db.pragma('synchronous = NORMAL');
    }
  }

  private writeManifest(change: ManifestChange): number {
    return this.transaction(() => {
      for (const file of change.remove) this.stmt.removeSegment.run(file);
      for (const s of change.add) this.stmt.addSegment.run(s.file, s.docs, s.minDocno, s.maxDocno, s.avgdl, s.bytes, s.createdAt);
      for (const d of change.purgeTombstones) this.stmt.purgeTombstone.run(d);
      if (change.sealedSeq !== undefined && change.sealedSeq > this.sealedSeq) this.setMeta('sealed_seq', String(change.sealedSeq));
      const generation = this.generation + 1;
      this.setMeta('generation', String(generation));
      return generation;
    });
  }

  /** Moves a live row to the quarantine table with its reason (one transaction; its docno gets a tombstone). */
  quarantine(docno: number, reason: string): void {
    this.transaction(() => {
      const row = this.stmt.docByDocno.get(docno);
      if (!row) return;
      this.stmt.quarantine.run(reason, Date.now(), docno);
      const seq = this.nextSeq();
      this.deleteDocument(row.id, seq);
      this.appendOp(seq, 'delete', row.id, docno);
    });
  }

  quarantined(limit: number): QuarantinedRow[] {
    return this.stmt.quarantined.all(limit);
  }

  countQuarantined(): number {
    return this.stmt.countQuarantined.get()?.n ?? 0;
  }

  recordTerms(ids: Uint32Array, tokens: string[]): void {
    for (let i = 0; i < ids.length; i++) this.stmt.addTerm.run(ids[i], tokens[i]);
  }

  tokenOf(id: number): string | undefined {
    return this.stmt.tokenOf.get(id)?.token;
  }

  idOfToken(token: string): number | undefined {
    return this.stmt.idOfToken.get(token)?.id;
  }

  /** Online backup through SQLite's backup API (consistent while writes continue). */
  async backup(path: string): Promise<void> {
    await this.db.backup(path);
  }

  close(): void {
    if (this.db.open) this.db.close();
  }
}
