/**
 * Child process of crash.test.ts: writes (upserts, updates, deletes) through the engine and prints
 * one line per acknowledged operation, until SPARROW_CRASH_AT kills it. Usage: crash-child <dataDir> <scenario>
 */
import path from 'node:path';
import { DEFAULT_INDEX } from '../../src/config.js';
import { EngineManager } from '../../src/engine/manager.js';
import type { CollectionConfig } from '../../src/engine/types.js';
import { randomSparse, rng } from './helpers.js';

export const CRASH_CONFIG: Partial<CollectionConfig> = {
  encoder: { kind: 'splade' },
  filterable: { v: 'number' },
  index: {
    ...DEFAULT_INDEX,
    mutableMaxDocs: 120,
    maxUnsealedDocs: 100_000,
    mergeFactor: 2,
    maxSegmentDocs: 1_000_000,
    reclaimDeletedFraction: 0.3,
    exactFilterSelectivity: 0.01,
  },
};

async function main(): Promise<void> {
  const [dataDir, scenario] = process.argv.slice(2);
  setTimeout(() => process.exit(3), 30_000).unref(); // never crashed: the parent sees exit code 3
  const manager = await EngineManager.open({ dataDir });
  const col = await manager.create('c', CRASH_CONFIG);
  const say = (line: string) => process.stdout.write(line + '\n');
  const writer = async (w: number): Promise<void> => {
    const rand = rng(100 + w);
    const versions = new Map<number, number>();
    const deleted = new Set<number>();
    for (let n = 0; ; n++) {
      const inBatch = new Set<number>();
      const batch = Array.from({ length: 15 }, (_, j) => {
        // Every fourth document updates an earlier (not deleted) one: same id and unique term, new version.
        const old = w * 100_000 + Math.floor(rand() * n * 15);
        const uid = j % 4 === 3 && n > 0 && !deleted.has(old) && !inBatch.has(old) ? old : w * 100_000 + n * 15 + j;
        inBatch.add(uid);
        const v = (versions.get(uid) ?? 0) + 1;
        versions.set(uid, v);
        return { id: `u${uid}`, sparse: randomSparse(rand, 20, 500, uid), metadata: { v } };
      });
      await col.upsert(batch);
      for (const d of batch) say(`ack ${d.id} ${d.id.slice(1)} ${d.metadata.v}`);
      await new Promise((r) => setTimeout(r, 5)); // pace: a few thousand documents before each crash point
      if (n % 5 === 4) {
        const victim = w * 100_000 + n * 15 - 30;
        deleted.add(victim); // before the call: no later batch may update it
        say(`delreq u${victim}`); // the delete may commit before a kill that comes before its ack
        if (await col.delete(`u${victim}`)) say(`del u${victim}`);
      }
    }
  };
  const writers = [0, 1, 2].map((w) => writer(w));
  if (scenario === 'backup') {
    await new Promise((r) => setTimeout(r, 300));
    await col.flush();
    await col.backup(path.join(dataDir, '..', 'backup-target', 'c'));
  }
  await Promise.all(writers);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(2);
});
