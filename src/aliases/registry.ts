/**
 * Aliases: a name that points at a collection (`PUT /v1/aliases/{alias}`), so clients keep one name
 * while the collection behind it is rebuilt (new encoder model, new settings) and switched in one
 * step. Persisted in `<dataDir>/aliases.json`: written to a temporary file, fsynced, renamed over
 * the old one and the directory fsynced, then swapped in memory in one synchronous step — a request
 * resolves an alias once, when it arrives, and sees either the old target or the new one.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { AppError } from '../errors.js';
import { fsyncPath } from '../store/files.js';

export const ALIASES_FILE = 'aliases.json';
const FORMAT = 1;

export interface AliasView {
  alias: string;
  collection: string;
}

export class AliasRegistry {
  /** writes run one after another: each persists the whole table it swaps in */
  private writing: Promise<unknown> = Promise.resolve();

  private constructor(
    private readonly file: string,
    private table: ReadonlyMap<string, string>,
  ) {}

  static async open(dataDir: string): Promise<AliasRegistry> {
    const file = path.join(dataDir, ALIASES_FILE);
    let text: string | undefined;
    try {
      text = await fs.readFile(file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw new AppError('IO_ERROR', `${file}: ${(err as Error).message}`, { cause: err });
    }
    return new AliasRegistry(file, text === undefined ? new Map() : parseTable(file, text));
  }

  /** The collection an alias names, or the name itself when it is no alias. */
  resolve(name: string): string {
    return this.table.get(name) ?? name;
  }

  get(alias: string): AliasView {
    const collection = this.table.get(alias);
    if (collection === undefined) throw new AppError('ALIAS_NOT_FOUND', `no alias ${JSON.stringify(alias)}`);
    return { alias, collection };
  }

  has(alias: string): boolean {
    return this.table.has(alias);
  }

  list(): AliasView[] {
    return [...this.table].map(([alias, collection]) => ({ alias, collection })).sort((a, b) => (a.alias < b.alias ? -1 : 1));
  }

  /** The aliases pointing at a collection. */
  aliasesOf(collection: string): string[] {
    return this.list()
      .filter((a) => a.collection === collection)
      .map((a) => a.alias);
  }

  /** Points `alias` at `collection` (creating or switching it); returns the previous target. */
  set(alias: string, collection: string): Promise<string | undefined> {
    return this.update((table) => {
      const previous = table.get(alias);
      table.set(alias, collection);
      return previous;
    });
  }

  /** Removes an alias (ALIAS_NOT_FOUND if none). */
  remove(alias: string): Promise<string> {
    return this.update((table) => {
      const previous = table.get(alias);
      if (previous === undefined) throw new AppError('ALIAS_NOT_FOUND', `no alias ${JSON.stringify(alias)}`);
      table.delete(alias);
      return previous;
    });
  }

  private update<T>(change: (table: Map<string, string>) => T): Promise<T> {
    const run = this.writing.then(async () => {
      const next = new Map(this.table);
      const result = change(next);
      await writeDurable(this.file, JSON.stringify({ format: FORMAT, aliases: Object.fromEntries([...next].sort()) }, null, 2) + '\n');
      this.table = next;
      return result;
    });
    this.writing = run.catch(() => undefined);
    return run;
  }
}

function parseTable(file: string, text: string): Map<string, string> {
  const bad = (why: string): never => {
    throw new AppError('INDEX_FILE_CORRUPT', `${file}: ${why}`);
  };
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    bad('is not valid JSON');
  }
  const { format, aliases } = (data ?? {}) as { format?: unknown; aliases?: unknown };
  if (format !== FORMAT) bad(`format ${JSON.stringify(format)} is not ${FORMAT}`);
  if (aliases === null || typeof aliases !== 'object' || Array.isArray(aliases)) bad('"aliases" must be an object');
  const table = new Map<string, string>();
  for (const [alias, collection] of Object.entries(aliases as Record<string, unknown>)) {
    if (typeof collection !== 'string') bad(`alias ${JSON.stringify(alias)} must name a collection`);
    table.set(alias, collection as string);
  }
  return table;
}

async function writeDurable(file: string, content: string): Promise<void> {
  const tmp = `${file}.${process.pid}.tmp`;
  try {
    await fs.writeFile(tmp, content);
    await fsyncPath(tmp);
    await fs.rename(tmp, file);
    await fsyncPath(path.dirname(file));
  } catch (err) {
    await fs.rm(tmp, { force: true });
    throw new AppError('IO_ERROR', `${file}: ${(err as Error).message}`, { cause: err });
  }
}
