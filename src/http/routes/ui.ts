/**
 * The search playground: GET / (the page) and GET /ui/{file} (its script and style), plain files
 * committed under src/http/ui (no build step, no CDN). Like every path outside /v1, they are served
 * without an API key (src/http/auth.ts): the page holds no data and sends the key the user enters.
 */
import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance } from 'fastify';
import { Type, type Static } from '@sinclair/typebox';

/** From src/http/routes or dist/http/routes alike: the committed files in src/http/ui. */
export const UI_DIR = fileURLToPath(new URL('../../../src/http/ui/', import.meta.url));

const FILES = { 'index.html': 'text/html; charset=utf-8', 'app.js': 'text/javascript; charset=utf-8', 'style.css': 'text/css; charset=utf-8' } as const;
const ASSETS = ['app.js', 'style.css'] as const;

const UiParams = Type.Object({ file: Type.Unsafe<(typeof ASSETS)[number]>({ type: 'string', enum: [...ASSETS] }) }, { additionalProperties: false });

export async function uiRoutes(app: FastifyInstance): Promise<void> {
  const content = new Map(Object.keys(FILES).map((f) => [f, fs.readFileSync(UI_DIR + f)]));
  const send = (file: keyof typeof FILES) => ({ type: FILES[file], body: content.get(file)! });
  app.get('/', async (_request, reply) => {
    const { type, body } = send('index.html');
    return reply.type(type).header('cache-control', 'no-cache').send(body);
  });
  app.get<{ Params: Static<typeof UiParams> }>('/ui/:file', { schema: { params: UiParams } }, async (request, reply) => {
    const { type, body } = send(request.params.file);
    return reply.type(type).header('cache-control', 'no-cache').send(body);
  });
}
