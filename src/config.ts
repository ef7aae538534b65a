/**
 * One typed configuration with every default in one place. The server reads it from flags and
 * SPARROW_* environment variables (parseConfig, owned by the HTTP work); libraries take the pieces
 * they need as arguments.
 */
import os from 'node:os';
import { parseArgs } from 'node:util';
import { AppError } from './errors.js';
import type { IndexConfig } from './engine/types.js';
import type { SeismicParams } from './index/native-types.js';
import { DEFAULT_RECALL_MONITOR, type RecallMonitorOptions } from './engine/search/recall-monitor.js';

/** One CPU budget shared by encoder workers, ONNX intra-op threads, native search and build threads. */
export interface CpuConfig {
  /** total cores Sparrow may keep busy */
  budget: number;
  encoderWorkers: number;
  onnxIntraOpThreads: number;
  searchThreads: number;
  buildThreads: number;
  /** queued encoding tasks before callers get OVERLOADED (HTTP 503) */
  encoderQueue: number;
}

/** What a key may do: read < write < admin (each includes the ones before it). */
export type KeyScope = 'read' | 'write' | 'admin';
export const KEY_SCOPES: readonly KeyScope[] = ['read', 'write', 'admin'];

/** One API key besides the admin key (README "Security / API keys"). */
export interface ApiKeyGrant {
  key: string;
  scope: KeyScope;
  /** only these collections (names, or aliases resolved when a request arrives); absent: all */
  collections?: string[];
}

export interface ServerConfig {
  port: number;
  host: string;
  dataDir: string;
  /** the admin key: every route */
  apiKey?: string;
  /** more keys, scoped (--api-keys / SPARROW_API_KEYS) */
  apiKeys: ApiKeyGrant[];
  /** serve a non-loopback address without an API key (off: that is refused at start) */
  allowNoKey: boolean;
  sample: boolean;
  bodyLimitBytes: number;
  maxBatchDocuments: number;
  maxK: number;
  maxQueryLength: number;
  logLevel: string;
  /** the recall monitor of every collection (src/engine/search/recall-monitor.ts) */
  recallMonitor: RecallMonitorOptions;
}

export interface Config {
  server: ServerConfig;
  cpu: CpuConfig;
  index: IndexConfig;
}

/**
 * Seismic build defaults: their one home (the native side takes every field explicitly). Chosen by
 * measurement on real-text sets and the synthetic set, tune queries only (README "Index benchmark").
 */
export const DEFAULT_SEISMIC: SeismicParams = {
  nPostings: 4000, // average postings per non-empty list (Seismic's n_postings)
  maxFraction: 1.5,
  centroidFraction: 0.02, // ~50 postings per block: with summaryCap 2 a summary keeps up to ~100 entries (README "Index benchmark")
  summaryEnergy: 0.6,
  summaryCap: 2, // summaries ≤ 6 bytes per kept posting (3 per entry): the segment stays ≤ 16 B/nnz
  docCut: 15,
  nKnn: 0,
  seed: 42,
  // Below 8M non-zeros a segment has no blocks: term at a time it answers exactly and faster than the
  // calibrated blocked search on every set measured up to 12M non-zeros (README "Index benchmark").
  exhaustiveBelow: 8_000_000,
};

/**
 * Query knobs of a search that names none on a segment without calibrated ones: recall@10 0.983
 * (SciFact BM25) and 1.000 (real-query-as-document MS MARCO) on the report halves with the default
 * build (README "Index benchmark"). The addon has no fallbacks: src/index/native.ts fills these in.
 */
export const DEFAULT_SEISMIC_QUERY = { queryCut: 10, heapFactor: 0.5 } as const;

export const DEFAULT_INDEX: IndexConfig = {
  seismic: DEFAULT_SEISMIC,
  mutableMaxDocs: 20_000,
  maxUnsealedDocs: 100_000,
  mergeFactor: 8,
  maxSegmentDocs: 2_000_000,
  reclaimDeletedFraction: 0.3,
  // Measured (npm run bench:engine, tune queries, 100k synthetic docs): below 5 % the approximate
  // filtered search keeps < 0.81 recall@10 while the exact scan over the allowed set costs <= ~4x.
  exactFilterSelectivity: 0.05,
  targetRecall: 0.95,
  recentQueries: true,
};

/** The dense field of a collection (hybrid search). */
export interface DenseIndexConfig {
  /** live vectors from which searches use the HNSW index instead of the exact scan */
  annThreshold: number;
  /** approximate searches fetch k × oversample candidates (÷ filter selectivity), then rescore exactly */
  oversample: number;
  /** beyond this many candidates (very selective filters) the exact scan answers instead */
  maxApproximateFetch: number;
  /** usearch HNSW: graph degree M, efConstruction, efSearch; threads per insert batch (default 1) */
  ann: { connectivity: number; expansionAdd: number; expansionSearch: number; threads?: number };
}

