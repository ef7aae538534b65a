/** Attribution through the real encoder pool: time bound, cache, user vectors and pooled-output models. */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeTinyModelDir } from '../../scripts/make-tiny-model.js';
import { SpladeEncoder } from '../../src/encoder/splade-encoder.js';
import { AttributionCache, attributeExpansions } from '../../src/highlight/attribution.js';
import { highlightDocument, layoutOf, type Highlight } from '../../src/highlight/highlight.js';
import { EncoderPool } from '../../src/workers/pool.js';

const TITLE = 'cancer study';
const TEXT = 'blood risk in patients';

describe('attributeExpansions', () => {
  let pool: EncoderPool;
  let logits: SpladeEncoder;
  let pooled: SpladeEncoder;

  beforeAll(async () => {
    pool = new EncoderPool({ encoderWorkers: 1, encoderQueue: 16 });
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'sparrow-attr-'));
    writeTinyModelDir(path.join(dir, 'pooled'), { output: 'pooled' });
    logits = await SpladeEncoder.open({ modelDir: 'test/fixtures/tiny-splade', prune: {}, intraOpThreads: 1, pool });
    pooled = await SpladeEncoder.open({ modelDir: path.join(dir, 'pooled'), prune: {}, intraOpThreads: 1, pool });
  }, 60_000);
  afterAll(async () => pool?.close());

  /** A highlight whose shared terms are the whole document vector: its expansions are real SPLADE expansions. */
  async function highlightOf(encoder: SpladeEncoder): Promise<Highlight> {
    const [doc] = await encoder.encodeDocuments([`${TITLE}\n${TEXT}`]);
    const terms = Array.from(doc.vector.indices, (id, i) => ({ token: encoder.tokenOf(id)!, id, queryWeight: 1, documentWeight: doc.vector.values[i], contribution: doc.vector.values[i] }));
    return highlightDocument(layoutOf(TITLE, TEXT), terms, encoder.tokenOffsets(`${TITLE}\n${TEXT}`));
  }

  it('names the token behind each expansion; a run that misses the time bound is unattributed, then served from the cache', async () => {
    const cache = new AttributionCache();
    const doc = { key: 'row-1', title: TITLE, text: TEXT, encoderVersion: logits.version };
    const late = await highlightOf(logits);
    expect(late.expansions.length).toBeGreaterThan(0);
    // the one worker is busy with a batch first, so the attribution cannot be back within 1 ms
    const busy = logits.encodeDocuments(Array.from({ length: 400 }, (_, i) => `${TEXT} ${i} `.repeat(30)));
    await attributeExpansions(logits, cache, [{ doc, highlight: late }], 1);
    await busy;
    for (const e of late.expansions) expect(e.attribution).toMatchObject({ status: 'unattributed', reason: expect.stringMatching(/timed out/) });
    expect(cache.size).toBe(1);

    const h = await highlightOf(logits);
    await attributeExpansions(logits, cache, [{ doc, highlight: h }], 30_000);
    for (const e of h.expansions) {
      const a = e.attribution!;
      expect(a.status).toBe('attributed');
      if (a.status !== 'attributed' || a.field === null) continue;
      const value = a.field === 'title' ? TITLE : TEXT;
      expect(value.slice(a.start, a.end)).toBe(a.source.replace(/^##/, ''));
    }
    expect(cache.size).toBe(1);
  });

  it('says unattributed, with the reason, for a user-supplied vector and for a model whose output is pooled', async () => {
    const user = await highlightOf(logits);
    await attributeExpansions(logits, new AttributionCache(), [{ doc: { key: 'u', title: TITLE, text: TEXT, encoderVersion: 'user' }, highlight: user }]);
    for (const e of user.expansions) expect(e.attribution).toMatchObject({ status: 'unattributed', reason: expect.stringMatching(/user-supplied/) });

    const p = await highlightOf(pooled);
    expect(p.expansions.length).toBeGreaterThan(0);
    await attributeExpansions(pooled, new AttributionCache(), [{ doc: { key: 'p', title: TITLE, text: TEXT, encoderVersion: pooled.version }, highlight: p }]);
    for (const e of p.expansions) expect(e.attribution).toMatchObject({ status: 'unattributed', reason: expect.stringMatching(/pooled/) });
  });
});
