/**
 * The data directory's own database, `<dataDir>/sparrow.db`: it holds the directory's exclusive
 * lock and the task records.
 *
 * One process per data directory: the database is opened with locking_mode=EXCLUSIVE and written
 * once, so this connection holds SQLite's exclusive lock (an fcntl lock) until it closes. The OS
 * drops that lock when the process dies, kill -9 included, so it never goes stale the way a pid file
 * does. A second process (or a second manager in this process) finds the lock taken and fails
 * with DATA_DIR_LOCKED, naming the holder's pid from `sparrow.pid` (written after the lock is
 * taken: informational only, the lock is what decides).
 */
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { AppError } from '../errors.js';

export const DATA_DIR_DB = 'sparrow.db';
export const PID_FILE = 'sparrow.pid';

const SCHEMA = `
  CREATE TABLE IF NOT EXISTS tasks (id TEXT PRIMARY KEY, body TEXT NOT NULL) STRICT;
`;

/** A stored task: its id and its JSON view (what GET /v1/tasks/{id} answers). */
export interface TaskRecord {
  id: string;
  [field: string]: unknown;
}

export class DataDirStore {
  private readonly stmt;

  private constructor(
    readonly dir: string,
    private readonly db: Database.Database,
  ) {
    this.stmt = {
      put: db.prepare<[string, string]>('INSERT INTO tasks (id, body) VALUES (?, ?) ON CONFLICT(id) DO UPDATE SET body = excluded.body'),
      all: db.prepare<[], { body: string }>('SELECT body FROM tasks ORDER BY rowid'),
      remove: db.prepare<[string]>('DELETE FROM tasks WHERE id = ?'),
    };
  }

  /** Takes the data directory (creating it); DATA_DIR_LOCKED when another process holds it. */
  static open(dataDir: string): DataDirStore {
    fs.mkdirSync(dataDir, { recursive: true });
    const file = path.join(dataDir, DATA_DIR_DB);
    const db = new Database(file, { timeout: 0 });
    try {
      db.pragma('locking_mode = EXCLUSIVE');
      db.pragma('journal_mode = WAL'); // in exclusive mode WAL needs no shared-memory file
      db.pragma('synchronous = NORMAL');
      // The first write takes the exclusive lock, and locking_mode EXCLUSIVE keeps it after COMMIT.
      db.exec(`BEGIN EXCLUSIVE; ${SCHEMA} COMMIT;`);
    } catch (error) {
      db.close();
      if ((error as { code?: string }).code?.startsWith('SQLITE_BUSY')) throw lockedError(dataDir);
      throw error;
    }
    fs.writeFileSync(path.join(dataDir, PID_FILE), `${process.pid}\n`);
    return new DataDirStore(dataDir, db);
  }

  saveTask(task: TaskRecord): void {
    this.stmt.put.run(task.id, JSON.stringify(task));
  }

  removeTask(id: string): void {
    this.stmt.remove.run(id);
  }

  /** Every stored task, oldest first. */
  tasks(): TaskRecord[] {
    return this.stmt.all.all().map((r) => JSON.parse(r.body) as TaskRecord);
  }

  /** Releases the lock (the pid file stays: it is only read when the lock is taken). */
  close(): void {
    if (this.db.open) this.db.close();
  }
}

function lockedError(dataDir: string): AppError {
  let pid: number | undefined;
  try {
    pid = Number.parseInt(fs.readFileSync(path.join(dataDir, PID_FILE), 'utf8'), 10);
  } catch {
    pid = undefined;
  }
  const holder = pid !== undefined && Number.isInteger(pid) ? `process ${pid}` : 'another process';
  return new AppError('DATA_DIR_LOCKED', `data directory ${path.resolve(dataDir)} is in use by ${holder} (a server or \`sparrow index --data-dir\`); stop it first, or talk to the server with --url`, {
    extra: { pid },
  });
}
