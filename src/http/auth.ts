/**
 * API keys (README "Security / API keys"). With no key configured every route is open. Otherwise:
 * - Open: everything outside /v1 and /metrics — /health, /ready, /docs (the API's description, no
 *   data) and the web page's static files (the page asks for a key and sends it).
 * - /v1/* and /metrics need `Authorization: Bearer <key>`: a missing or unknown key is 401
 *   UNAUTHORIZED. A key whose scope is below the route's is 403 INSUFFICIENT_SCOPE; a key limited to
 *   collections asking for another one is 403 COLLECTION_FORBIDDEN.
 * Scopes: read (search, get, encode, stats, tasks) < write (documents, flush, optimize, backup) <
 * admin (create and drop collections, switch aliases; the SPARROW_API_KEY key). ROUTE_ACCESS below
 * is the one table; a /v1 route missing from it needs admin.
 *
 * Keys are compared as SHA-256 digests with timingSafeEqual against every configured key (no early
 * exit), so the time taken says nothing about the keys. A limited key's collection check runs just
 * before the handler, on the name the request gives resolved through the aliases at that moment:
 * the handler resolves the same name in the same turn of the event loop, so an alias switch cannot
 * slip between the check and the use.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { KeyScope, ServerConfig } from '../config.js';
import { AppError } from '../errors.js';
import type { HttpContext } from './context.js';

/** What a route needs; `collection` names the collection a request addresses (before alias resolution). */
export interface RouteAccess {
  scope: KeyScope;
  collection?: (request: FastifyRequest, ctx: HttpContext) => string | undefined;
  /** the route reports on every collection: a key limited to collections may not use it */
  everyCollection?: boolean;
}

const nameParam = (request: FastifyRequest): string => (request.params as { name: string }).name;
const aliasTarget = (request: FastifyRequest, ctx: HttpContext): string => ctx.manager.aliases.get((request.params as { alias: string }).alias).collection;

/** Every /v1 route and /metrics, by `METHOD url` as registered. */
export const ROUTE_ACCESS: Record<string, RouteAccess> = {
  'GET /metrics': { scope: 'read', everyCollection: true },
  'GET /v1/collections': { scope: 'read' }, // lists only the collections the key may see
  'GET /v1/collections/:name': { scope: 'read', collection: nameParam },
  'PUT /v1/collections/:name': { scope: 'admin' },
  'DELETE /v1/collections/:name': { scope: 'admin' },
  'POST /v1/collections/:name/documents': { scope: 'write', collection: nameParam },
  'POST /v1/collections/:name/documents/_bulk': { scope: 'write', collection: nameParam },
  'GET /v1/collections/:name/documents/:id': { scope: 'read', collection: nameParam },
  'DELETE /v1/collections/:name/documents/:id': { scope: 'write', collection: nameParam },
  'POST /v1/collections/:name/search': { scope: 'read', collection: nameParam },
  'POST /v1/collections/:name/_msearch': { scope: 'read', collection: nameParam },
  'POST /v1/collections/:name/_flush': { scope: 'write', collection: nameParam },
  'POST /v1/collections/:name/_optimize': { scope: 'write', collection: nameParam },
  'POST /v1/collections/:name/_backup': { scope: 'write', collection: nameParam },
  'POST /v1/encode': { scope: 'read', collection: (request) => (request.body as { collection?: string } | undefined)?.collection },
  'GET /v1/tasks': { scope: 'read' }, // lists only the tasks of collections the key may see
  'GET /v1/tasks/:id': { scope: 'read', collection: (request, ctx) => ctx.tasks.get((request.params as { id: string }).id).collection },
  'GET /v1/aliases': { scope: 'read' }, // lists only aliases pointing at collections the key may see
  'GET /v1/aliases/:alias': { scope: 'read', collection: aliasTarget },
  // Switching or deleting an alias changes what every client of it reads: admin keys only.
  'PUT /v1/aliases/:alias': { scope: 'admin' },
  'DELETE /v1/aliases/:alias': { scope: 'admin' },
};