/** annThreshold: where the exact scan (2 threads) grows slower than HNSW at equal recall; see README "Hybrid". */
export const DEFAULT_DENSE_INDEX: DenseIndexConfig = {
  annThreshold: 50_000,
  oversample: 2,
  maxApproximateFetch: 2_000,
  ann: { connectivity: 16, expansionAdd: 64, expansionSearch: 128 },
};

export function defaultCpu(budget = Math.max(1, Math.min(os.availableParallelism(), 64))): CpuConfig {
  return {
    budget,
    encoderWorkers: Math.max(1, Math.floor(budget / 2)),
    onnxIntraOpThreads: 1,
    searchThreads: budget,
    buildThreads: 1,
    encoderQueue: 256,
  };
}

export function defaultConfig(): Config {
  return {
    server: {
      port: 8080,
      host: '127.0.0.1',
      dataDir: 'index-data',
      apiKeys: [],
      allowNoKey: false,
      sample: true,
      bodyLimitBytes: 32 * 1024 * 1024,
      maxBatchDocuments: 1_000,
      maxK: 1_000,
      maxQueryLength: 4_096,
      logLevel: 'info',
      recallMonitor: { ...DEFAULT_RECALL_MONITOR },
    },
    cpu: defaultCpu(),
    index: DEFAULT_INDEX,
  };
}

/**
 * Server configuration from command-line flags and SPARROW_* environment variables (flags win),
 * over defaultConfig(). A bad value throws AppError INVALID_CONFIG naming the flag or variable.
 */
export interface OptionSpec {
  flag: string;
  env: string;
  apply(config: Config, raw: string, name: string): void;
}

