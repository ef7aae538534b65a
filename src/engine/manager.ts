/**
 * The collections of one data directory: `<dataDir>/<name>/collection.db` + `segments/`.
 * Opens every collection at start; create/drop validate names and configs.
 */
import { DEFAULT_RECALL_MONITOR, type RecallMonitorOptions } from './search/recall-monitor.js';
import fs from 'node:fs/promises';
import path from 'node:path';
import { defaultCpu, DEFAULT_INDEX, type CpuConfig } from '../config.js';
import { openDenseEncoder } from '../encoder/dense.js';
import type { SparseEncoder } from '../encoder/types.js';
import { AppError } from '../errors.js';
import { DataDirStore } from '../store/data-dir-store.js';
import { setSearchThreads } from '../index/native.js';
import { resolveCollectionConfig } from './collection-config.js';
import type { EngineCollection } from './write/collection.js';
import { DB_FILE, openCollection } from './write/open-collection.js';
import type { Collection, CollectionConfig, CollectionManager, IndexConfig } from './types.js';

const NAME = /^[a-z0-9][a-z0-9_-]{0,63}$/;
/** Folders of the data directory that are not collections (backups/ holds `_backup` targets, samples/ the bundled datasets). */
export const RESERVED_NAMES: ReadonlySet<string> = new Set(['backups', 'samples']);

export interface ManagerOptions {
  dataDir: string;
  cpu?: CpuConfig;
  /** defaults for new collections' index options */
  index?: IndexConfig;
  /** the recall monitor of every collection (default DEFAULT_RECALL_MONITOR) */
  recallMonitor?: RecallMonitorOptions;
  /** the sparse encoder of a collection config (undefined: documents and queries must bring vectors) */
  encoderFor?: (config: CollectionConfig, cpu: CpuConfig) => Promise<SparseEncoder | undefined>;
}

export class EngineManager implements CollectionManager {
  private readonly collections = new Map<string, EngineCollection>();
  private readonly pending = new Set<string>();
  /** collections whose directory could not be opened at start, with why */
  private readonly unavailable = new Map<string, string>();

  private constructor(
    private readonly opts: Required<Omit<ManagerOptions, 'encoderFor'>> & Pick<ManagerOptions, 'encoderFor'>,
    /** the data directory's lock and task records, held until close() */
    readonly home: DataDirStore,
  ) {}

  /** Takes the data directory's lock first (DATA_DIR_LOCKED: another process has it), then opens every collection. */
  static async open(options: ManagerOptions): Promise<EngineManager> {
    const m = new EngineManager({ cpu: defaultCpu(), index: DEFAULT_INDEX, recallMonitor: DEFAULT_RECALL_MONITOR, ...options }, DataDirStore.open(options.dataDir));
    setSearchThreads(m.opts.cpu.searchThreads); // the native search pool is process-wide: the CPU budget bounds it
    try {
      for (const entry of await fs.readdir(options.dataDir, { withFileTypes: true })) {
        if (!entry.isDirectory() || !NAME.test(entry.name)) continue;
        const dir = path.join(options.dataDir, entry.name);
        if (!(await exists(path.join(dir, DB_FILE)))) continue;
        try {
          m.adopt(await openCollection(entry.name, dir, m.openOptions()));
        } catch (error) {
          // One collection that cannot open (a damaged or newer collection.db...) never stops the others.
          const reason = error instanceof Error ? error.message : String(error);
          m.unavailable.set(entry.name, reason);
          console.error(`sparrow: collection ${entry.name} could not be opened; it answers 503 COLLECTION_UNAVAILABLE until fixed and restarted:`, error);
        }
      }
    } catch (error) {
      await m.close();
      throw error;
    }
    return m;
  }

  private adopt(c: EngineCollection): EngineCollection {
    c.onBroken = (error) => void this.rebuildReadOnly(c, error);
    c.monitor.options = this.opts.recallMonitor;
    this.collections.set(c.name, c);
    return c;
  }

