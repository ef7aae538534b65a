/**
 * createEncoder: the encoder of a collection config, as the engine and the server call it.
 * kind "lexical" (default): BM25 with the chosen analyzer, lexical queries. kind "splade": a model
 * directory, queries inference-free (default when idf.json exists) or siamese.
 */
import type { CpuConfig } from '../config.js';
import type { EncoderConfig } from '../engine/types.js';
import { AppError } from '../errors.js';
import { getEncoderPool, type EncoderPool } from '../workers/pool.js';
import { DEFAULT_ANALYZER } from './analyzer.js';
import { LexicalEncoder } from './lexical.js';
import { validatePrune } from './splade-math.js';
import { SpladeEncoder } from './splade-encoder.js';
import type { SparseEncoder } from './types.js';

function invalid(detail: string): never {
  throw new AppError('INVALID_CONFIG', detail);
}

export async function createEncoder(config: EncoderConfig, cpu: CpuConfig, pool: () => EncoderPool = () => getEncoderPool(cpu)): Promise<SparseEncoder> {
  if (config === null || typeof config !== 'object') invalid('encoder must be an object');
  if (config.kind === 'lexical') {
    if (config.query !== undefined && config.query !== 'lexical') invalid(`encoder.query ${JSON.stringify(config.query)} needs kind "splade" (lexical encoders answer lexical queries)`);
    if (config.model !== undefined) invalid('encoder.model is only for kind "splade"');
    if (config.prune !== undefined) invalid('encoder.prune is only for kind "splade"');
    return new LexicalEncoder(DEFAULT_ANALYZER, pool);
  }
  if (config.kind === 'splade') {
    if (typeof config.model !== 'string' || config.model === '') invalid('encoder.model (a model directory) is required for kind "splade"');
    if (config.query !== undefined && config.query !== 'inference-free' && config.query !== 'siamese') invalid(`encoder.query must be "inference-free" or "siamese" for kind "splade"`);
    return SpladeEncoder.open({
      modelDir: config.model,
      query: config.query,
      prune: validatePrune(config.prune),
      intraOpThreads: cpu.onnxIntraOpThreads,
      pool: pool(),
    });
  }
  invalid(`encoder.kind must be "lexical" or "splade", not ${JSON.stringify((config as { kind?: unknown }).kind)}`);
}
