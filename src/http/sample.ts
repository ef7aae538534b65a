/**
 * The sample collection: on the first start with no collections, `scifact` is created from the
 * bundled BEIR SciFact corpus with the lexical encoder, so a search works at once. A marker file
 * in the data dir records success; a start interrupted half-way drops the partial sample and
 * loads it again. A user who deletes the sample does not get it back.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { CollectionManager, DocumentInput } from '../engine/types.js';
import { AppError } from '../errors.js';
import { readCorpus } from '../eval/beir.js';

export const SAMPLE_NAME = 'scifact';
export const SAMPLE_DIR = fileURLToPath(new URL('../../index-data/samples/scifact', import.meta.url));
export const SAMPLE_MARKER = '.sample-created';
const BATCH = 500;

async function exists(file: string): Promise<boolean> {
  return fs.access(file).then(
    () => true,
    () => false,
  );
}

/** Creates the sample when the data dir has none of it yet; returns the number of documents loaded (0 = skipped). */
export async function ensureSample(manager: CollectionManager, dataDir: string, sampleDir = SAMPLE_DIR): Promise<number> {
  const marker = path.join(dataDir, SAMPLE_MARKER);
  const names = manager.list();
  if (await exists(marker)) return 0;
  if (names.some((n) => n !== SAMPLE_NAME)) return 0; // the user's own data: leave it alone
  if (names.includes(SAMPLE_NAME)) await manager.drop(SAMPLE_NAME); // an interrupted earlier load
  const collection = await manager.create(SAMPLE_NAME, { encoder: { kind: 'lexical' } });
  let batch: DocumentInput[] = [];
  let loaded = 0;
  const corpus = path.join(sampleDir, 'corpus.jsonl');
  for await (const line of readCorpus(corpus)) {
    if ('error' in line) throw new AppError('INVALID_DATASET', `${corpus}:${line.lineNo}: ${line.error}`);
    batch.push(line.doc);
    if (batch.length === BATCH) {
      await collection.upsert(batch);
      loaded += batch.length;
      batch = [];
    }
  }
  if (batch.length > 0) await collection.upsert(batch);
  loaded += batch.length;
  await collection.flush();
  await fs.writeFile(marker, `${SAMPLE_NAME} created ${new Date().toISOString()} with ${loaded} documents\n`);
  return loaded;
}
