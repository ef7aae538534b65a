/**
 * Request and response schemas of the REST API (TypeBox, i.e. plain JSON Schema). openapi.yaml
 * describes the same schemas; test/http/openapi.test.ts keeps the two equal. Objects are closed
 * (additionalProperties: false) so an unknown field is a 400, never silently dropped. Limits that
 * come from the configuration (batch size, k, query length) are checked in the handlers.
 */
import { Type, type Static, type TSchema, type TUnsafe } from '@sinclair/typebox';

export const COLLECTION_NAME_PATTERN = '^[a-z0-9][a-z0-9_-]{0,63}$';
export const MAX_ID_LENGTH = 512;
/** Hard ceiling of k (the native cap); the configured maxK (default 1,000) is checked per request. */
export const K_CEILING = 10_000;

function StringEnum<T extends string>(values: readonly T[]): TUnsafe<T> {
  return Type.Unsafe<T>({ type: 'string', enum: [...values] });
}
function Closed<T extends Parameters<typeof Type.Object>[0]>(properties: T) {
  return Type.Object(properties, { additionalProperties: false });
}
const FreeObject = Type.Unsafe<Record<string, unknown>>({ type: 'object', additionalProperties: true });
function MapOf<T extends TSchema>(value: T): TUnsafe<Record<string, Static<T>>> {
  return Type.Unsafe<Record<string, Static<T>>>({ type: 'object', additionalProperties: value });
}
const Name = Type.String({ pattern: COLLECTION_NAME_PATTERN });
const DocumentId = Type.String({ minLength: 1, maxLength: MAX_ID_LENGTH });

export const NameParams = Closed({ name: Name });
export type NameParams = Static<typeof NameParams>;
export const DocumentParams = Closed({ name: Name, id: DocumentId });
export type DocumentParams = Static<typeof DocumentParams>;
export const AliasParams = Closed({ alias: Name });
export type AliasParams = Static<typeof AliasParams>;
export const TaskParams = Closed({ id: Type.String({ minLength: 1, maxLength: 64 }) });
export type TaskParams = Static<typeof TaskParams>;

export const SparseInput = Type.Union([
  Closed({
    indices: Type.Array(Type.Integer({ minimum: 0, maximum: 4_294_967_295 }), { maxItems: 65_536 }),
    values: Type.Array(Type.Number(), { maxItems: 65_536 }),
  }),
  Closed({ tokens: MapOf(Type.Number()) }),
]);
const DenseInput = Type.Array(Type.Number(), { minItems: 1, maxItems: 8_192 });

