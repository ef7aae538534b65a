/** Shared by the CLI tests: corpora on disk and the `sparrow` command run as a child process. */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { createEncoder } from '../../src/encoder/factory.js';
import { EngineManager } from '../../src/engine/manager.js';
import type { ReportEntry } from '../../src/eval/report.js';
import { runEval, type EvalOptions } from '../../src/eval/runner.js';
import { closeEncoderPool } from '../../src/workers/pool.js';

export const ROOT = path.resolve(import.meta.dirname, '../..');

/** `n` small documents in the BEIR layout; `bad` maps a 1-based line number to a raw line. */
export function writeCorpus(file: string, n: number, bad: Record<number, string> = {}): string[] {
  const words = ['alpha', 'beta', 'gamma', 'delta', 'omega', 'sigma', 'kappa', 'theta'];
  const ids: string[] = [];
  const lines: string[] = [];
  for (let i = 0; i < n; i++) {
    const lineNo = lines.length + 1;
    if (bad[lineNo] !== undefined) lines.push(bad[lineNo]);
    const id = `doc-${i}`;
    ids.push(id);
    const text = `${words[i % 8]} ${words[(i * 3) % 8]} number${i} ${words[(i * 5 + 1) % 8]}`;
    lines.push(JSON.stringify({ _id: id, title: `title ${i}`, text, metadata: {} }));
  }
  fs.writeFileSync(file, `${lines.join('\n')}\n`);
  return ids;
}

const ENTRY = `import(${JSON.stringify(path.join(ROOT, 'src/cli/main.ts'))}).then(async (m) => { process.exitCode = await m.main(process.argv.slice(1)); })`;

/** Start `sparrow ...args` (from the TypeScript sources) as a child process. */
export function spawnCli(args: string[], env: NodeJS.ProcessEnv = {}): ChildProcess {
  return spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', ENTRY, '--', ...args], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

/** Run `sparrow ...args` to the end: exit code, stdout, stderr. */
export function runCli(args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawnCli(args, env);
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d) => (stdout += d));
  child.stderr!.on('data', (d) => (stderr += d));
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr })));
}

/** Runs `sparrow eval`'s runner on a real engine over `dataDir`; closes the engine and the encoder pool. */
export async function runEvalOnce(dataDir: string, options: EvalOptions): Promise<ReportEntry[]> {
  const manager = await EngineManager.open({ dataDir, encoderFor: (config, cpu) => createEncoder(config.encoder, cpu) });
  try {
    return (await runEval(manager, options)).entries;
  } finally {
    await manager.close();
    await closeEncoderPool();
  }
}
