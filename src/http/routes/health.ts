/** GET /health (the process is alive) and GET /ready (collections loaded, not shutting down; read-only or degraded ones listed with why). */
import type { FastifyInstance } from 'fastify';
import { AppError } from '../../errors.js';
import type { HttpContext } from '../context.js';
import { HealthResponse, ReadyResponse } from '../schemas.js';

export async function healthRoutes(app: FastifyInstance, ctx: HttpContext): Promise<void> {
  app.get('/health', { schema: { response: { 200: HealthResponse } } }, async () => ({ status: 'ok' }));
  app.get('/ready', { schema: { response: { 200: ReadyResponse } } }, async () => {
    if (ctx.state.closing) throw new AppError('SHUTTING_DOWN', 'the server is shutting down');
    if (!ctx.state.ready) throw new AppError('NOT_READY', 'collections are still loading');
    const names = ctx.manager.list();
    const degraded = names.flatMap((name) => {
      try {
        const { status, reason } = ctx.manager.get(name).stats();
        return status === 'ok' ? [] : [{ collection: name, status, reason: reason ?? status }];
      } catch (err) {
        return [{ collection: name, status: 'unavailable', reason: (err as Error).message }];
      }
    });
    return { status: 'ready', collections: names.length, ...(degraded.length > 0 ? { degraded } : {}) };
  });
}