function fractionOption(raw: string, name: string, min: number): number {
  const n = Number(raw);
  if (raw.trim() === '' || !Number.isFinite(n) || n < min || n > 1) {
    throw new AppError('INVALID_CONFIG', `${name} must be a number in ${min === 0 ? '[0' : `(${min}`}, 1], got ${JSON.stringify(raw)}`);
  }
  return n;
}

function intOption(raw: string, name: string, min: number, max: number): number {
  const n = Number(raw);
  if (raw.trim() === '' || !Number.isInteger(n) || n < min || n > max) {
    throw new AppError('INVALID_CONFIG', `${name} must be an integer in [${min}, ${max}], got ${JSON.stringify(raw)}`);
  }
  return n;
}

export const OPTIONS: OptionSpec[] = [
  { flag: 'port', env: 'SPARROW_PORT', apply: (c, v, n) => void (c.server.port = intOption(v, n, 0, 65_535)) },
  { flag: 'host', env: 'SPARROW_HOST', apply: (c, v, n) => void (c.server.host = nonEmpty(v, n)) },
  { flag: 'data-dir', env: 'SPARROW_DATA_DIR', apply: (c, v, n) => void (c.server.dataDir = nonEmpty(v, n)) },
  { flag: 'api-key', env: 'SPARROW_API_KEY', apply: (c, v) => void (c.server.apiKey = v === '' ? undefined : v) },
  { flag: 'api-keys', env: 'SPARROW_API_KEYS', apply: (c, v, n) => void (c.server.apiKeys = parseApiKeys(v, n)) },
  { flag: 'allow-no-key', env: 'SPARROW_ALLOW_NO_KEY', apply: (c, v, n) => void (c.server.allowNoKey = onOff(v, n)) },
  { flag: 'sample', env: 'SPARROW_SAMPLE', apply: (c, v, n) => void (c.server.sample = onOff(v, n)) },
  { flag: 'body-limit', env: 'SPARROW_BODY_LIMIT', apply: (c, v, n) => void (c.server.bodyLimitBytes = intOption(v, n, 1024, 1 << 30)) },
  { flag: 'max-batch', env: 'SPARROW_MAX_BATCH', apply: (c, v, n) => void (c.server.maxBatchDocuments = intOption(v, n, 1, 100_000)) },
  { flag: 'max-k', env: 'SPARROW_MAX_K', apply: (c, v, n) => void (c.server.maxK = intOption(v, n, 1, 10_000)) },
  { flag: 'max-query-length', env: 'SPARROW_MAX_QUERY_LENGTH', apply: (c, v, n) => void (c.server.maxQueryLength = intOption(v, n, 1, 1 << 20)) },
  { flag: 'log-level', env: 'SPARROW_LOG_LEVEL', apply: (c, v, n) => void (c.server.logLevel = oneOf(v, n, LOG_LEVELS)) },
  { flag: 'recall-sample-rate', env: 'SPARROW_RECALL_SAMPLE_RATE', apply: (c, v, n) => void (c.server.recallMonitor.rate = fractionOption(v, n, 0)) },
  { flag: 'recall-cpu-share', env: 'SPARROW_RECALL_CPU_SHARE', apply: (c, v, n) => void (c.server.recallMonitor.maxShare = fractionOption(v, n, 0.001)) },
  { flag: 'cpu-budget', env: 'SPARROW_CPU_BUDGET', apply: (c, v, n) => void (c.cpu = defaultCpu(intOption(v, n, 1, 64))) },
];

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

function nonEmpty(raw: string, name: string): string {
  if (raw.trim() === '') throw new AppError('INVALID_CONFIG', `${name} must not be empty`);
  return raw;
}

/**
 * `--api-keys` / SPARROW_API_KEYS: entries separated by whitespace or `;`, each
 * `scope:key` or `scope:key:collection,collection` with scope read, write or admin (admin keys are
 * never limited). A key holds no whitespace, `:` or `;`.
 */
export function parseApiKeys(raw: string, name: string): ApiKeyGrant[] {
  const grants: ApiKeyGrant[] = [];
  for (const entry of raw.split(/[\s;]+/).filter((e) => e !== '')) {
    const [scope, key, collections, ...rest] = entry.split(':');
    const where = `${name}: entry ${JSON.stringify(entry.replace(/:[^:]*/, ':…'))}`;
    if (!(KEY_SCOPES as readonly string[]).includes(scope) || !key || rest.length > 0 || collections === '') {
      throw new AppError('INVALID_CONFIG', `${where} must be scope:key or scope:key:collection,collection with scope ${KEY_SCOPES.join(', ')}`);
    }
    const grant: ApiKeyGrant = { key, scope: scope as KeyScope };
    if (collections !== undefined) {
      if (scope === 'admin') throw new AppError('INVALID_CONFIG', `${where}: an admin key cannot be limited to collections (give it scope write)`);
      grant.collections = collections.split(',');
      const bad = grant.collections.find((c) => !/^[a-z0-9][a-z0-9_-]{0,63}$/.test(c));
      if (bad !== undefined) throw new AppError('INVALID_CONFIG', `${where}: ${JSON.stringify(bad)} is not a collection name`);
    }
    if (grants.some((g) => g.key === key)) throw new AppError('INVALID_CONFIG', `${where}: the same key is listed twice`);
    grants.push(grant);
  }
  return grants;
}

/** Whether the server asks for a key at all. */
export function hasApiKeys(server: ServerConfig): boolean {
  return server.apiKey !== undefined || server.apiKeys.length > 0;
}

function onOff(raw: string, name: string): boolean {
  const v = raw.toLowerCase();
  if (['on', 'true', '1', 'yes'].includes(v)) return true;
  if (['off', 'false', '0', 'no'].includes(v)) return false;
  throw new AppError('INVALID_CONFIG', `${name} must be on or off, got ${JSON.stringify(raw)}`);
}

function oneOf<T extends string>(raw: string, name: string, allowed: readonly T[]): T {
  if (!(allowed as readonly string[]).includes(raw)) {
    throw new AppError('INVALID_CONFIG', `${name} must be one of ${allowed.join(', ')}, got ${JSON.stringify(raw)}`);
  }
  return raw as T;
}

export function parseConfig(argv: readonly string[], env: Readonly<Record<string, string | undefined>> = process.env): Config {
  let flags: Record<string, string | boolean | undefined>;
  try {
    flags = parseArgs({
      args: [...argv],
      options: Object.fromEntries(OPTIONS.map((o) => [o.flag, { type: 'string' as const }])),
      strict: true,
      allowPositionals: false,
    }).values;
  } catch (err) {
    throw new AppError('INVALID_CONFIG', (err as Error).message, { cause: err });
  }
  const config = defaultConfig();
  for (const option of OPTIONS) {
    const fromEnv = env[option.env];
    if (fromEnv !== undefined) option.apply(config, fromEnv, option.env);
  }
  for (const option of OPTIONS) {
    const fromFlag = flags[option.flag];
    if (typeof fromFlag === 'string') option.apply(config, fromFlag, `--${option.flag}`);
  }
  if (config.server.apiKey !== undefined && config.server.apiKeys.some((g) => g.key === config.server.apiKey)) {
    throw new AppError('INVALID_CONFIG', 'a key of --api-keys (SPARROW_API_KEYS) is also the admin key --api-key (SPARROW_API_KEY)');
  }
  if (!isLoopback(config.server.host) && !hasApiKeys(config.server) && !config.server.allowNoKey) {
    throw new AppError(
      'INVALID_CONFIG',
      `--host ${config.server.host} serves other machines, and no API key is set: set --api-key (SPARROW_API_KEY), or --allow-no-key on (SPARROW_ALLOW_NO_KEY) to serve it open on purpose`,
    );
  }
  return config;
}

/** Whether a listen address is reachable from this machine only. */
export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host);
}
