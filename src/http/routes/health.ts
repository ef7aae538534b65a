/** GET /health (the process is alive) and GET /ready (collections loaded, not shutting down). */
import type { FastifyInstance } from 'fastify';
import { AppError } from '../../errors.js';
import type { HttpContext } from '../context.js';
import { HealthResponse, ReadyResponse } from '../schemas.js';

export async function healthRoutes(app: FastifyInstance, ctx: HttpContext): Promise<void> {
  app.get('/health', { schema: { response: { 200: HealthResponse } } }, async () => ({ status: 'ok' }));
  app.get('/ready', { schema: { response: { 200: ReadyResponse } } }, async () => {
    if (ctx.state.closing) throw new AppError('SHUTTING_DOWN', 'the server is shutting down');
    if (!ctx.state.ready) throw new AppError('NOT_READY', 'collections are still loading');
    return { status: 'ready', collections: ctx.manager.list().length };
  });
}
