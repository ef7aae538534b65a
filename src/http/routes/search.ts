/** POST /v1/collections/{name}/search and /_msearch. */
import type { FastifyInstance } from 'fastify';
import type { Config } from '../../config.js';
import type { Collection, Filter, SearchRequest } from '../../engine/types.js';
import { checkPage } from '../../engine/search/paging.js';
import { AppError } from '../../errors.js';
import { itemValidationError, problemOf, toAppError } from '../problem.js';
import type { ItemValidator } from '../validation.js';
import type { HttpContext } from '../context.js';
import { MsearchBody, MsearchResponse, NameParams, SearchBody, SearchResponse } from '../schemas.js';

/** Every field of a SearchRequest, each given (maybe undefined). */
type SearchFields = { [K in keyof Required<SearchRequest>]: SearchRequest[K] | undefined };

/** k when a search names none: 10, or the server's max k when that is lower. */
export function defaultK(maxK: number): number {
  return Math.min(10, maxK);
}

/** Limits from the configuration and the rules a schema cannot state; `where` names the search. */
export function checkSearch(body: SearchBody, collection: Collection, config: Config, where = 'search'): SearchRequest {
  const { maxK, maxQueryLength } = config.server;
  const k = body.k ?? defaultK(maxK);
  if (k > maxK) throw new AppError('INVALID_K', `${where}: k must be an integer in [1, ${maxK}], got ${k}`, { extra: { limit: maxK } });
  checkPage(body, k, maxK);
  const mode = body.mode ?? 'sparse';
  if (mode !== 'sparse' && !collection.config.dense) {
    throw new AppError('DENSE_NOT_CONFIGURED', `${where}: mode ${mode} needs a collection created with a dense field`);
  }
  if (body.query !== undefined) {
    if (body.query.length > maxQueryLength) {
      throw new AppError('VALIDATION_ERROR', `${where}: query is ${body.query.length} characters, the limit is ${maxQueryLength}`, { extra: { limit: maxQueryLength } });
    }
    if (body.query.trim() === '') throw new AppError('EMPTY_QUERY', `${where}: query is empty`);
  }
  if (body.query === undefined && body.sparse === undefined && body.dense === undefined) {
    throw new AppError('EMPTY_QUERY', `${where}: give a query text, a sparse vector or a dense vector`);
  }
  // The filter's grammar is checked by the engine (INVALID_FILTER), which owns the field types.
  // Every field named, absent ones undefined: one object shape for every request (a spread of the
  // parsed body redefining k took V8's slow paths on each one). SearchFields fails to compile when
  // SearchRequest gains a field that is not listed here.
  const req: SearchFields = {
    query: body.query,
    sparse: body.sparse,
    dense: body.dense,
    k,
    offset: body.offset,
    searchAfter: body.searchAfter,
    mode,
    exact: body.exact,
    queryCut: body.queryCut,
    heapFactor: body.heapFactor,
    filter: body.filter as Filter | undefined,
    minScore: body.minScore,
    stats: body.stats,
    include: body.include,
    highlight: body.highlight,
    hybrid: body.hybrid,
  };
  return req;
}

export async function searchRoutes(app: FastifyInstance, ctx: HttpContext): Promise<void> {
  const { manager, config } = ctx;
  app.post<{ Params: NameParams; Body: SearchBody }>(
    '/v1/collections/:name/search',
    { schema: { params: NameParams, body: SearchBody, response: { 200: SearchResponse } } },
    async (request) => {
      const collection = manager.get(request.params.name);
      return collection.search(checkSearch(request.body, collection, config));
    },
  );
  app.post<{ Params: NameParams; Body: MsearchBody }>(
    '/v1/collections/:name/_msearch',
    { schema: { params: NameParams, body: MsearchBody, response: { 200: MsearchResponse } } },
    async (request) => {
      const started = performance.now();
      const collection = manager.get(request.params.name);
      // Like Elasticsearch's _msearch: each item answers its hits or its own problem object; one bad search
      // does not fail the others. Only a problem with the request as a whole (collection, body) is a 4xx.
      // Items are validated one by one for the same reason (the route's schema only says "objects");
      // the valid ones run as one batch (one snapshot; plain sparse searches in one native call).
      const validate = request.compileValidationSchema(SearchBody) as ItemValidator;
      const checked = request.body.searches.map((s, i) => {
        try {
          if (!validate(s)) throw itemValidationError(`body.searches[${i}]`, validate.errors);
          return checkSearch(s as SearchBody, collection, config, `searches[${i}]`);
        } catch (err) {
          return err as Error;
        }
      });
      const valid = checked.filter((c): c is SearchRequest => !(c instanceof Error));
      const answers = await collection.searchMany(valid);
      let next = 0;
      const responses = checked.map((c) => {
        const answer = c instanceof Error ? c : answers[next++];
        return answer instanceof Error ? problemOf(toAppError(answer)) : answer;
      });
      return { responses, took_ms: performance.now() - started };
    },
  );
}
