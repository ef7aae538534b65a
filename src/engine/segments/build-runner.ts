/**
 * Runs segment builds on worker threads (build-worker.ts), one lane for seals and one for merges,
 * so a seal never waits behind a merge's CSR assembly and neither runs on the event loop. The
 * workers are shared by every collection of the process, started on first use and unreferenced
 * while idle (they never keep the process alive).
 */
import type { Worker } from 'node:worker_threads';
import { startModuleWorker } from '../../workers/module-worker.js';
import { errorOf, type BuildJob, type BuildResult, type ErrorData } from './build-job.js';

export type BuildLane = 'seal' | 'merge';

type Reply = { id: number; result: BuildResult } | { id: number; error: ErrorData };

class BuildWorker {
  private readonly worker: Worker = startModuleWorker(import.meta.url, 'build-worker');
  private readonly pending = new Map<number, { resolve: (r: BuildResult) => void; reject: (e: Error) => void }>();
  private nextId = 1;
  dead = false;

  constructor() {
    this.worker.unref();
    this.worker.on('message', (reply: Reply) => {
      const p = this.pending.get(reply.id);
      if (!p) return;
      this.pending.delete(reply.id);
      if (this.pending.size === 0) this.worker.unref();
      if ('error' in reply) p.reject(errorOf(reply.error));
      else p.resolve(reply.result);
    });
    const fail = (error: Error): void => {
      this.dead = true;
      for (const p of this.pending.values()) p.reject(error);
      this.pending.clear();
    };
    this.worker.on('error', fail);
    this.worker.on('exit', (code) => fail(new Error(`segment build worker exited with code ${code}`)));
  }

  run(job: BuildJob): Promise<BuildResult> {
    const id = this.nextId++;
    return new Promise<BuildResult>((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.worker.ref(); // a running build keeps the process alive
      this.worker.postMessage({ id, job });
    });
  }
}

const lanes = new Map<BuildLane, BuildWorker>();

/** Runs a build on the lane's worker (a new worker if the last one died). */
export function runBuild(lane: BuildLane, job: BuildJob): Promise<BuildResult> {
  let w = lanes.get(lane);
  if (!w || w.dead) {
    w = new BuildWorker();
    lanes.set(lane, w);
  }
  return w.run(job);
}
