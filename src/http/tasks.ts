/**
 * Long operations (_flush, _optimize, _backup) run as tasks: the request answers 202 with the task
 * at once, GET /v1/tasks/{id} reports its status. Each state change is written to the data
 * directory's database (when a store is given), so a restart still answers for a task: one that was
 * running when the process stopped is `failed` with code INTERRUPTED. The newest `keep` finished
 * ones are remembered. close() waits for running tasks, so shutdown never cuts a flush or backup.
 */
import { randomUUID } from 'node:crypto';
import { AppError } from '../errors.js';
import type { DataDirStore } from '../store/data-dir-store.js';
import { toAppError } from './problem.js';
import type { TaskView } from './schemas.js';

export type TaskType = TaskView['type'];

/** Where task states are kept across restarts (the data directory's database). */
export type TaskStore = Pick<DataDirStore, 'saveTask' | 'removeTask' | 'tasks'>;

export class TaskRegistry {
  private readonly tasks = new Map<string, TaskView>();
  private readonly running = new Set<Promise<void>>();

  constructor(
    private readonly store?: TaskStore,
    private readonly keep = 1_000,
  ) {
    for (const stored of store?.tasks() ?? []) {
      const task = stored as unknown as TaskView;
      if (task.status === 'running') {
        Object.assign(task, {
          status: 'failed',
          finished_at: new Date().toISOString(),
          error: { code: 'INTERRUPTED', detail: 'the server stopped while the task was running; run it again' },
        });
        store!.saveTask(stored);
      }
      this.tasks.set(task.id, task);
    }
  }

  start(type: TaskType, collection: string, work: () => Promise<Record<string, unknown> | void>): TaskView {
    const started = performance.now();
    const task: TaskView = { id: randomUUID(), type, collection, status: 'running', created_at: new Date().toISOString() };
    this.tasks.set(task.id, task);
    this.save(task);
    const finish = (fields: Partial<TaskView>): void => {
      Object.assign(task, fields, { finished_at: new Date().toISOString(), took_ms: performance.now() - started });
      this.save(task);
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

  /** A task's state is recorded where possible; a failed write (disk full) costs only the record, never the task. */
  private save(task: TaskView): void {
    try {
      this.store?.saveTask(task);
    } catch (err) {
      console.error(`sparrow: task ${task.id}: its state could not be recorded:`, err);
    }
  }

  private prune(): void {
    const finished = [...this.tasks.values()].filter((t) => t.status !== 'running');
    for (const task of finished.slice(0, Math.max(0, finished.length - this.keep))) {
      this.tasks.delete(task.id);
      try {
        this.store?.removeTask(task.id);
      } catch {
        // pruned again after the next task
      }
    }
  }
}