export const CreateCollectionBody = Closed({
  encoder: Type.Optional(
    Closed({
      kind: StringEnum(['lexical', 'splade'] as const),
      model: Type.Optional(Type.String({ minLength: 1 })),
      query: Type.Optional(StringEnum(['inference-free', 'siamese', 'lexical'] as const)),
      prune: Type.Optional(
        Closed({
          top_k: Type.Optional(Type.Integer({ minimum: 1 })),
          alpha_mass: Type.Optional(Type.Number({ exclusiveMinimum: 0, maximum: 1 })),
          abs_value: Type.Optional(Type.Number({ minimum: 0 })),
          max_ratio: Type.Optional(Type.Number({ exclusiveMinimum: 0, maximum: 1 })),
        }),
      ),
    }),
  ),
  index: Type.Optional(
    Closed({
      seismic: Type.Optional(
        Closed({
          nPostings: Type.Optional(Type.Number({ minimum: 1, maximum: 1e9 })),
          maxFraction: Type.Optional(Type.Number({ minimum: 1, maximum: 1000 })),
          centroidFraction: Type.Optional(Type.Number({ exclusiveMinimum: 0, maximum: 1 })),
          summaryEnergy: Type.Optional(Type.Number({ exclusiveMinimum: 0, maximum: 1 })),
          summaryCap: Type.Optional(Type.Number({ exclusiveMinimum: 0, maximum: 1e6 })),
          docCut: Type.Optional(Type.Integer({ minimum: 1 })),
          nKnn: Type.Optional(Type.Integer({ minimum: 0 })),
          seed: Type.Optional(Type.Integer({ minimum: 0 })),
          exhaustiveBelow: Type.Optional(Type.Integer({ minimum: 0 })),
          pruningDisabled: Type.Optional(Type.Boolean()),
        }),
      ),
      mutableMaxDocs: Type.Optional(Type.Integer({ minimum: 1 })),
      maxUnsealedDocs: Type.Optional(Type.Integer({ minimum: 1 })),
      mergeFactor: Type.Optional(Type.Integer({ minimum: 2 })),
      maxSegmentDocs: Type.Optional(Type.Integer({ minimum: 1 })),
      reclaimDeletedFraction: Type.Optional(Type.Number({ exclusiveMinimum: 0, maximum: 1 })),
      exactFilterSelectivity: Type.Optional(Type.Number({ minimum: 0, maximum: 1 })),
      targetRecall: Type.Optional(Type.Number({ exclusiveMinimum: 0, maximum: 1 })),
      recentQueries: Type.Optional(Type.Boolean()),
    }),
  ),
  filterable: Type.Optional(MapOf(StringEnum(['keyword', 'number', 'boolean'] as const))),
  dense: Type.Optional(
    Closed({
      dims: Type.Integer({ minimum: 1, maximum: 4_096 }),
      metric: StringEnum(['dot', 'cosine'] as const),
      model: Type.Optional(Type.String({ minLength: 1 })),
      pooling: Type.Optional(StringEnum(['mean', 'cls'] as const)),
      normalize: Type.Optional(Type.Boolean()),
    }),
  ),
  durability: Type.Optional(StringEnum(['process', 'fsync'] as const)),
});

export const DocumentInput = Closed({
  id: DocumentId,
  title: Type.Optional(Type.String()),
  text: Type.Optional(Type.String()),
  metadata: Type.Optional(FreeObject),
  sparse: Type.Optional(SparseInput),
  dense: Type.Optional(DenseInput),
});
export const UpsertBody = Closed({ documents: Type.Array(DocumentInput, { minItems: 1 }) });

export const SearchBody = Closed({
  query: Type.Optional(Type.String()),
  sparse: Type.Optional(SparseInput),
  dense: Type.Optional(DenseInput),
  // no default here: a missing k is min(10, the server's max k), chosen in the handler
  k: Type.Optional(Type.Integer({ minimum: 1, maximum: K_CEILING })),
  offset: Type.Optional(Type.Integer({ minimum: 0, maximum: K_CEILING })),
  searchAfter: Type.Optional(Closed({ score: Type.Number(), id: DocumentId })),
  mode: Type.Optional(StringEnum(['sparse', 'dense', 'hybrid'] as const)),
  exact: Type.Optional(Type.Boolean()),
  queryCut: Type.Optional(Type.Integer({ minimum: 1, maximum: 1048576 })),
  heapFactor: Type.Optional(Type.Number({ exclusiveMinimum: 0, maximum: 1 })),
  stats: Type.Optional(Type.Boolean()),
  filter: Type.Optional(FreeObject),
  minScore: Type.Optional(Type.Number()),
  include: Type.Optional(Type.Array(StringEnum(['text', 'metadata', 'explain', 'highlight'] as const), { uniqueItems: true })),
  highlight: Type.Optional(
    Closed({
      fragments: Type.Optional(
        Closed({
          count: Type.Optional(Type.Integer({ minimum: 0, maximum: 20 })),
          size: Type.Optional(Type.Integer({ minimum: 20, maximum: 2000 })),
          preTag: Type.Optional(Type.String({ maxLength: 200 })),
          postTag: Type.Optional(Type.String({ maxLength: 200 })),
        }),
      ),
      attribute: Type.Optional(Type.Boolean()),
      timeoutMs: Type.Optional(Type.Integer({ minimum: 1, maximum: 60_000 })),
    }),
  ),
  hybrid: Type.Optional(
    Closed({
      // any string: the engine answers an unknown method with UNKNOWN_FUSION_METHOD
      method: Type.Optional(Type.Unsafe<'convex' | 'rrf'>({ type: 'string' })),
      alpha: Type.Optional(Type.Number({ minimum: 0, maximum: 1 })),
      normalization: Type.Optional(StringEnum(['min_max', 'l2', 'z_score'] as const)),
      rankConstant: Type.Optional(Type.Number({ minimum: 0 })),
      candidates: Type.Optional(Type.Integer({ minimum: 1, maximum: K_CEILING })),
    }),
  ),
});
/** Each search is an object validated on its own in the handler, so a bad one fails alone (as SearchBody). */
export const MsearchBody = Closed({ searches: Type.Array(FreeObject, { minItems: 1, maxItems: 100 }) });

