/**
 * Stable error codes. Every error a user can cause has a code here; the HTTP layer maps the code
 * to a status and an application/problem+json body, the CLI prints `code: message`.
 * Add codes here (never inline strings elsewhere) so the table stays the one list.
 */
export const ERROR_CODES = {
  // 400: the request is wrong
  VALIDATION_ERROR: { status: 400, title: 'Invalid request' },
  INVALID_JSON: { status: 400, title: 'Malformed JSON body' },
  INVALID_SPARSE_VECTOR: { status: 400, title: 'Invalid sparse vector' },
  INVALID_DENSE_VECTOR: { status: 400, title: 'Invalid dense vector' },
  INVALID_COLLECTION_NAME: { status: 400, title: 'Invalid collection name' },
  INVALID_FILTER: { status: 400, title: 'Invalid filter' },
  INVALID_K: { status: 400, title: 'Invalid k' },
  EMPTY_QUERY: { status: 400, title: 'Empty query' },
  MISSING_CONTENT: { status: 400, title: 'Document has neither text nor sparse vector' },
  DENSE_NOT_CONFIGURED: { status: 400, title: 'Collection has no dense field' },
  UNKNOWN_FUSION_METHOD: { status: 400, title: 'Unknown fusion method' },
  UNKNOWN_TOKEN: { status: 400, title: 'Unknown token' },
  INVALID_CONFIG: { status: 400, title: 'Invalid configuration' },
  INVALID_DATASET: { status: 400, title: 'Malformed or incomplete dataset' },
  INVALID_PAGE: { status: 400, title: 'Invalid page (offset or searchAfter)' },
  INVALID_MODEL: { status: 400, title: 'Model directory missing or unusable' },
  // 401 / 403 / 404 / 409 / 413
  UNAUTHORIZED: { status: 401, title: 'Missing or wrong API key' },
  INSUFFICIENT_SCOPE: { status: 403, title: 'The API key does not allow this operation' },
  COLLECTION_FORBIDDEN: { status: 403, title: 'The API key does not allow this collection' },
  COLLECTION_NOT_FOUND: { status: 404, title: 'Collection not found' },
  DOCUMENT_NOT_FOUND: { status: 404, title: 'Document not found' },
  TASK_NOT_FOUND: { status: 404, title: 'Task not found' },
  ALIAS_NOT_FOUND: { status: 404, title: 'Alias not found' },
  ROUTE_NOT_FOUND: { status: 404, title: 'Route not found' },
  COLLECTION_EXISTS: { status: 409, title: 'Collection already exists' },
  ALIAS_CONFLICT: { status: 409, title: 'Alias and collection names clash' },
  COLLECTION_IN_USE: { status: 409, title: 'Collection is the target of an alias' },
  ENCODER_MISMATCH: { status: 409, title: 'Encoder fingerprints differ' },
  BODY_TOO_LARGE: { status: 413, title: 'Request body too large' },
  BATCH_TOO_LARGE: { status: 413, title: 'Batch can never fit the collection' },
  UNSUPPORTED_MEDIA_TYPE: { status: 415, title: 'Unsupported media type' },
  // 503: try again later
  OVERLOADED: { status: 503, title: 'Encoder queue full' },
  BACKPRESSURE: { status: 503, title: 'Too many unsealed documents' },
  SHUTTING_DOWN: { status: 503, title: 'Server is shutting down' },
  NOT_READY: { status: 503, title: 'Collections are still loading' },
  MODEL_UNAVAILABLE: { status: 503, title: 'The collection\'s model is missing' },
  COLLECTION_READ_ONLY: { status: 503, title: 'Collection is read-only after a failure' },
  COLLECTION_UNAVAILABLE: { status: 503, title: 'Collection could not be opened' },
  // 507: the disk is full or read-only; nothing acknowledged is lost, writes resume once it is fixed
  DISK_FULL: { status: 507, title: 'Disk full' },
  DISK_READ_ONLY: { status: 507, title: 'Disk is read-only' },
  // 500: our fault, or the disk's
  MODEL_LOAD_FAILED: { status: 500, title: 'Model could not be loaded' },
  INDEX_FILE_CORRUPT: { status: 500, title: 'Index file is damaged or foreign' },
  IO_ERROR: { status: 500, title: 'Disk or file system error' },
  ENCODE_JOB_FAILED: { status: 500, title: 'An encode batch failed' },
  INTERNAL: { status: 500, title: 'Internal error' },
  // not HTTP answers: a task's error code, a CLI exit reason
  INTERRUPTED: { status: 500, title: 'Task interrupted by a restart' },
  DATA_DIR_LOCKED: { status: 500, title: 'Data directory is in use by another process' },
} as const;

export type ErrorCode = keyof typeof ERROR_CODES;

/** An error with a stable code. `detail` is the human message; `extra` lands in the problem body. */
export class AppError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly extra?: Record<string, unknown>;
  /** Seconds a client should wait before retrying (503 answers carry Retry-After). */
  readonly retryAfter?: number;

  constructor(code: ErrorCode, detail: string, options: { extra?: Record<string, unknown>; retryAfter?: number; cause?: unknown } = {}) {
    super(detail, { cause: options.cause });
    this.name = 'AppError';
    this.code = code;
    this.status = ERROR_CODES[code].status;
    this.extra = options.extra;
    this.retryAfter = options.retryAfter;
  }
}
