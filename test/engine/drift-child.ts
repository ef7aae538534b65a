/**
 * Child process of drift-open.test.ts: seals short documents into a blocked BM25 segment, then
 * writes long ones that move the live average length out of the segment's range; the re-summarise
 * that follows is killed at merge-build (SPARROW_CRASH_AT). Usage: drift-child <dataDir>
 */
import { DEFAULT_INDEX } from '../../src/config.js';
import { createEncoder } from '../../src/encoder/factory.js';
import { EngineManager } from '../../src/engine/manager.js';
import type { IndexConfig } from '../../src/engine/types.js';

// As the drift test of bm25-segmentation.test.ts: 40 five-word documents seal into a blocked segment.
const DRIFT_INDEX = { ...DEFAULT_INDEX, mutableMaxDocs: 1000, recentQueries: false, seismic: { ...DEFAULT_INDEX.seismic, exhaustiveBelow: 20 } } as IndexConfig;
const WORDS = 'alpha beta gamma delta epsilon zeta theta kappa lambda sigma omega rho'.split(' ');
const driftText = (i: number, n: number): string => Array.from({ length: n }, (_, j) => `${WORDS[(i + j) % WORDS.length]}${(i * 7 + j) % 13}`).join(' ');

async function main(): Promise<void> {
  setTimeout(() => process.exit(3), 30_000).unref(); // never crashed: the parent sees exit code 3
  const manager = await EngineManager.open({ dataDir: process.argv[2], encoderFor: (config, cpu) => createEncoder(config.encoder, cpu) });
  const col = await manager.create('drift', { index: DRIFT_INDEX });
  await col.upsert(Array.from({ length: 40 }, (_, i) => ({ id: `short${i}`, text: driftText(i, 5) })));
  await col.flush();
  process.stdout.write(`sealed ${col.stats().segments.filter((s) => s.sealed).map((s) => s.id).join(',')}\n`);
  await col.upsert(Array.from({ length: 3 }, (_, i) => ({ id: `long${i}`, text: driftText(i, 60) })));
  await col.flush(); // the re-summarise is killed before this returns
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(2);
});
