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

/**
 * What a segment build needs to make its calibration queries, as plain data (it crosses to the build
 * worker): the recent queries themselves when there are enough, else the pseudo-query profile.
 */
export type CalibrationSource = { target: number; recent: CsrBatch } | { target: number; profile: QueryProfile };

function sourceOf(kind: QueryEncoderKind, recent: RecentQueries | undefined, target: number): CalibrationSource {
  const have = recent?.size() ?? 0;
  if (recent && have >= MIN_RECENT_QUERIES) return { target, recent: recent.sample(CALIBRATION_QUERIES) };
  const seen = have >= 10 ? recent!.sample(have) : undefined;
  const lengths = seen ? Array.from({ length: seen.indptr.length - 1 }, (_, q) => seen.indptr[q + 1] - seen.indptr[q]) : [...QUERY_LENGTHS[kind]];
  return { target, profile: { lengths, weighting: kind === 'siamese' ? 'document' : 'idf' } };
}

/** The calibration queries of a segment's rows under a source. */
export function queriesOf(source: CalibrationSource, docs: CsrBatch, docnos: Uint32Array): CalibrationQueries {
  if ('recent' in source) return { queries: source.recent, source: 'recent' };
  return pseudoQueries(docs, docnos, source.profile, CALIBRATION_QUERIES);
}

/** A collection's calibration source now: its target, its recent queries (unless opted out), its query encoder. */
export function calibrationSourceOf(config: CollectionConfig, store: CollectionStore, inferenceFree: boolean, recent?: RecentQueries): CalibrationSource {
  const kind = queryEncoderKind(config.encoder, inferenceFree);
  const sample = recent ?? (config.index.recentQueries ? new RecentQueries(store.db) : undefined);
  return sourceOf(kind, sample, config.index.targetRecall);
}

/** The plan a build follows for a source. */
export function planOf(source: CalibrationSource): SegmentCalibrationPlan {
  return { target: source.target, queries: (csr, docnos) => queriesOf(source, csr, docnos) };
}

/** A collection's calibration plan (its source taken when the plan is made). */
export function calibrationPlanOf(config: CollectionConfig, store: CollectionStore, inferenceFree: boolean, recent?: RecentQueries): SegmentCalibrationPlan {
  return planOf(calibrationSourceOf(config, store, inferenceFree, recent));
}