  /**
   * Applying a committed write failed (a bug): the collection's memory may be half applied, so it
   * is closed and opened again from SQLite, where every acknowledged write is, and serves read-only
   * (writes: 503 COLLECTION_READ_ONLY) with the reason in its stats and /ready until a restart.
   * Meanwhile the broken instance answers 503 to everything; the other collections are untouched.
   */
  private async rebuildReadOnly(broken: EngineCollection, error: unknown): Promise<void> {
    const reason = `applying a committed write failed: ${error instanceof Error ? error.message : String(error)}`;
    try {
      await broken.close();
      if (this.collections.get(broken.name) !== broken) return; // dropped or closed meanwhile
      const c = await openCollection(broken.name, broken.dir, this.openOptions());
      c.health = { status: 'read-only', reason };
      this.adopt(c);
      console.error(`sparrow: collection ${broken.name} rebuilt from collection.db; read-only until restart (${reason})`);
    } catch (reopenError) {
      console.error(`sparrow: collection ${broken.name} could not be rebuilt; it answers 503 until restart:`, reopenError);
    }
  }

  private openOptions(create?: CollectionConfig): Parameters<typeof openCollection>[2] {
    const { cpu, encoderFor } = this.opts;
    return { create, buildThreads: cpu.buildThreads, encoderFor: async (config) => encoderFor?.(config, cpu), denseEncoderFor: (dense) => openDenseEncoder(dense, cpu) };
  }

  async create(name: string, config: Partial<CollectionConfig>): Promise<Collection> {
    if (typeof name !== 'string' || !NAME.test(name)) {
      throw new AppError('INVALID_COLLECTION_NAME', 'a collection name is 1-64 characters of a-z, 0-9, "_" and "-", starting with a letter or digit');
    }
    if (RESERVED_NAMES.has(name)) throw new AppError('INVALID_COLLECTION_NAME', `"${name}" is reserved: the data directory keeps its own ${name}/ folder there`);
    if (this.collections.has(name) || this.pending.has(name)) throw new AppError('COLLECTION_EXISTS', `collection ${name} already exists`);
    const resolved = withAbsoluteModels(resolveCollectionConfig(config, this.opts.index));
    const dir = path.join(this.opts.dataDir, name);
    if (await exists(dir)) throw new AppError('COLLECTION_EXISTS', `directory ${dir} already exists`);
    this.pending.add(name);
    try {
      return this.adopt(await openCollection(name, dir, this.openOptions(resolved)));
    } catch (error) {
      await fs.rm(dir, { recursive: true, force: true });
      // At create time a model that cannot be loaded is the caller's mistake (at start it is not: see openCollection).
      if (error instanceof AppError && error.code === 'MODEL_LOAD_FAILED') throw new AppError('INVALID_MODEL', error.message, { extra: error.extra, cause: error });
      throw error;
    } finally {
      this.pending.delete(name);
    }
  }

  get(name: string): Collection {
    const c = this.collections.get(name);
    const reason = this.unavailable.get(name);
    if (!c && reason !== undefined) throw new AppError('COLLECTION_UNAVAILABLE', `collection ${name} could not be opened at start: ${reason}`, { retryAfter: 60 });
    if (!c) throw new AppError('COLLECTION_NOT_FOUND', `collection ${name} does not exist`);
    return c;
  }

  list(): string[] {
    return [...this.collections.keys()].sort();
  }

  async drop(name: string): Promise<void> {
    const c = this.get(name);
    this.collections.delete(name);
    await c.close();
    await fs.rm(path.join(this.opts.dataDir, name), { recursive: true, force: true });
  }

  async close(): Promise<void> {
    const all = [...this.collections.values()];
    this.collections.clear();
    try {
      await Promise.all(all.map((c) => c.close()));
    } finally {
      this.home.close();
    }
  }
}

/**
 * Model directories as absolute paths (resolved against the working directory at create time), so
 * the stored config means the same directory whatever directory the server is started from later.
 */
function withAbsoluteModels(config: CollectionConfig): CollectionConfig {
  const out = { ...config, encoder: { ...config.encoder } };
  if (out.encoder.model !== undefined) out.encoder.model = path.resolve(out.encoder.model);
  if (config.dense?.model !== undefined) out.dense = { ...config.dense, model: path.resolve(config.dense.model) };
  return out;
}

async function exists(p: string): Promise<boolean> {
  return fs.access(p).then(
    () => true,
    () => false,
  );
}
