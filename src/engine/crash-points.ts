/**
 * TEST-ONLY crash hook. When the environment variable SPARROW_CRASH_AT names a point, the process
 * kills itself with SIGKILL the first time it reaches that point, so crash tests can stop it at an
 * exact step. Never set it in production. Points:
 *   mid-batch        inside a group-commit transaction, after the first request's writes
 *   seal-build       while a sealed segment is being built (before its file exists)
 *   segment-written  after a segment file is renamed into place, before the manifest commit
 *   merge-build      while a merge is being built
 *   backup           after the backup's segment files are copied, before its database is written
 */
export type CrashPoint = 'mid-batch' | 'seal-build' | 'segment-written' | 'merge-build' | 'backup';

export function crashPoint(point: CrashPoint): void {
  if (process.env.SPARROW_CRASH_AT === point) process.kill(process.pid, 'SIGKILL');
}
