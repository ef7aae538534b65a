/**
 * A collection's config: defaults merged with what the user gave, validated (INVALID_CONFIG names
 * the option). Stored in the collection's meta table at creation and read back at open.
 */
import { DEFAULT_INDEX, DEFAULT_SEISMIC } from '../config.js';
import type { SeismicParams } from '../index/native-types.js';
import { AppError } from '../errors.js';
import { checkSeismicParams } from '../index/native.js';
import type { CollectionConfig, IndexConfig } from './types.js';

const FIELD_TYPES = new Set(['keyword', 'number', 'boolean']);
const FIELD_NAME = /^[A-Za-z_][A-Za-z0-9_.-]{0,63}$/;

export function resolveCollectionConfig(partial: Partial<CollectionConfig> | undefined, indexDefaults: IndexConfig = DEFAULT_INDEX): CollectionConfig {
  const p = partial ?? {};
  if (typeof p !== 'object' || Array.isArray(p)) throw bad('config', 'must be an object');
  const encoder = { kind: 'lexical' as const, ...(p.encoder ?? {}) };
  // Lexical and SPLADE collections share the build defaults: a list within its nPostings share
  // keeps every posting, so small and mid-size lexical segments lose no match to pruning.
  const seismic = { ...indexDefaults.seismic, ...(p.index?.seismic ?? {}) };
  const index: IndexConfig = { ...indexDefaults, ...(p.index ?? {}), seismic };
  const config: CollectionConfig = {
    encoder,
    index,
    filterable: { ...(p.filterable ?? {}) },
    durability: p.durability ?? 'process',
  };
  if (p.dense !== undefined) config.dense = p.dense;
  validate(config);
  return config;
}

/**
 * The Seismic build parameters of a config stored by an older Sparrow: parameters this version
 * no longer has (postingFraction) are dropped and new ones take their defaults. The segments that
 * older parameters built are rebuilt anyway (another segment file version).
 */
export function currentSeismicParams(stored: Partial<SeismicParams> & Record<string, unknown>): SeismicParams {
  const out: Record<string, unknown> = { ...DEFAULT_SEISMIC };
  for (const key of [...Object.keys(DEFAULT_SEISMIC), 'pruningDisabled']) if (stored[key] !== undefined) out[key] = stored[key];
  return out as unknown as SeismicParams;
}

function validate(c: CollectionConfig): void {
  if (c.encoder.kind !== 'lexical' && c.encoder.kind !== 'splade') throw bad('encoder.kind', 'must be "lexical" or "splade"');
  if (c.durability !== 'process' && c.durability !== 'fsync') throw bad('durability', 'must be "process" or "fsync"');
  const ix = c.index;
  const positiveInt = ['mutableMaxDocs', 'maxUnsealedDocs', 'maxSegmentDocs'] as const;
  for (const key of positiveInt) if (!Number.isInteger(ix[key]) || ix[key] < 1) throw bad(`index.${key}`, 'must be a positive integer');
  if (!Number.isInteger(ix.mergeFactor) || ix.mergeFactor < 2) throw bad('index.mergeFactor', 'must be an integer >= 2');
  if (ix.maxUnsealedDocs < ix.mutableMaxDocs) throw bad('index.maxUnsealedDocs', 'must be >= index.mutableMaxDocs');
  for (const key of ['reclaimDeletedFraction', 'exactFilterSelectivity'] as const) {
    if (typeof ix[key] !== 'number' || !(ix[key] >= 0 && ix[key] <= 1)) throw bad(`index.${key}`, 'must be a number in [0, 1]');
  }
  try {
    checkSeismicParams(ix.seismic);
  } catch (error) {
    // The native message names the field: "seismic params: maxFraction must be in [1, 1000]" or "params.docCut ...".
    const message = (error as Error).message;
    const field = /(?:params[.:] ?)([A-Za-z]+)/.exec(message)?.[1];
    throw new AppError('INVALID_CONFIG', `index.seismic: ${message}`, { extra: { option: field ? `index.seismic.${field}` : 'index.seismic' } });
  }
  if (typeof ix.targetRecall !== 'number' || !(ix.targetRecall > 0 && ix.targetRecall <= 1)) throw bad('index.targetRecall', 'must be a number in (0, 1]');
  if (typeof ix.recentQueries !== 'boolean') throw bad('index.recentQueries', 'must be a boolean');
  if (typeof c.filterable !== 'object' || Array.isArray(c.filterable)) throw bad('filterable', 'must be an object of field -> type');
  for (const [name, type] of Object.entries(c.filterable)) {
    if (!FIELD_NAME.test(name)) throw bad(`filterable.${name}`, 'is not a valid field name');
    if (!FIELD_TYPES.has(type)) throw bad(`filterable.${name}`, 'must be "keyword", "number" or "boolean"');
  }
  if (c.dense !== undefined) {
    if (!Number.isInteger(c.dense.dims) || c.dense.dims < 1 || c.dense.dims > 4096) throw bad('dense.dims', 'must be an integer in [1, 4096]');
    if (c.dense.metric !== 'dot' && c.dense.metric !== 'cosine') throw bad('dense.metric', 'must be "dot" or "cosine"');
    if (c.dense.model !== undefined && (typeof c.dense.model !== 'string' || c.dense.model === '')) throw bad('dense.model', 'must be a model directory');
    if (c.dense.pooling !== undefined && c.dense.pooling !== 'mean' && c.dense.pooling !== 'cls') throw bad('dense.pooling', 'must be "mean" or "cls"');
    if (c.dense.normalize !== undefined && typeof c.dense.normalize !== 'boolean') throw bad('dense.normalize', 'must be a boolean');
  }
}

function bad(option: string, message: string): AppError {
  return new AppError('INVALID_CONFIG', `${option} ${message}`, { extra: { option } });
}
