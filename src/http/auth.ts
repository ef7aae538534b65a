/**
 * Optional API key: when configured, every route but the open ones needs
 * `Authorization: Bearer <key>`. Keys are compared as SHA-256 digests with timingSafeEqual, so the
 * time taken says nothing about the key or its length.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { AppError } from '../errors.js';

const OPEN_ROUTES = new Set(['/health', '/ready']);

function digest(value: string): Buffer {
  return createHash('sha256').update(value, 'utf8').digest();
}

export function keyMatches(expected: Buffer, header: string | undefined): boolean {
  const match = /^Bearer (.+)$/.exec(header ?? '');
  return timingSafeEqual(expected, digest(match ? match[1] : '')) && match !== null;
}

export function registerAuth(app: FastifyInstance, apiKey: string | undefined): void {
  if (apiKey === undefined) return;
  const expected = digest(apiKey);
  app.addHook('onRequest', async (request, reply) => {
    if (OPEN_ROUTES.has(request.url.split('?')[0])) return;
    if (!keyMatches(expected, request.headers.authorization)) {
      reply.header('www-authenticate', 'Bearer realm="sparrow"');
      throw new AppError('UNAUTHORIZED', 'this server needs Authorization: Bearer <API key>');
    }
  });
}
