/**
 * startModuleWorker (src/workers/module-worker.ts) from the sources: a worker starts even when the
 * parent's flags hold a V8 option, which worker threads refuse (a server run from the sources with
 * `npm start`'s --max-semi-space-size failed to seal its first segment before); it keeps the
 * module-loading flags.
 */
import { once } from 'node:events';
import { describe, expect, it } from 'vitest';
import { loadingFlags, startModuleWorker } from '../../src/workers/module-worker.js';

const FIXTURES = new URL('./fixtures/', import.meta.url).href;

async function run(execArgv: string[]): Promise<{ hello: boolean; execArgv: string[] }> {
  const worker = startModuleWorker(new URL('caller.ts', FIXTURES).href, 'hello-worker', { execArgv });
  const [message] = (await once(worker, 'message')) as [{ hello: boolean; execArgv: string[] }];
  await worker.terminate();
  return message;
}

describe('startModuleWorker', () => {
  it('starts with the given flags when a worker accepts them', async () => {
    const got = await run(['--enable-source-maps']);
    expect(got.hello).toBe(true);
    expect(got.execArgv).toEqual(['--enable-source-maps']);
  });

  it('drops V8 options (refused by worker threads) and keeps the module-loading flags', async () => {
    const got = await run(['--max-semi-space-size=4', '--conditions', 'development', '--expose-gc']);
    expect(got.hello).toBe(true);
    expect(got.execArgv).toEqual(['--conditions', 'development']);
  });

  it('loadingFlags keeps --import/--require/--loader/--conditions with their values', () => {
    expect(loadingFlags(['--max-old-space-size=100', '--import', 'tsx', '-r', 'x.cjs', '--import=y', '--stack-size=900', '-C', 'dev'])).toEqual([
      '--import',
      'tsx',
      '-r',
      'x.cjs',
      '--import=y',
      '-C',
      'dev',
    ]);
  });
});
