/** PUT/GET/DELETE /v1/collections/{name}, GET /v1/collections. */
import type { FastifyInstance } from 'fastify';
import type { CollectionConfig } from '../../engine/types.js';
import { mayAccess } from '../auth.js';
import type { HttpContext } from '../context.js';
import { Acknowledged, CollectionList, CollectionStats, CreateCollectionBody, NameParams } from '../schemas.js';

/** The request's partial config over the server's index defaults (seismic params merged too). */
export function collectionConfigOf(body: CreateCollectionBody, ctx: HttpContext): Partial<CollectionConfig> {
  const { index, ...rest } = body;
  const defaults = ctx.config.index;
  return { ...rest, index: { ...defaults, ...index, seismic: { ...defaults.seismic, ...index?.seismic } } };
}

export async function collectionRoutes(app: FastifyInstance, ctx: HttpContext): Promise<void> {
  const { manager } = ctx;
  app.put<{ Params: NameParams; Body: CreateCollectionBody }>(
    '/v1/collections/:name',
    {
      schema: { params: NameParams, body: CreateCollectionBody, response: { 201: CollectionStats } },
      // Every field is optional, so no body at all (curl -XPUT .../x) is the empty config.
      preValidation: async (request) => {
        request.body ??= {};
      },
    },
    async (request, reply) => {
      const collection = await manager.create(request.params.name, collectionConfigOf(request.body, ctx));
      return reply.code(201).send(collection.stats());
    },
  );
  app.get('/v1/collections', { schema: { response: { 200: CollectionList } } }, async (request) => ({
    collections: manager
      .list()
      .filter((name) => mayAccess(request, ctx, name))
      .map((name) => manager.get(name).stats()),
  }));
  app.get<{ Params: NameParams }>('/v1/collections/:name', { schema: { params: NameParams, response: { 200: CollectionStats } } }, async (request) =>
    manager.get(request.params.name).stats(),
  );
  app.delete<{ Params: NameParams }>('/v1/collections/:name', { schema: { params: NameParams, response: { 200: Acknowledged } } }, async (request) => {
    manager.get(request.params.name);
    await manager.drop(request.params.name);
    return { acknowledged: true };
  });
}