export const EncodeBody = Closed({
  text: Type.String({ minLength: 1 }),
  side: StringEnum(['document', 'query'] as const),
  collection: Type.Optional(Name),
});

export const AliasBody = Closed({ collection: Name });
export type AliasBody = Static<typeof AliasBody>;

export const BackupQuery = Closed({ name: Type.Optional(Name) });

// ---- responses ----

const SearchHit = Type.Object({
  id: Type.String(),
  score: Type.Number(),
  title: Type.Optional(Type.String()),
  text: Type.Optional(Type.String()),
  metadata: Type.Optional(FreeObject),
  explain: Type.Optional(FreeObject),
  highlight: Type.Optional(FreeObject),
});
const SearchStats = Type.Object({
  listsVisited: Type.Integer(),
  blocksScored: Type.Integer(),
  blocksSkipped: Type.Integer(),
  docsScored: Type.Integer(),
  postingsTotal: Type.Integer(),
  micros: Type.Number(),
  segments: Type.Array(
    Type.Object({
      segment: Type.String(),
      documents: Type.Integer(),
      exact: Type.Optional(Type.Boolean()),
      queryCut: Type.Optional(Type.Integer()),
      heapFactor: Type.Optional(Type.Number()),
      from: StringEnum(['request', 'calibrated', 'uncalibrated'] as const),
    }),
  ),
});
export const SearchResponse = Type.Object({ hits: Type.Array(SearchHit), took_ms: Type.Number(), stats: Type.Optional(SearchStats) });
/** A problem object (RFC 9457) inside a 200 answer: one failed item of a batch. Extra fields (limit, …) pass. */
const ProblemItem = Type.Object(
  { type: Type.String(), title: Type.String(), status: Type.Integer(), detail: Type.String(), code: Type.String() },
  { additionalProperties: true },
);
export const MsearchResponse = Type.Object({ responses: Type.Array(Type.Union([SearchResponse, ProblemItem])), took_ms: Type.Number() });
export const UpsertResponse = Type.Object({ inserted: Type.Integer(), updated: Type.Integer(), took_ms: Type.Number() });
export const EncodeResponse = Type.Object({
  terms: Type.Array(Type.Object({ token: Type.String(), id: Type.Integer(), weight: Type.Number() })),
});
export const Acknowledged = Type.Object({ acknowledged: Type.Boolean() });

const CalibratedSetting = Type.Object({
  queryCut: Type.Integer(),
  heapFactor: Type.Number(),
  exact: Type.Optional(Type.Boolean()),
  recall: Type.Number(),
  lowerBound: Type.Number(),
});

