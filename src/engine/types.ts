/**
 * The collections engine as the HTTP layer and the CLI see it (issue: collections engine).
 * No HTTP in here: errors are AppError with codes from src/errors.ts.
 */
import type { SparseVector } from '../core/types.js';
import type { Highlight } from '../highlight/highlight.js';
import type { HighlightOptions } from '../highlight/fragments.js';
import type { QueryStats, SeismicParams } from '../index/native-types.js';
import type { RecallFigure } from './search/recall-monitor.js';

export type FieldType = 'keyword' | 'number' | 'boolean';

export interface EncoderConfig {
  kind: 'lexical' | 'splade';
  model?: string; // model directory (splade)
  query?: 'inference-free' | 'siamese' | 'lexical';
  prune?: { top_k?: number; alpha_mass?: number; abs_value?: number; max_ratio?: number };
}

export interface IndexConfig {
  seismic: SeismicParams;
  /** documents in the mutable segment before it is sealed */
  mutableMaxDocs: number;
  /** writers get BACKPRESSURE beyond this many unsealed documents */
  maxUnsealedDocs: number;
  /** merge policy: segments per tier before a merge, and the largest segment a merge produces */
  mergeFactor: number;
  maxSegmentDocs: number;
  /** a segment with more than this share of deleted documents is rewritten */
  reclaimDeletedFraction: number;
  /** filters allowing fewer than this share of documents are searched exactly */
  exactFilterSelectivity: number;
  /** recall@k vs exact search that each segment's calibrated default settings reach (on a lower confidence bound) */
  targetRecall: number;
  /** keep a bounded sample of recent queries (SQLite) to calibrate new segments on; false: pseudo-queries only */
  recentQueries: boolean;
}

export interface DenseConfig {
  dims: number;
  metric: 'dot' | 'cosine';
  /** a dense ONNX model directory (HF feature-extraction export): embeds texts without a `dense` vector, and query texts */
  model?: string;
  pooling?: 'mean' | 'cls'; // default mean
  normalize?: boolean; // default true
}

export interface CollectionConfig {
  encoder: EncoderConfig;
  index: IndexConfig;
  filterable: Record<string, FieldType>;
  dense?: DenseConfig;
  durability: 'process' | 'fsync';
}

/** Sparse input from a user: ids + weights, or token -> weight (resolved through the vocabulary). */
export type SparseInput = { indices: number[]; values: number[] } | { tokens: Record<string, number> };

export interface DocumentInput {
  id: string;
  title?: string;
  text?: string;
  metadata?: Record<string, unknown>;
  sparse?: SparseInput;
  dense?: number[];
}

export interface StoredDocument {
  id: string;
  title?: string;
  text?: string;
  metadata?: Record<string, unknown>;
  sparse: SparseVector;
  dense?: Float32Array;
  encoderVersion: string;
  seq: number;
}

/** Filter AST over declared filterable fields. */
export type Filter =
  | { field: string; eq: string | number | boolean }
  | { field: string; in: Array<string | number | boolean> }
  | { field: string; range: { gt?: number; gte?: number; lt?: number; lte?: number } }
  | { and: Filter[] }
  | { or: Filter[] }
  | { not: Filter };

export interface SearchRequest {
  query?: string;
  sparse?: SparseInput;
  dense?: number[];
  k?: number;
  /** hits skipped before this page (offset + k is searched) */
  offset?: number;
  /** the page after this hit (the last hit of the previous page); order: score descending, then id */
  searchAfter?: { score: number; id: string };
  mode?: 'sparse' | 'dense' | 'hybrid';
  exact?: boolean;
  queryCut?: number;
  heapFactor?: number;
  filter?: Filter;
  minScore?: number;
  /** collect the native search statistics of the sealed segments (SearchResponse.stats) */
  stats?: boolean;
  include?: Array<'text' | 'metadata' | 'explain' | 'highlight'>;
  /** with include "highlight": fragments and attribution of expansion terms */
  highlight?: HighlightOptions;
  hybrid?: {
    method?: 'convex' | 'rrf'; // default convex
    alpha?: number;
    normalization?: 'min_max' | 'l2' | 'z_score';
    rankConstant?: number;
    candidates?: number;
  };
}

