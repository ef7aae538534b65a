/** The sample loader on a small BEIR-shaped corpus (the real SciFact load runs in server.test.ts). */
import fs from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { AppDeps } from '../../src/app.js';
import type { CollectionManager } from '../../src/engine/types.js';
import { SAMPLE_MARKER, ensureSample } from '../../src/http/sample.js';
import { openServices } from '../../src/http/services.js';
import { tempDir, testConfig } from './helpers.js';

const CORPUS = [
  { _id: '1', title: 'Bees', text: 'Honey bees pollinate flowers.' },
  { _id: '2', title: 'Only a title' },
  { _id: '3', title: '', text: 'Ants build colonies.' },
];

async function sampleDir(lines: string[]): Promise<string> {
  const dir = await tempDir('sparrow-sample-');
  await fs.writeFile(path.join(dir, 'corpus.jsonl'), lines.join('\n') + '\n');
  return dir;
}

let opened: AppDeps | undefined;
async function closeOpened(): Promise<void> {
  await opened?.manager.close();
  await opened?.release?.();
  opened = undefined;
}
afterEach(closeOpened);

async function open(dataDir: string): Promise<CollectionManager> {
  await closeOpened();
  opened = await openServices(testConfig(dataDir));
  return opened.manager;
}

describe('sample collection', () => {
  it('names the line of a malformed corpus and marks nothing as done', async () => {
    const dataDir = await tempDir();
    const m = await open(dataDir);
    const dir = await sampleDir([JSON.stringify(CORPUS[0]), '{"_id": "5",']);
    await expect(ensureSample(m, dataDir, dir)).rejects.toMatchObject({ code: 'INVALID_DATASET', message: expect.stringMatching(/corpus\.jsonl:2/) });
    await expect(fs.access(path.join(dataDir, SAMPLE_MARKER))).rejects.toThrow();
  });

  it('creates scifact once, and never again after the user deletes it', async () => {
    const dataDir = await tempDir();
    const dir = await sampleDir(CORPUS.map((d) => JSON.stringify(d)));
    let m = await open(dataDir);
    expect(await ensureSample(m, dataDir, dir)).toBe(3);
    expect(m.get('scifact').stats().documents).toBe(3);
    expect((await m.get('scifact').search({ query: 'bees', k: 1 })).hits[0].id).toBe('1');
    expect(await ensureSample(m, dataDir, dir)).toBe(0);
    await m.drop('scifact');
    m = await open(dataDir);
    expect(await ensureSample(m, dataDir, dir)).toBe(0);
    expect(m.list()).toEqual([]);
  });

  it("leaves a data dir with the user's own collections alone", async () => {
    const dataDir = await tempDir();
    const m = await open(dataDir);
    await m.create('mine', {});
    expect(await ensureSample(m, dataDir, await sampleDir([JSON.stringify(CORPUS[0])]))).toBe(0);
    expect(m.list()).toEqual(['mine']);
  });

  it('replaces a sample whose load was interrupted', async () => {
    const dataDir = await tempDir();
    const m = await open(dataDir);
    const partial = await m.create('scifact', {});
    await partial.upsert([{ id: 'half', text: 'half loaded' }]);
    expect(await ensureSample(m, dataDir, await sampleDir(CORPUS.map((d) => JSON.stringify(d))))).toBe(3);
    expect(m.get('scifact').get('half')).toBeUndefined();
    await expect(fs.readFile(path.join(dataDir, SAMPLE_MARKER), 'utf8')).resolves.toMatch(/3 documents/);
  });
});
