/** POST /v1/collections/{name}/documents (all-or-nothing batch), .../_bulk (NDJSON), GET/DELETE one. */
import type { FastifyInstance } from 'fastify';
import { AppError } from '../../errors.js';
import { bulkIngest } from '../bulk.js';
import { mediaTypeError } from '../problem.js';
import type { ItemValidator } from '../validation.js';
import type { HttpContext } from '../context.js';
import { Acknowledged, BulkResponse, DocumentInput, DocumentParams, NameParams, StoredDocument, UpsertBody, UpsertResponse } from '../schemas.js';

export const NDJSON = 'application/x-ndjson';
/** What _bulk reads as NDJSON: the NDJSON and JSON Lines types, JSON (one document per line is still
 * JSON per line), plain text, or no type at all. A form type (curl -d without -H) is a 415. */
export const BULK_TYPES = ['application/x-ndjson', 'application/ndjson', 'application/jsonl', 'application/x-jsonlines', 'application/json', 'text/plain'];

/** _bulk in its own plugin context, so that its body parser (the raw text) does not reach the JSON routes. */
async function bulkRoute(app: FastifyInstance, ctx: HttpContext): Promise<void> {
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'string' }, (request, body, done) => {
    const type = request.headers['content-type']?.split(';')[0].trim().toLowerCase();
    if (type !== undefined && type !== '' && !BULK_TYPES.includes(type)) return done(mediaTypeError(request.headers['content-type'], NDJSON), undefined);
    done(null, body);
  });
  app.post<{ Params: NameParams; Body: string }>(
    '/v1/collections/:name/documents/_bulk',
    { schema: { params: NameParams, response: { 200: BulkResponse } } },
    async (request) => {
      const started = performance.now();
      const collection = ctx.manager.get(request.params.name);
      const validate = request.compileValidationSchema(DocumentInput) as ItemValidator;
      const summary = await bulkIngest(collection, typeof request.body === 'string' ? request.body : '', ctx.config.server.maxBatchDocuments, validate);
      return { took_ms: performance.now() - started, ...summary };
    },
  );
}

export async function documentRoutes(app: FastifyInstance, ctx: HttpContext): Promise<void> {
  const { manager, config } = ctx;
  await app.register(bulkRoute, ctx);

  app.post<{ Params: NameParams; Body: UpsertBody }>(
    '/v1/collections/:name/documents',
    { schema: { params: NameParams, body: UpsertBody, response: { 200: UpsertResponse } } },
    async (request) => {
      const started = performance.now();
      const collection = manager.get(request.params.name);
      const { documents } = request.body;
      const max = config.server.maxBatchDocuments;
      if (documents.length > max) throw new AppError('VALIDATION_ERROR', `a batch holds at most ${max} documents, got ${documents.length}`, { extra: { limit: max } });
      const result = await collection.upsert(documents);
      return { ...result, took_ms: performance.now() - started };
    },
  );

  app.get<{ Params: DocumentParams }>(
    '/v1/collections/:name/documents/:id',
    { schema: { params: DocumentParams, response: { 200: StoredDocument } } },
    async (request) => {
      const { name, id } = request.params;
      const doc = manager.get(name).get(id);
      if (!doc) throw new AppError('DOCUMENT_NOT_FOUND', `no document ${JSON.stringify(id)} in collection ${JSON.stringify(name)}`);
      const { sparse, dense, ...fields } = doc;
      return {
        ...fields,
        sparse: { indices: Array.from(sparse.indices), values: Array.from(sparse.values) },
        ...(dense ? { dense: Array.from(dense) } : {}),
      };
    },
  );

  app.delete<{ Params: DocumentParams }>(
    '/v1/collections/:name/documents/:id',
    { schema: { params: DocumentParams, response: { 200: Acknowledged } } },
    async (request) => {
      const { name, id } = request.params;
      const existed = await manager.get(name).delete(id);
      if (!existed) throw new AppError('DOCUMENT_NOT_FOUND', `no document ${JSON.stringify(id)} in collection ${JSON.stringify(name)}`);
      return { acknowledged: true };
    },
  );
}
