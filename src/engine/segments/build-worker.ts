/**
 * The build worker thread: runs segment builds (build-job.ts) so that reading rows, CSR assembly,
 * calibration, saving and verifying never run on the event loop. Each job opens collection.db
 * read-only for its reads; jobs may overlap (the native build runs on its own threads).
 * The thread runs at the native build threads' lower priority (nice +10 on Linux): its reads, CSR
 * assembly and calibration queries are background work, and on a machine whose cores are all busy
 * the event loop and the search threads get the CPU first (a merge's row reads at normal priority
 * took CPU from the event loop: its delay while one ran is measured by `npm run bench:engine`).
 */
import { parentPort } from 'node:worker_threads';
import Database from 'better-sqlite3';
import { lowerThreadPriority } from '../../index/native.js';
import { vectorRowReader } from '../../store/collection-store.js';
import { errorData, runBuildJob, type BuildJob } from './build-job.js';

export interface BuildRequest {
  id: number;
  job: BuildJob;
}

const port = parentPort;
if (!port) throw new Error('build-worker.ts runs as a worker thread');
lowerThreadPriority();

port.on('message', ({ id, job }: BuildRequest) => {
  void (async () => {
    let db: Database.Database | undefined;
    try {
      db = new Database(job.dbPath, { readonly: true, fileMustExist: true });
      const result = await runBuildJob(job, { vectorRowsInRange: vectorRowReader(db) });
      const transfer = [result.purge.buffer as ArrayBuffer, ...(result.built ? [result.built.docnos.buffer as ArrayBuffer] : [])];
      port.postMessage({ id, result }, transfer);
    } catch (e) {
      port.postMessage({ id, error: errorData(e) });
    } finally {
      db?.close();
    }
  })();
});
