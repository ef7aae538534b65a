/**
 * One home for defaults: a collection created over HTTP (PUT) gets the same configuration as one
 * created through the engine (what `sparrow index --data-dir` does) for the same request; lexical
 * collections keep their own Seismic defaults over HTTP too (PUT used to fill in the generic ones).
 */
import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { resolveCollectionConfig } from '../../src/engine/collection-config.js';
import { EngineManager } from '../../src/engine/manager.js';
import type { CollectionConfig } from '../../src/engine/types.js';
import { body, openApp, tempDir, testConfig } from './helpers.js';

const REQUESTS: Array<Partial<CollectionConfig>> = [{}, { index: { mutableMaxDocs: 50 } as CollectionConfig['index'] }, { encoder: { kind: 'splade' } }];

describe('collection defaults', () => {
  it('gives the same config over HTTP PUT as through the engine (sparrow index --data-dir), request by request', async () => {
    const httpDir = await tempDir();
    const engineDir = await tempDir();
    const config = testConfig(httpDir);
    const app = await openApp(config);
    const engine = await EngineManager.open({ dataDir: engineDir, index: config.index });
    try {
      for (const [i, request] of REQUESTS.entries()) {
        const res = await app.inject({ method: 'PUT', url: `/v1/collections/c${i}`, payload: request });
        expect(res.statusCode).toBe(201);
        const viaHttp = body<{ config: CollectionConfig }>(res).config;
        const viaEngine = (await engine.create(`c${i}`, request)).config;
        expect(viaHttp).toEqual(JSON.parse(JSON.stringify(viaEngine)));
        expect(viaHttp).toEqual(JSON.parse(JSON.stringify(resolveCollectionConfig(request, config.index))));
      }
    } finally {
      await app.close();
      await engine.close();
      fs.rmSync(httpDir, { recursive: true, force: true });
      fs.rmSync(engineDir, { recursive: true, force: true });
    }
  });
});