/** A configured key as the hooks hold it. */
interface Grant {
  digest: Buffer;
  scope: KeyScope;
  collections?: ReadonlySet<string>;
}

const RANK: Record<KeyScope, number> = { read: 0, write: 1, admin: 2 };

declare module 'fastify' {
  interface FastifyRequest {
    /** the key the request came with, when the server has keys */
    sparrowGrant?: Grant;
  }
}

function digest(value: string): Buffer {
  return createHash('sha256').update(value, 'utf8').digest();
}

/** The grant whose key the header carries; every grant is compared, whatever matches. */
export function findGrant<G extends { digest: Buffer }>(grants: readonly G[], header: string | undefined): G | undefined {
  const match = /^Bearer (.+)$/.exec(header ?? '');
  const presented = digest(match ? match[1] : '');
  let found: G | undefined;
  for (const grant of grants) {
    if (timingSafeEqual(grant.digest, presented) && match !== null) found = grant;
  }
  return found;
}

function grantsOf(server: ServerConfig): Grant[] {
  const grants: Grant[] = server.apiKeys.map((g) => ({ digest: digest(g.key), scope: g.scope, collections: g.collections && new Set(g.collections) }));
  if (server.apiKey !== undefined) grants.push({ digest: digest(server.apiKey), scope: 'admin' });
  return grants;
}

function needsKey(path: string): boolean {
  return path === '/metrics' || path === '/v1' || path.startsWith('/v1/');
}

/**
 * Whether the request's key may see a collection, given the name the request used (a collection or
 * an alias): a limited key lists either the alias or the collection it resolves to now.
 */
export function mayAccess(request: FastifyRequest, ctx: HttpContext, name: string): boolean {
  const limit = request.sparrowGrant?.collections;
  if (limit === undefined) return true;
  return limit.has(name) || limit.has(ctx.manager.aliases.resolve(name));
}

export function registerAuth(app: FastifyInstance, ctx: HttpContext): void {
  const grants = grantsOf(ctx.config.server);
  if (grants.length === 0) return;
  // Who is asking, and may this key use this route at all: before the body is read.
  app.addHook('onRequest', async (request, reply) => {
    if (!needsKey(request.url.split('?')[0])) return;
    const grant = findGrant(grants, request.headers.authorization);
    if (grant === undefined) {
      reply.header('www-authenticate', 'Bearer realm="sparrow"');
      throw new AppError('UNAUTHORIZED', 'this server needs Authorization: Bearer <API key>');
    }
    request.sparrowGrant = grant;
    if (request.is404) return; // ROUTE_NOT_FOUND, for any key
    const access = ROUTE_ACCESS[`${request.method} ${request.routeOptions.url}`] ?? { scope: 'admin' };
    if (RANK[grant.scope] < RANK[access.scope]) {
      throw new AppError('INSUFFICIENT_SCOPE', `${request.method} ${request.routeOptions.url} needs a key with scope ${access.scope}; this key has ${grant.scope}`, {
        extra: { required: access.scope, scope: grant.scope },
      });
    }
    if (access.everyCollection && grant.collections !== undefined) {
      throw new AppError('COLLECTION_FORBIDDEN', `${request.routeOptions.url} reports on every collection: it needs a key not limited to collections`);
    }
  });
  // A limited key: is the addressed collection one of its own? Just before the handler (the body is
  // parsed by now, and the alias resolves as the handler will resolve it).
  app.addHook('preHandler', async (request) => {
    const grant = request.sparrowGrant;
    if (grant?.collections === undefined) return;
    const access = ROUTE_ACCESS[`${request.method} ${request.routeOptions.url}`];
    const name = access?.collection?.(request, ctx);
    if (name !== undefined && !mayAccess(request, ctx, name)) {
      throw new AppError('COLLECTION_FORBIDDEN', `this key may not use collection ${JSON.stringify(name)}`, { extra: { collection: name } });
    }
  });
}
