/**
 * npm run bench:rebuild [-- --docs 200000 --heap 256 --dir /tmp/x]
 * Recovery after every segment file of a collection is deleted: a child process opens the data
 * directory (rebuilding the segments from collection.db) and reports its peak RSS, its V8 heap, the
 * open time, and whether `exact: true` answers equal the ones taken before the deletion.
 * Documents: SYNTHETIC SPLADE-like vectors (test/bench/synthetic.ts; there are no real SPLADE
 * document vectors here), pre-encoded (kind "splade" without a model). --heap runs the child with
 * --max-old-space-size (MB). --dir keeps the built collection there (reused when it exists).
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { CsrBatch } from '../../src/core/types.js';
import { EngineManager } from '../../src/engine/manager.js';
import type { Collection, DocumentInput, SearchResponse } from '../../src/engine/types.js';
import { upsertRetrying } from './upsert.js';
import { generateDocBatch, generateQueries } from './synthetic.js';

const arg = (name: string): string | undefined => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
};
const QUERY_COUNT = 20;

function docsOf(b: CsrBatch, from: number): DocumentInput[] {
  const out: DocumentInput[] = [];
  for (let r = 0; r + 1 < b.indptr.length; r++) {
    const s = b.indptr[r];
    const e = b.indptr[r + 1];
    out.push({ id: `d${from + r}`, sparse: { indices: Array.from(b.indices.subarray(s, e)), values: Array.from(b.values.subarray(s, e)) } });
  }
  return out;
}

async function exactAnswers(c: Collection): Promise<Array<SearchResponse['hits']>> {
  const q = generateQueries(QUERY_COUNT, { set: 'report' });
  const out: Array<SearchResponse['hits']> = [];
  for (let i = 0; i < QUERY_COUNT; i++) {
    const s = q.indptr[i];
    const e = q.indptr[i + 1];
    const sparse = { indices: Array.from(q.indices.subarray(s, e)), values: Array.from(q.values.subarray(s, e)) };
    out.push((await c.search({ sparse, k: 10, exact: true })).hits);
  }
  return out;
}

async function child(dir: string): Promise<void> {
  const started = performance.now();
  const manager = await EngineManager.open({ dataDir: dir });
  const openMs = performance.now() - started;
  const c = manager.get('c');
  const stats = c.stats();
  const answers = await exactAnswers(c);
  const heapMB = process.memoryUsage().heapUsed / 2 ** 20;
  await manager.close();
  const sealed = stats.segments.filter((s) => s.sealed);
  process.stdout.write(
    JSON.stringify({
      openMs,
      maxRssMB: process.resourceUsage().maxRSS / 1024,
      heapMB,
      documents: stats.documents,
      segments: sealed.length,
      largestSegment: Math.max(...sealed.map((s) => s.documents)),
      unsealed: stats.segments.filter((s) => !s.sealed).reduce((n, s) => n + s.documents, 0),
      answers,
    }),
  );
}

async function build(dir: string, docs: number): Promise<void> {
  const manager = await EngineManager.open({ dataDir: dir });
  const c = await manager.create('c', { encoder: { kind: 'splade' } });
  const batch = 1_000;
  for (let from = 0; from < docs; from += batch) {
    const n = Math.min(batch, docs - from);
    const input = docsOf(generateDocBatch(from, n), from);
    await upsertRetrying(c, input);
    if (from % 50_000 === 0) process.stderr.write(`  ingested ${from} documents\n`);
  }
  await c.flush();
  await manager.close();
}

async function main(): Promise<void> {
  if (process.argv.includes('--child')) return child(arg('child-dir')!);
  const docs = Number(arg('docs') ?? 200_000);
  const heap = arg('heap');
  const dir = arg('dir') ?? fs.mkdtempSync(path.join(os.tmpdir(), 'sparrow-rebuild-'));
  if (!fs.existsSync(path.join(dir, 'c', 'collection.db'))) {
    process.stderr.write(`building ${docs} synthetic documents in ${dir}\n`);
    await build(dir, docs);
  }
  const manager = await EngineManager.open({ dataDir: dir });
  const before = await exactAnswers(manager.get('c'));
  const segmentsBefore = manager.get('c').stats().segments.filter((s) => s.sealed).length;
  await manager.close();
  const segDir = path.join(dir, 'c', 'segments');
  for (const f of fs.readdirSync(segDir)) fs.rmSync(path.join(segDir, f));
  const self = fileURLToPath(import.meta.url);
  const nodeArgs = [...(heap ? [`--max-old-space-size=${heap}`] : []), '--import', 'tsx', self, '--child', '--child-dir', dir];
  const run = spawnSync(process.execPath, nodeArgs, { encoding: 'utf8', maxBuffer: 64 * 2 ** 20, stdio: ['ignore', 'pipe', 'pipe'] });
  if (run.status !== 0) {
    process.stderr.write(run.stderr.split('\n').filter((l) => !l.includes('rebuilding it from')).join('\n'));
    throw new Error(`the child exited with ${run.status ?? run.signal}`);
  }
  const r = JSON.parse(run.stdout) as { openMs: number; maxRssMB: number; heapMB: number; documents: number; segments: number; largestSegment: number; unsealed: number; answers: unknown };
  const identical = JSON.stringify(r.answers) === JSON.stringify(before);
  console.log(`\nRebuild after deleting all ${segmentsBefore} segment files (${r.documents} synthetic documents; child ${heap ? `--max-old-space-size=${heap}` : 'default heap'})`);
  console.log('| open (rebuild) | peak RSS | V8 heap after | rebuilt segments | largest | left unsealed | exact top-10 of 20 queries |');
  console.log('|---|---|---|---|---|---|---|');
  console.log(`| ${(r.openMs / 1000).toFixed(1)} s | ${r.maxRssMB.toFixed(0)} MB | ${r.heapMB.toFixed(0)} MB | ${r.segments} | ${r.largestSegment} | ${r.unsealed} | ${identical ? 'identical' : 'DIFFERENT'} |`);
  if (!identical) process.exitCode = 1;
}

await main();
