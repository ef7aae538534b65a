/**
 * A Sparrow collection as an OpenSearch 3.3 index (pinned: `sparse_vector` with the `seismic`
 * method was introduced in 3.3; docs.opensearch.org/3.3/mappings/supported-field-types/sparse-vector).
 * Pure: the index body (settings + mappings), `_bulk` NDJSON lines and a query body.
 *
 * Seismic parameters, ours → OpenSearch's (method.parameters):
 * - n_postings (postings kept per list, absolute): our per-list cap, maxFraction × nPostings,
 *   at least 1; every posting (the longest list) when pruning keeps everything (pruningDisabled,
 *   or a cap at least the longest list).
 * - cluster_ratio = centroidFraction (blocks per posting list), kept inside OpenSearch's (0, 1).
 * - summary_prune_ratio = summaryEnergy (the share of a summary's L1 mass kept); 1 without pruning.
 * - approximate_threshold = index.mutableMaxDocs: below it Sparrow searches exactly (the mutable
 *   segment), as OpenSearch does below the threshold.
 * - quantization_ceiling_ingest = the largest document weight, rounded up (nothing is clipped);
 *   quantization_ceiling_search = 16 for inference-free (doc-only) queries, 3 for siamese
 *   (bi-encoder) queries, as OpenSearch recommends.
 * - Not mapped: docCut (OpenSearch clusters on whole documents), nKnn, seed.
 * Query knobs (neural_sparse.method_parameters): top_n = queryCut; heap_factor = 1 / our
 * heapFactor (we examine a block when its bound ≥ heapFactor × k-th score, OpenSearch when it
 * is ≥ k-th score / heap_factor).
 */
import type { SparseVector } from '../core/types.js';
import type { CollectionConfig, FieldType } from '../engine/types.js';
import { float32Text } from '../encode/vector-line.js';

export const OPENSEARCH_VERSION = '3.3';
export const VECTOR_FIELD = 'sparse_embedding';

/** What the mapping needs to know of the stored vectors. */
export interface CorpusShape {
  documents: number;
  nnz: number;
  /** term ids with at least one posting */
  lists: number;
  longestList: number;
  maxWeight: number;
}

export interface SeismicMethod {
  name: 'seismic';
  parameters: {
    n_postings: number;
    cluster_ratio: number;
    summary_prune_ratio: number;
    approximate_threshold: number;
    quantization_ceiling_search: number;
    quantization_ceiling_ingest: number;
  };
}

const OPENSEARCH_FIELD_TYPE: Record<FieldType, string> = { keyword: 'keyword', number: 'double', boolean: 'boolean' };

export function seismicMethod(config: CollectionConfig, shape: CorpusShape): SeismicMethod {
  const p = config.index.seismic;
  const cap = Math.ceil(p.maxFraction * p.nPostings);
  const nPostings = p.pruningDisabled === true || cap >= shape.longestList ? shape.longestList : cap;
  return {
    name: 'seismic',
    parameters: {
      n_postings: Math.max(1, nPostings),
      cluster_ratio: Math.min(0.99, Math.max(0.001, p.centroidFraction)),
      summary_prune_ratio: p.pruningDisabled === true ? 1 : Math.min(1, p.summaryEnergy),
      approximate_threshold: config.index.mutableMaxDocs,
      quantization_ceiling_search: config.encoder.query === 'siamese' ? 3 : 16,
      quantization_ceiling_ingest: shape.maxWeight > 0 ? Math.ceil(shape.maxWeight * 100) / 100 : 3,
    },
  };
}

/** The body of `PUT <index>`. */
export function indexBody(config: CollectionConfig, shape: CorpusShape) {
  const filterable = Object.fromEntries(Object.entries(config.filterable).map(([field, type]) => [field, { type: OPENSEARCH_FIELD_TYPE[type] }]));
  return {
    settings: { index: { sparse: true } },
    mappings: {
      properties: {
        [VECTOR_FIELD]: { type: 'sparse_vector', method: seismicMethod(config, shape) },
        title: { type: 'text' },
        text: { type: 'text' },
        // declared filterable fields are indexed; other metadata stays in _source only
        metadata: { type: 'object', dynamic: false, properties: filterable },
      },
    },
  };
}

/** A sparse vector as OpenSearch takes it: token id (a string) → positive weight. */
export function tokenWeights(vector: SparseVector): string {
  const parts: string[] = [];
  for (let i = 0; i < vector.indices.length; i++) if (vector.values[i] > 0) parts.push(`"${vector.indices[i]}":${float32Text(vector.values[i])}`);
  return `{${parts.join(',')}}`;
}

export interface ExportDocument {
  id: string;
  title: string | null;
  text: string | null;
  metadata: Record<string, unknown> | undefined;
  vector: SparseVector;
}

/** The two `_bulk` lines of one document. */
export function bulkLines(index: string, doc: ExportDocument): string {
  const source: string[] = [`"${VECTOR_FIELD}":${tokenWeights(doc.vector)}`];
  if (doc.title !== null) source.push(`"title":${JSON.stringify(doc.title)}`);
  if (doc.text !== null) source.push(`"text":${JSON.stringify(doc.text)}`);
  if (doc.metadata !== undefined) source.push(`"metadata":${JSON.stringify(doc.metadata)}`);
  return `${JSON.stringify({ index: { _index: index, _id: doc.id } })}\n{${source.join(',')}}\n`;
}

/** A `GET <index>/_search` body with raw query tokens (e.g. a line of `sparrow encode --side query`). */
export function queryBody(queryTokens: Record<string, number>, knobs: { k: number; queryCut: number; heapFactor: number }) {
  return {
    query: {
      neural_sparse: {
        [VECTOR_FIELD]: {
          query_tokens: queryTokens,
          method_parameters: { k: knobs.k, top_n: knobs.queryCut, heap_factor: Math.round((1 / knobs.heapFactor) * 1000) / 1000 },
        },
      },
    },
  };
}
