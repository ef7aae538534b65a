/** A collection whose dense field names a model: texts are embedded in the pool, for documents and queries. */
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEncoder } from '../../src/encoder/factory.js';
import { EngineManager } from '../../src/engine/manager.js';
import type { Collection } from '../../src/engine/types.js';
import { closeEncoderPool } from '../../src/workers/pool.js';
import { tempDir } from './helpers.js';

const TINY = path.resolve('test/fixtures/tiny-splade');
const TEXTS = ['the cat sat', 'protein folding', 'a b c d', 'enzymes of 42', 'x y z', 'the dog ran'];
let dataDir: string;
let manager: EngineManager;
let col: Collection;

const open = () => EngineManager.open({ dataDir, encoderFor: (config, cpu) => createEncoder(config.encoder, cpu) });

beforeAll(async () => {
  dataDir = tempDir();
  manager = await open();
  col = await manager.create('emb', { dense: { dims: 133, metric: 'cosine', model: TINY, pooling: 'mean' } });
  await col.upsert(TEXTS.map((text, i) => ({ id: `t${i}`, text })));
});
afterAll(async () => {
  await manager?.close();
  await closeEncoderPool();
});

describe('dense field with a model', () => {
  it('embeds documents and query texts: a text finds itself first, at cosine 1', async () => {
    for (const [i, text] of TEXTS.entries()) {
      const res = await col.search({ query: text, mode: 'dense', k: 3 });
      expect(res.hits[0].id).toBe(`t${i}`);
      expect(res.hits[0].score).toBeCloseTo(1, 5);
    }
    expect(col.get('t1')!.dense).toHaveLength(133);
  });

  it('runs hybrid search from the text alone, and keeps a vector the document brings', async () => {
    const res = await col.search({ query: 'protein folding', mode: 'hybrid', k: 3, hybrid: { method: 'rrf' } });
    expect(res.hits[0].id).toBe('t1');
    const own = Array.from({ length: 133 }, (_, j) => (j === 7 ? 1 : 0));
    await col.upsert([{ id: 'own', text: 'protein folding', dense: own }]);
    expect([...col.get('own')!.dense!]).toEqual(own);
  });

  it('refuses a model whose width is not dense.dims, naming the option', async () => {
    await expect(manager.create('wrong', { dense: { dims: 64, metric: 'cosine', model: TINY } })).rejects.toMatchObject({ code: 'INVALID_CONFIG', extra: { option: 'dense.dims' } });
    await expect(manager.create('wrong2', { dense: { dims: 133, metric: 'cosine', pooling: 'max' as 'mean' } })).rejects.toMatchObject({ code: 'INVALID_CONFIG' });
  });

  it('embeds again after a restart', async () => {
    await manager.close();
    manager = await open();
    col = manager.get('emb');
    expect((await col.search({ query: TEXTS[3], mode: 'dense', k: 1 })).hits[0].id).toBe('t3');
  });
});
