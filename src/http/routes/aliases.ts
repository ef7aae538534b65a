/** PUT/GET/DELETE /v1/aliases/{alias}, GET /v1/aliases: names that point at a collection, switched atomically. */
import type { FastifyInstance } from 'fastify';
import { mayAccess } from '../auth.js';
import type { HttpContext } from '../context.js';
import { AliasBody, AliasList, AliasParams, AliasView, AliasSwitched } from '../schemas.js';

export async function aliasRoutes(app: FastifyInstance, ctx: HttpContext): Promise<void> {
  const { manager } = ctx;
  app.put<{ Params: AliasParams; Body: AliasBody }>(
    '/v1/aliases/:alias',
    { schema: { params: AliasParams, body: AliasBody, response: { 200: AliasSwitched } } },
    async (request) => manager.setAlias(request.params.alias, request.body.collection),
  );
  app.get('/v1/aliases', { schema: { response: { 200: AliasList } } }, async (request) => ({
    aliases: manager.aliases.list().filter((a) => mayAccess(request, ctx, a.collection)),
  }));
  app.get<{ Params: AliasParams }>('/v1/aliases/:alias', { schema: { params: AliasParams, response: { 200: AliasView } } }, async (request) =>
    manager.aliases.get(request.params.alias),
  );
  app.delete<{ Params: AliasParams }>('/v1/aliases/:alias', { schema: { params: AliasParams, response: { 200: AliasView } } }, async (request) => {
    const collection = await manager.aliases.remove(request.params.alias);
    return { alias: request.params.alias, collection };
  });
}
