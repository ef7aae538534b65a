/** POST /v1/collections/{name}/documents (all-or-nothing batch), .../_bulk (NDJSON), GET/DELETE one. */
import type { FastifyInstance } from 'fastify';
import { AppError } from '../../errors.js';
import { bulkIngest, type DocumentValidator } from '../bulk.js';
import type { HttpContext } from '../context.js';
import { Acknowledged, BulkResponse, DocumentInput, DocumentParams, NameParams, StoredDocument, UpsertBody, UpsertResponse } from '../schemas.js';

export const NDJSON = 'application/x-ndjson';

export async function documentRoutes(app: FastifyInstance, ctx: HttpContext): Promise<void> {
  const { manager, config } = ctx;
  app.addContentTypeParser(NDJSON, { parseAs: 'string' }, (_request, body, done) => done(null, body));

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

  app.post<{ Params: NameParams; Body: string }>(
    '/v1/collections/:name/documents/_bulk',
    { schema: { params: NameParams, response: { 200: BulkResponse } } },
    async (request) => {
      const started = performance.now();
      if (typeof request.body !== 'string') throw new AppError('UNSUPPORTED_MEDIA_TYPE', `_bulk takes ${NDJSON}: one JSON document per line`);
      const collection = manager.get(request.params.name);
      const validate = request.compileValidationSchema(DocumentInput) as DocumentValidator;
      const summary = await bulkIngest(collection, request.body, config.server.maxBatchDocuments, validate);
      return { took_ms: performance.now() - started, ...summary };
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
