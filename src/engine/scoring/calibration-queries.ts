/**
 * Which queries a collection's next segment calibrates on: its recent queries when it has at least
 * MIN_RECENT_QUERIES of them, else pseudo-queries from the segment's own documents shaped like the
 * collection's query encoder (their lengths follow the recent queries when there are some).
 */
import type { CsrBatch } from '../../core/types.js';
import type { CollectionStore } from '../../store/collection-store.js';
import { RecentQueries } from '../../store/recent-queries.js';
import { CALIBRATION_QUERIES, MIN_RECENT_QUERIES, type CalibrationQueries } from './calibrate.js';
import { pseudoQueries, QUERY_LENGTHS, type QueryProfile } from './pseudo-queries.js';
import type { SegmentCalibrationPlan } from '../segments/segment-build.js';
import type { CollectionConfig, EncoderConfig } from '../types.js';

export type QueryEncoderKind = keyof typeof QUERY_LENGTHS;

/** The query encoder of a collection config ('inference-free' when a SPLADE model answers with its IDF). */
export function queryEncoderKind(encoder: EncoderConfig, inferenceFree: boolean): QueryEncoderKind {
  if (encoder.kind === 'lexical') return 'lexical';
  if (encoder.query === 'siamese' || encoder.query === 'inference-free') return encoder.query;
  return inferenceFree ? 'inference-free' : 'siamese';
}

export function calibrationQueries(kind: QueryEncoderKind, recent: RecentQueries | undefined, docs: CsrBatch, docnos: Uint32Array): CalibrationQueries {
  const have = recent?.size() ?? 0;
  if (recent && have >= MIN_RECENT_QUERIES) return { queries: recent.sample(CALIBRATION_QUERIES), source: 'recent' };
  const seen = have >= 10 ? recent!.sample(have) : undefined;
  const lengths = seen ? Array.from({ length: seen.indptr.length - 1 }, (_, q) => seen.indptr[q + 1] - seen.indptr[q]) : [...QUERY_LENGTHS[kind]];
  const profile: QueryProfile = { lengths, weighting: kind === 'siamese' ? 'document' : 'idf' };
  return pseudoQueries(docs, docnos, profile, CALIBRATION_QUERIES);
}

/** A collection's calibration plan: its target, its recent queries (unless opted out), its query encoder. */
export function calibrationPlanOf(config: CollectionConfig, store: CollectionStore, inferenceFree: boolean, recent?: RecentQueries): SegmentCalibrationPlan {
  const kind = queryEncoderKind(config.encoder, inferenceFree);
  const sample = recent ?? (config.index.recentQueries ? new RecentQueries(store.db) : undefined);
  return { target: config.index.targetRecall, queries: (csr, docnos) => calibrationQueries(kind, sample, csr, docnos) };
}
