/**
 * One typed configuration with every default in one place. The server reads it from flags and
 * SPARROW_* environment variables (parseConfig, owned by the HTTP work); libraries take the pieces
 * they need as arguments.
 */
import os from 'node:os';
import type { IndexConfig } from './engine/types.js';
import type { SeismicParams } from './index/native-types.js';

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

export interface ServerConfig {
  port: number;
  host: string;
  dataDir: string;
  apiKey?: string;
  sample: boolean;
  bodyLimitBytes: number;
  maxBatchDocuments: number;
  maxK: number;
  maxQueryLength: number;
  logLevel: string;
}

export interface Config {
  server: ServerConfig;
  cpu: CpuConfig;
  index: IndexConfig;
}

/** Seismic build defaults (Seismic's reference values, with a budget relative to the segment). */
export const DEFAULT_SEISMIC: SeismicParams = {
  postingsPerList: 0, // filled in by the Seismic work: relative budget
  maxFraction: 1.5,
  centroidFraction: 0.1,
  summaryEnergy: 0.4,
  docCut: 15,
  nKnn: 0,
  seed: 42,
};

export const DEFAULT_INDEX: IndexConfig = {
  seismic: DEFAULT_SEISMIC,
  mutableMaxDocs: 20_000,
  maxUnsealedDocs: 100_000,
  mergeFactor: 8,
  maxSegmentDocs: 2_000_000,
  reclaimDeletedFraction: 0.3,
  exactFilterSelectivity: 0.01,
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
      sample: true,
      bodyLimitBytes: 32 * 1024 * 1024,
      maxBatchDocuments: 1_000,
      maxK: 1_000,
      maxQueryLength: 4_096,
      logLevel: 'info',
    },
    cpu: defaultCpu(),
    index: DEFAULT_INDEX,
  };
}
