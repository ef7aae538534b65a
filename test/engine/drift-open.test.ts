/**
 * A blocked BM25 segment whose summaries no longer fit the live average length is re-summarised at
 * open too: a rebuild scheduled after a write is lost when the process is killed before it lands.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, expect, it } from 'vitest';
import { createEncoder } from '../../src/encoder/factory.js';
import { EngineManager } from '../../src/engine/manager.js';
import { SUMMARY_AVGDL_RANGE } from '../../src/engine/segments/sealed-segment.js';
import type { EngineCollection } from '../../src/engine/write/collection.js';
import { closeEncoderPool } from '../../src/workers/pool.js';
import { tempDir } from './helpers.js';

const CHILD = fileURLToPath(new URL('./drift-child.ts', import.meta.url));
const dirs: string[] = [];
afterAll(async () => {
  await closeEncoderPool();
  dirs.forEach((d) => fs.rmSync(d, { recursive: true, force: true }));
});

it('re-summarises at open a segment whose re-summarise was killed', async () => {
  const dataDir = path.join(tempDir('sparrow-drift-'), 'data');
  dirs.push(path.dirname(dataDir));
  const run = await new Promise<{ signal: NodeJS.Signals | null; out: string; err: string }>((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', CHILD, dataDir], { env: { ...process.env, SPARROW_CRASH_AT: 'merge-build' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (b: Buffer) => (out += b.toString()));
    child.stderr.on('data', (b: Buffer) => (err += b.toString()));
    child.on('exit', (_code, signal) => resolve({ signal, out, err }));
  });
  expect(run.signal, run.err).toBe('SIGKILL');
  const built = /sealed (\S+)/.exec(run.out)![1];

  const manager = await EngineManager.open({ dataDir, encoderFor: (config, cpu) => createEncoder(config.encoder, cpu) });
  try {
    const col = manager.get('drift') as EngineCollection;
    const live = col.corpus.avgDocLength;
    const holder = (): (typeof col.sealed)[number] => col.sealed.find((s) => s.contains(col.store.getById('short0')!.docno))!;
    await col.flush();
    expect(col.sealed.map((s) => s.id)).not.toContain(built);
    expect(holder().summaryAvgdl! / live).toBeGreaterThan(1 / SUMMARY_AVGDL_RANGE);
    expect(holder().summaryAvgdl! / live).toBeLessThan(SUMMARY_AVGDL_RANGE);
    expect((await col.search({ query: 'alpha3 beta4', k: 5 })).hits.length).toBeGreaterThan(0);
  } finally {
    await manager.close();
  }
}, 60_000);