export const CollectionStats = Type.Object({
  name: Type.String(),
  status: StringEnum(['ok', 'read-only', 'degraded'] as const),
  reason: Type.Optional(Type.String()),
  quarantine: Type.Optional(
    Type.Object({
      count: Type.Integer(),
      rows: Type.Array(Type.Object({ id: Type.String(), docno: Type.Integer(), reason: Type.String(), at: Type.String() })),
    }),
  ),
  documents: Type.Integer(),
  deleted: Type.Integer(),
  segments: Type.Array(
    Type.Object({
      id: Type.String(),
      documents: Type.Integer(),
      deleted: Type.Integer(),
      bytes: Type.Integer(),
      sealed: Type.Boolean(),
      calibration: Type.Optional(
        Type.Object({
          source: StringEnum(['recent', 'pseudo'] as const),
          queries: Type.Integer(),
          seconds: Type.Number(),
          buildSeconds: Type.Optional(Type.Number()),
          k10: CalibratedSetting,
          k100: CalibratedSetting,
          filtered: Type.Optional(CalibratedSetting),
        }),
      ),
    }),
  ),
  bytes: Type.Integer(),
  recall: Type.Object({
    recall: Type.Union([Type.Number(), Type.Null()]),
    window: Type.Integer(),
    checks: Type.Integer(),
    skipped: Type.Integer(),
    sampleRate: Type.Number(),
  }),
  config: FreeObject,
});
export const CollectionList = Type.Object({ collections: Type.Array(CollectionStats) });

export const StoredDocument = Type.Object({
  id: Type.String(),
  title: Type.Optional(Type.String()),
  text: Type.Optional(Type.String()),
  metadata: Type.Optional(FreeObject),
  sparse: Type.Object({ indices: Type.Array(Type.Integer()), values: Type.Array(Type.Number()) }),
  dense: Type.Optional(Type.Array(Type.Number())),
  encoderVersion: Type.String(),
  seq: Type.Integer(),
});

export const BulkResponse = Type.Object({
  took_ms: Type.Number(),
  lines: Type.Integer(),
  batches: Type.Integer(),
  indexed: Type.Integer(),
  failed: Type.Integer(),
  items: Type.Array(
    Type.Object({
      line: Type.Integer(),
      id: Type.Optional(Type.String()),
      status: Type.Integer(),
      code: Type.Optional(Type.String()),
      detail: Type.Optional(Type.String()),
    }),
  ),
});

export const Task = Type.Object({
  id: Type.String(),
  type: StringEnum(['flush', 'optimize', 'backup'] as const),
  collection: Type.String(),
  status: StringEnum(['running', 'succeeded', 'failed'] as const),
  created_at: Type.String(),
  finished_at: Type.Optional(Type.String()),
  took_ms: Type.Optional(Type.Number()),
  result: Type.Optional(FreeObject),
  error: Type.Optional(Type.Object({ code: Type.String(), detail: Type.String() })),
});
export const TaskList = Type.Object({ tasks: Type.Array(Task) });

export const AliasView = Type.Object({ alias: Type.String(), collection: Type.String() });
export const AliasSwitched = Type.Object({ alias: Type.String(), collection: Type.String(), previous: Type.Optional(Type.String()) });
export const AliasList = Type.Object({ aliases: Type.Array(AliasView) });

export const HealthResponse = Type.Object({ status: Type.String() });
export const ReadyResponse = Type.Object({
  status: Type.String(),
  collections: Type.Integer(),
  /** collections that serve read-only or degraded, with why (the others serve normally) */
  degraded: Type.Optional(Type.Array(Type.Object({ collection: Type.String(), status: Type.String(), reason: Type.String() }))),
});

export type CreateCollectionBody = Static<typeof CreateCollectionBody>;
export type UpsertBody = Static<typeof UpsertBody>;
export type SearchBody = Static<typeof SearchBody>;
export type MsearchBody = Static<typeof MsearchBody>;
export type EncodeBody = Static<typeof EncodeBody>;
export type BackupQuery = Static<typeof BackupQuery>;
export type TaskView = Static<typeof Task>;
