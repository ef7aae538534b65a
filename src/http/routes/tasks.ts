/** POST /v1/collections/{name}/_flush, _optimize, _backup (202 + task), GET /v1/tasks[/{id}]. */
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { mayAccess } from '../auth.js';
import type { HttpContext } from '../context.js';
import { BackupQuery, NameParams, Task, TaskList, TaskParams } from '../schemas.js';

let unnamed = 0;

/** Backups go under <dataDir>/backups/<name>: a client never chooses a path on the server. */
export function backupDir(dataDir: string, collection: string, name: string | undefined): string {
  const stamp = new Date().toISOString().replace(/[:.]/g, '-').toLowerCase();
  return path.join(dataDir, 'backups', name ?? `${collection}-${stamp}-${(unnamed++).toString(36)}`); // two in one millisecond differ
}

export async function taskRoutes(app: FastifyInstance, ctx: HttpContext): Promise<void> {
  const { manager, tasks, config } = ctx;
  const accepted = { params: NameParams, response: { 202: Task } };
  app.post<{ Params: NameParams }>('/v1/collections/:name/_flush', { schema: accepted }, async (request, reply) => {
    const collection = manager.get(request.params.name);
    return reply.code(202).send(tasks.start('flush', collection.name, () => collection.flush()));
  });
  app.post<{ Params: NameParams }>('/v1/collections/:name/_optimize', { schema: accepted }, async (request, reply) => {
    const collection = manager.get(request.params.name);
    return reply.code(202).send(tasks.start('optimize', collection.name, () => collection.optimize()));
  });
  app.post<{ Params: NameParams; Querystring: BackupQuery }>(
    '/v1/collections/:name/_backup',
    { schema: { ...accepted, querystring: BackupQuery } },
    async (request, reply) => {
      const collection = manager.get(request.params.name);
      const target = backupDir(config.server.dataDir, collection.name, request.query.name);
      return reply.code(202).send(tasks.start('backup', collection.name, async () => {
        await collection.backup(target);
        return { path: target };
      }));
    },
  );
  app.get('/v1/tasks', { schema: { response: { 200: TaskList } } }, async (request) => ({
    tasks: tasks.list().filter((t) => mayAccess(request, ctx, t.collection)),
  }));
  app.get<{ Params: TaskParams }>('/v1/tasks/:id', { schema: { params: TaskParams, response: { 200: Task } } }, async (request) =>
    tasks.get(request.params.id),
  );
}
