/** PUT/GET/DELETE /v1/collections/{name}, GET /v1/collections. */
import type { FastifyInstance } from 'fastify';
import type { CollectionConfig } from '../../engine/types.js';
import { mayAccess } from '../auth.js';
import type { HttpContext } from '../context.js';
import { Acknowledged, CollectionList, CollectionStats, CreateCollectionBody, NameParams } from '../schemas.js';

/** The request's partial config over the server's index defaults (seismic params merged too). */
/**
 * The request as given: the engine fills in the defaults (resolveCollectionConfig, with the server's
 * index defaults and the encoder kind's own), so a PUT gets what `sparrow index --data-dir` and the
 * engine API get for the same request. (Filling the Seismic defaults here overrode the lexical ones.)
 */
export function collectionConfigOf(body: CreateCollectionBody): Partial<CollectionConfig> {
  return body as Partial<CollectionConfig>;
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
      const collection = await manager.create(request.params.name, collectionConfigOf(request.body));
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
