/**
 * TEST-ONLY crash hook. When the environment variable SPARROW_CRASH_AT names a point, the process
 * kills itself with SIGKILL when it reaches that point for the (SPARROW_CRASH_SKIP + 1)-th time
 * (default: the first), so crash tests can stop it at an exact step. Never set these in production.
 * Points:
 *   mid-batch        inside a group-commit transaction, after the first request's writes
 *   seal-build       a sealed segment is built, before its file is written
 *   segment-written  after a segment file is renamed into place, before the manifest commit
 *   merge-build      a merged segment is built, before its file is written
 *   backup           after the backup's segment files are copied, before its database is written
 */
export type CrashPoint = 'mid-batch' | 'seal-build' | 'segment-written' | 'merge-build' | 'backup';

let reached = 0;

export function crashPoint(point: CrashPoint): void {
  if (process.env.SPARROW_CRASH_AT !== point) return;
  if (reached++ < Number(process.env.SPARROW_CRASH_SKIP ?? '0')) return;
  process.kill(process.pid, 'SIGKILL');
}

/**
 * TEST-ONLY failure hook: throws where SPARROW_FAIL_AT names the point (read at every call, so a
 * test can set and clear it in-process). Points:
 *   apply            applying a committed write to memory, after its first document is half applied
 */
export type FailPoint = 'apply';

export function failPoint(point: FailPoint): void {
  if (process.env.SPARROW_FAIL_AT === point) throw new Error(`injected failure at ${point} (SPARROW_FAIL_AT)`);
}
