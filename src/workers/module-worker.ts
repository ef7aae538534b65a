/**
 * Starts a worker thread on a module next to the caller: built, the `.js` file; under tsx/vitest
 * the `.ts` file, through tsx's CommonJS hook (its ESM hook hangs inside worker threads on Node 20).
 * The boot code is CommonJS, so an `--input-type=module` the parent was started with (as
 * `node --input-type=module -e …` is) is not passed on: it would make `require` undefined there.
 * A worker refuses V8 options among its flags (ERR_WORKER_INVALID_EXEC_ARGV: `node
 * --max-semi-space-size=4 --import tsx …`, as `npm start`'s flags with the sources); then it gets the
 * parent's module-loading flags only.
 */
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { Worker, type WorkerOptions } from 'node:worker_threads';

/** Flags that load modules (with their value when it is the next argument): what a worker may need of its parent's. */
const LOADING_FLAGS = new Set(['--import', '--require', '-r', '--loader', '--experimental-loader', '--conditions', '-C']);

/** The module-loading flags of an argument list, with their values. */
export function loadingFlags(argv: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const name = argv[i].split('=')[0];
    if (!LOADING_FLAGS.has(name)) continue;
    out.push(argv[i]);
    if (!argv[i].includes('=') && i + 1 < argv.length) out.push(argv[++i]);
  }
  return out;
}

/** `callerUrl` is the caller's import.meta.url; `name` the worker module's name without extension. */
export function startModuleWorker(callerUrl: string, name: string, options: WorkerOptions = {}): Worker {
  const ts = fileURLToPath(callerUrl).endsWith('.ts');
  const file = fileURLToPath(new URL(`./${name}.${ts ? 'ts' : 'js'}`, callerUrl));
  if (!ts) return new Worker(file, options);
  const tsxCjs = createRequire(callerUrl).resolve('tsx/cjs/api');
  const boot = `require(${JSON.stringify(tsxCjs)}).register(); require(${JSON.stringify(file)});`;
  const execArgv = (options.execArgv ?? process.execArgv).filter((a) => !a.startsWith('--input-type'));
  try {
    return new Worker(boot, { ...options, eval: true, execArgv });
  } catch (error) {
    if ((error as { code?: unknown }).code !== 'ERR_WORKER_INVALID_EXEC_ARGV') throw error;
    return new Worker(boot, { ...options, eval: true, execArgv: loadingFlags(execArgv) });
  }
}