export interface ExplainTerm {
  token: string;
  id: number;
  queryWeight: number;
  documentWeight: number;
  contribution: number;
}

export interface EncodedTerm {
  token: string;
  id: number;
  weight: number;
}

export interface SearchHit {
  id: string;
  score: number;
  title?: string;
  text?: string;
  metadata?: Record<string, unknown>;
  explain?: { terms?: ExplainTerm[]; sparse?: { raw: number; normalized: number }; dense?: { raw: number; normalized: number } };
  highlight?: Highlight;
}

/** How one sealed segment was searched: the request's knobs, the segment's calibrated defaults, or (uncalibrated) every term. */
export interface SegmentSearchSettings {
  segment: string;
  documents: number;
  exact?: boolean;
  queryCut?: number;
  heapFactor?: number;
  from: 'request' | 'calibrated' | 'uncalibrated';
}

export interface SearchResponse {
  hits: SearchHit[];
  took_ms: number;
  /** with request.stats: summed over the sealed segments searched (the mutable segment is exhaustive), and each segment's settings */
  stats?: QueryStats & { segments: SegmentSearchSettings[] };
}

/**
 * Whether a collection serves fully. read-only: applying a committed write failed (a bug), so its
 * memory was rebuilt from SQLite and writes answer 503 COLLECTION_READ_ONLY until a restart;
 * degraded: something it needs is missing at start (its model: text encoding answers 503
 * MODEL_UNAVAILABLE naming the file; vector searches work).
 */
export interface CollectionHealth {
  status: 'ok' | 'read-only' | 'degraded';
  reason?: string;
}

/** A sealed segment's calibration as GET /v1/collections/{name} shows it. */
export interface SegmentCalibrationStats {
  source: 'recent' | 'pseudo';
  queries: number;
  seconds: number;
  buildSeconds?: number;
  k10: CalibratedSettingStats;
  k100: CalibratedSettingStats;
  /** filtered searches with no knobs (every query term) */
  filtered?: CalibratedSettingStats;
}
export interface CalibratedSettingStats {
  queryCut: number;
  heapFactor: number;
  exact?: boolean;
  recall: number;
  lowerBound: number;
}

export interface CollectionStats {
  name: string;
  status: CollectionHealth['status'];
  reason?: string;
  /** rows moved aside at open because they could not be loaded (first 100 listed) */
  quarantine?: { count: number; rows: Array<{ id: string; docno: number; reason: string; at: string }> };
  documents: number;
  deleted: number;
  segments: Array<{ id: string; documents: number; deleted: number; bytes: number; sealed: boolean; calibration?: SegmentCalibrationStats }>;
  bytes: number;
  /** the recall monitor's figure (recall-monitor.ts) */
  recall: RecallFigure;
  config: CollectionConfig;
}

export interface Collection {
  readonly name: string;
  readonly config: CollectionConfig;
  /** All-or-nothing upsert; resolves once durable (group commit) and searchable. */
  upsert(docs: DocumentInput[]): Promise<{ inserted: number; updated: number }>;
  get(id: string): StoredDocument | undefined;
  /** true if it existed */
  delete(id: string): Promise<boolean>;
  search(request: SearchRequest): Promise<SearchResponse>;
  /** Several searches on one snapshot, plain sparse ones in one native batch; each answer is its
   * response or its own error (a bad request does not fail the others). */
  searchMany(requests: SearchRequest[]): Promise<Array<SearchResponse | Error>>;
  /** What a text expands into with this collection's encoder (POST /v1/encode): terms by weight
   * descending; query side weighted with the collection's live statistics. */
  encode(text: string, side: 'document' | 'query'): Promise<EncodedTerm[]>;
  /** Seal the mutable segment. */
  flush(): Promise<void>;
  /** Merge down to as few segments as the policy allows. */
  optimize(): Promise<void>;
  /** Online snapshot into an empty directory that a data dir can start from. */
  backup(targetDir: string): Promise<void>;
  stats(): CollectionStats;
  close(): Promise<void>;
}

export interface CollectionManager {
  create(name: string, config: Partial<CollectionConfig>): Promise<Collection>;
  get(name: string): Collection; // COLLECTION_NOT_FOUND
  list(): string[];
  drop(name: string): Promise<void>;
  close(): Promise<void>;
}
