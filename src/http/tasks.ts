/**
 * Long operations (_flush, _optimize, _backup) run as tasks: the request answers 202 with the task
 * at once, GET /v1/tasks/{id} reports its status. Tasks live in memory; the newest `keep` finished
 * ones are remembered. close() waits for running tasks, so shutdown never cuts a flush or backup.
 */
import { randomUUID } from 'node:crypto';
import { AppError } from '../errors.js';
import { toAppError } from './problem.js';
import type { TaskView } from './schemas.js';

export type TaskType = TaskView['type'];

export class TaskRegistry {
  private readonly tasks = new Map<string, TaskView>();
  private readonly running = new Set<Promise<void>>();

  constructor(private readonly keep = 1_000) {}

  start(type: TaskType, collection: string, work: () => Promise<Record<string, unknown> | void>): TaskView {
    const started = performance.now();
    const task: TaskView = { id: randomUUID(), type, collection, status: 'running', created_at: new Date().toISOString() };
    this.tasks.set(task.id, task);
    const finish = (fields: Partial<TaskView>): void => {
      Object.assign(task, fields, { finished_at: new Date().toISOString(), took_ms: performance.now() - started });
      this.prune();
    };
    const run = work().then(
      (result) => finish({ status: 'succeeded', ...(result ? { result } : {}) }),
      (err: unknown) => {
        const appError = toAppError(err);
        finish({ status: 'failed', error: { code: appError.code, detail: appError.message } });
      },
    );
    this.running.add(run);
    void run.finally(() => this.running.delete(run));
    return { ...task };
  }

  get(id: string): TaskView {
    const task = this.tasks.get(id);
    if (!task) throw new AppError('TASK_NOT_FOUND', `no task ${JSON.stringify(id)}`);
    return { ...task };
  }

  list(): TaskView[] {
    return [...this.tasks.values()].map((t) => ({ ...t }));
  }

  /** Tasks still running (for the metrics). */
  runningCount(): number {
    return this.running.size;
  }

  async close(): Promise<void> {
    await Promise.allSettled([...this.running]);
  }

  private prune(): void {
    const finished = [...this.tasks.values()].filter((t) => t.status !== 'running');
    for (const task of finished.slice(0, Math.max(0, finished.length - this.keep))) this.tasks.delete(task.id);
  }
}
