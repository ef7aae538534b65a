/**
 * buildApp(config, deps): the fastify app with every plugin and route registered. It never
 * listens (src/server.ts does). The app owns the collection manager and closes it on close.
 */
import { fileURLToPath } from 'node:url';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import Fastify, { LogController, type FastifyInstance } from 'fastify';
import { AliasedManager } from './aliases/manager.js';
import { AliasRegistry } from './aliases/registry.js';
import type { Config } from './config.js';
import type { CollectionManager } from './engine/types.js';
import { AppError } from './errors.js';
import { registerAuth } from './http/auth.js';
import type { HttpContext, ServiceState, StandaloneEncode } from './http/context.js';
import { createMetrics, registerMetrics, type ServiceMetrics } from './http/metrics.js';
import { registerProblemHandler, sendProblem } from './http/problem.js';
import { aliasRoutes } from './http/routes/aliases.js';
import { collectionRoutes } from './http/routes/collections.js';
import { documentRoutes } from './http/routes/documents.js';
import { encodeRoutes } from './http/routes/encode.js';
import { healthRoutes } from './http/routes/health.js';
import { searchRoutes } from './http/routes/search.js';
import { taskRoutes } from './http/routes/tasks.js';
import { uiRoutes } from './http/routes/ui.js';
import { MAX_ID_LENGTH } from './http/schemas.js';
import { TaskRegistry, type TaskStore } from './http/tasks.js';
import { formatSchemaErrors } from './http/validation.js';

export const OPENAPI_PATH = fileURLToPath(new URL('../openapi.yaml', import.meta.url));

export interface AppDeps {
  manager: CollectionManager;
  /** POST /v1/encode without a collection */
  encode: StandaloneEncode;
  metrics?: ServiceMetrics;
  /** encoding tasks waiting in the worker pool */
  encoderQueueDepth?: () => number;
  /** closes what the deps opened besides the manager (after the manager) */
  release?: () => Promise<void>;
  /** where task states survive a restart (the data directory's database); in memory only without it */
  taskStore?: TaskStore;
  /** false while the server still loads collections or creates the sample (/ready answers 503) */
  ready?: boolean;
}

declare module 'fastify' {
  interface FastifyInstance {
    sparrow: HttpContext;
  }
}

export async function buildApp(config: Config, deps: AppDeps): Promise<FastifyInstance> {
  const app = Fastify({
    logger: { level: config.server.logLevel },
    // One log line per request only at debug/trace: at thousands of requests a second it costs.
    logController: new LogController({ disableRequestLogging: !['debug', 'trace'].includes(config.server.logLevel) }),
    bodyLimit: config.server.bodyLimitBytes,
    return503OnClosing: false,
    // Ids up to MAX_ID_LENGTH must reach the schema (400 there); longer paths are answered below.
    routerOptions: { maxParamLength: 2 * MAX_ID_LENGTH },
    frameworkErrors: (err, _request, reply) => {
      const long = err.code === 'FST_ERR_MAX_PARAM_LENGTH';
      return sendProblem(reply, new AppError('VALIDATION_ERROR', long ? `a path parameter is longer than ${2 * MAX_ID_LENGTH} characters` : err.message));
    },
    // Strict validation: never strip unknown fields or coerce types; Infinity/NaN are not numbers.
    ajv: { customOptions: { removeAdditional: false, coerceTypes: false, useDefaults: true, strictNumbers: true } },
    // Messages name the field: `body.searches[1].k must be >= 1`, `body: unknown property "foo"`.
    schemaErrorFormatter: formatSchemaErrors,
  });
  const state: ServiceState = { ready: deps.ready ?? true, closing: false };
  const manager = new AliasedManager(deps.manager, await AliasRegistry.open(config.server.dataDir));
  const ctx: HttpContext = { config, manager, tasks: new TaskRegistry(deps.taskStore), state, encode: deps.encode, routes: [] };
  app.decorate('sparrow', ctx);
  app.addHook('onRoute', (route) => {
    for (const method of [route.method].flat()) ctx.routes.push({ method, url: route.url, schema: route.schema as Record<string, unknown> | undefined });
  });

  registerProblemHandler(app);
  // JSON only: a text/plain body is a 415, not a string that fails the schema.
  app.removeContentTypeParser('text/plain');
  // Hooks on every request take the callback form: an async hook costs a promise per request.
  app.addHook('onRequest', (_request, _reply, done) => {
    done(state.closing ? new AppError('SHUTTING_DOWN', 'the server is shutting down', { retryAfter: 5 }) : undefined);
  });
  registerAuth(app, ctx);
  // Until the collections are loaded (and a first start's sample created), the API answers 503 like
  // /ready instead of searching a partial collection; /health, /ready, /metrics and /docs stay up.
  app.addHook('onRequest', (request, _reply, done) => {
    const loading = !state.ready && request.url.startsWith('/v1/');
    done(loading ? new AppError('NOT_READY', 'collections are still loading: retry when GET /ready answers 200', { retryAfter: 1 }) : undefined);
  });
  registerMetrics(app, deps.metrics ?? createMetrics(), {
    manager: deps.manager,
    tasksRunning: () => ctx.tasks.runningCount(),
    encoderQueueDepth: deps.encoderQueueDepth ?? (() => 0),
  });

  await app.register(swagger, { mode: 'static', specification: { path: OPENAPI_PATH, baseDir: fileURLToPath(new URL('..', import.meta.url)).replace(/\/$/, '') } });
  await app.register(swaggerUi, { routePrefix: '/docs' });
  for (const routes of [healthRoutes, collectionRoutes, aliasRoutes, documentRoutes, searchRoutes, encodeRoutes, taskRoutes, uiRoutes]) {
    await app.register(routes, ctx);
  }

  app.addHook('preClose', async () => {
    state.closing = true;
  });
  app.addHook('onClose', async () => {
    await ctx.tasks.close();
    await ctx.manager.close();
    await deps.release?.();
  });
  return app;
}
