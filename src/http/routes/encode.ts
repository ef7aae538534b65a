/** POST /v1/encode: what a text expands into (terms by weight), with a collection's encoder or the default. */
import type { FastifyInstance } from 'fastify';
import { AppError } from '../../errors.js';
import type { HttpContext } from '../context.js';
import { EncodeBody, EncodeResponse } from '../schemas.js';

export async function encodeRoutes(app: FastifyInstance, ctx: HttpContext): Promise<void> {
  app.post<{ Body: EncodeBody }>('/v1/encode', { schema: { body: EncodeBody, response: { 200: EncodeResponse } } }, async (request) => {
    const { text, side, collection } = request.body;
    const limit = ctx.config.server.maxQueryLength;
    if (side === 'query' && text.length > limit) {
      throw new AppError('VALIDATION_ERROR', `query text is ${text.length} characters, the limit is ${limit}`, { extra: { limit } });
    }
    const terms = collection === undefined ? await ctx.encode(text, side) : await ctx.manager.get(collection).encode(text, side);
    return { terms };
  });
}
