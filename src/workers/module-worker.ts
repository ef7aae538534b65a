/**
 * Starts a worker thread on a module next to the caller: built, the `.js` file; under tsx/vitest
 * the `.ts` file, through tsx's CommonJS hook (its ESM hook hangs inside worker threads on Node 20).
 * The boot code is CommonJS, so an `--input-type=module` the parent was started with (as
 * `node --input-type=module -e …` is) is not passed on: it would make `require` undefined there.
 */
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { Worker, type WorkerOptions } from 'node:worker_threads';

/** `callerUrl` is the caller's import.meta.url; `name` the worker module's name without extension. */
export function startModuleWorker(callerUrl: string, name: string, options: WorkerOptions = {}): Worker {
  const ts = fileURLToPath(callerUrl).endsWith('.ts');
  const file = fileURLToPath(new URL(`./${name}.${ts ? 'ts' : 'js'}`, callerUrl));
  if (!ts) return new Worker(file, options);
  const tsxCjs = createRequire(callerUrl).resolve('tsx/cjs/api');
  const boot = `require(${JSON.stringify(tsxCjs)}).register(); require(${JSON.stringify(file)});`;
  const execArgv = (options.execArgv ?? process.execArgv).filter((a) => !a.startsWith('--input-type'));
  return new Worker(boot, { ...options, eval: true, execArgv });
}
