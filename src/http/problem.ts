/**
 * The one error handler: every error becomes application/problem+json (RFC 9457) with a stable
 * `code` from src/errors.ts. 4xx answers keep their message; 5xx are logged with the error and
 * answered without internals. 503s carry Retry-After.
 */
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { AppError, ERROR_CODES, type ErrorCode } from '../errors.js';
import { storageError } from '../store/storage-errors.js';
import { describeIssue, type SchemaIssue } from './validation.js';

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';
const TYPE_BASE = 'https://sparrow.dev/problems/';

export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  code: ErrorCode;
  [extra: string]: unknown;
}

/** Fastify's own error codes → ours. */
const FASTIFY_CODES: Record<string, ErrorCode> = {
  FST_ERR_CTP_INVALID_JSON_BODY: 'INVALID_JSON',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'INVALID_JSON',
  FST_ERR_CTP_BODY_TOO_LARGE: 'BODY_TOO_LARGE',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'UNSUPPORTED_MEDIA_TYPE',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'VALIDATION_ERROR',
};

export type ValidationIssue = SchemaIssue;

/** A schema violation gets the most specific code its location allows. */
export function validationCode(context: string | undefined, issue: ValidationIssue | undefined): ErrorCode {
  const path = issue?.instancePath ?? '';
  if (context === 'params' && path === '/name') return 'INVALID_COLLECTION_NAME';
  if (context === 'body' && path === '/collection') return 'INVALID_COLLECTION_NAME';
  if (/(^|\/)k$/.test(path)) return 'INVALID_K';
  if (/\/sparse(\/|$)/.test(path)) return 'INVALID_SPARSE_VECTOR';
  if (/^\/dense\/[a-z]/.test(path)) return 'INVALID_CONFIG'; // a collection's dense field: dims, metric, ...
  if (/\/dense(\/|$)/.test(path)) return 'INVALID_DENSE_VECTOR';
  if (/\/filter(\/|$)/.test(path)) return 'INVALID_FILTER';
  return 'VALIDATION_ERROR';
}

/** A schema violation of one item validated on its own (_msearch search, _bulk line), `root` naming it. */
export function itemValidationError(root: string, issues: SchemaIssue[] | null | undefined): AppError {
  const first = issues?.[0];
  return new AppError(validationCode('body', first), first ? describeIssue(root, first) : `${root} is invalid`);
}

export function toAppError(raw: unknown): AppError {
  const err = storageError(raw); // disk full / read-only from any layer: 507
  if (err instanceof AppError) return err;
  const fe = err as FastifyError & { validationContext?: string };
  if (fe && Array.isArray(fe.validation)) {
    return new AppError(validationCode(fe.validationContext, fe.validation[0] as ValidationIssue), fe.message);
  }
  if (fe instanceof SyntaxError && fe.statusCode === 400) return new AppError('INVALID_JSON', `malformed JSON body: ${fe.message}`);
  const mapped = fe?.code ? FASTIFY_CODES[fe.code] : undefined;
  if (mapped) return new AppError(mapped, fe.message);
  if (fe && typeof fe.statusCode === 'number' && fe.statusCode >= 400 && fe.statusCode < 500) {
    return new AppError('VALIDATION_ERROR', fe.message);
  }
  return new AppError('INTERNAL', 'internal error', { cause: err });
}

/** 415 naming the type the route takes and the one it got (curl -d without -H sends a form type). */
export function mediaTypeError(got: string | undefined, expected: string): AppError {
  const hint = got?.startsWith('application/x-www-form-urlencoded') ? ` (curl -d sends a form type: add -H 'content-type: ${expected}')` : '';
  return new AppError('UNSUPPORTED_MEDIA_TYPE', `expected content-type: ${expected}, got ${got ? JSON.stringify(got) : 'none'}${hint}`, { extra: { expected } });
}

export function problemOf(err: AppError): Problem {
  return {
    ...err.extra,
    type: TYPE_BASE + err.code.toLowerCase().replace(/_/g, '-'),
    title: ERROR_CODES[err.code].title,
    status: err.status,
    detail: err.message,
    code: err.code,
  };
}

export function sendProblem(reply: FastifyReply, err: AppError): FastifyReply {
  if (err.status === 503) reply.header('retry-after', String(err.retryAfter ?? 1));
  return reply.code(err.status).type(PROBLEM_CONTENT_TYPE).send(problemOf(err));
}

export function registerProblemHandler(app: FastifyInstance): void {
  app.setErrorHandler((err: unknown, request: FastifyRequest, reply: FastifyReply) => {
    const appError = (err as FastifyError)?.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE' ? mediaTypeError(request.headers['content-type'], 'application/json') : toAppError(err);
    if (appError.status >= 500 && appError.status !== 503) request.log.error({ err }, 'request failed');
    return sendProblem(reply, appError);
  });
  app.setNotFoundHandler((request, reply) =>
    sendProblem(reply, new AppError('ROUTE_NOT_FOUND', `no route ${request.method} ${request.url.split('?')[0]}`)),
  );
}
