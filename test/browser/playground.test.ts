/// <reference lib="dom" />
/**
 * The playground in a real headless Chromium (Debian's `chromium`, driven by playwright-core; no
 * browser download) against a real server: a collection from the bundled SciFact sample with
 * declared filter fields, sealed so approximate and exact search differ in kind. Types a query,
 * checks hits and highlight marks, applies a filter, pages, runs axe-core, checks 360 px.
 * Screenshots go to test-output/playground/.
 */
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SAMPLE_DIR } from '../../src/http/sample.js';
import { body, openApp, tempDir, testConfig } from '../http/helpers.js';

const CHROMIUM = '/usr/bin/chromium';
const FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
export const SCREENSHOTS = path.resolve('test-output/playground');
const KEY = 'browser-test-key';
const DOCS = 800;

interface Doc {
  id: string;
  title: string;
  text: string;
  metadata: { year: number; open: boolean };
}
const docs: Doc[] = fs
  .readFileSync(path.join(SAMPLE_DIR, 'corpus.jsonl'), 'utf8')
  .split('\n')
  .filter(Boolean)
  .slice(0, DOCS)
  .map((line, i) => {
    const d = JSON.parse(line) as { _id: string; title: string; text: string };
    return { id: d._id, title: d.title, text: d.text, metadata: { year: 2000 + (i % 20), open: i % 3 === 0 } };
  });
const yearOf = new Map(docs.map((d) => [d.id, d.metadata.year]));

describe('playground in Chromium', () => {
  let app: FastifyInstance;
  let browser: Browser;
  let page: Page;
  let base: string;
  const auth = { authorization: `Bearer ${KEY}` };

  beforeAll(async () => {
    if (!fs.existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: apt-get install -y chromium (.ci/run does)`);
    fs.mkdirSync(SCREENSHOTS, { recursive: true });
    app = await openApp(testConfig(await tempDir(), (c) => (c.server.apiKey = KEY)));
    const created = await app.inject({ method: 'PUT', url: '/v1/collections/papers', headers: auth, payload: { filterable: { year: 'number', open: 'boolean' } } });
    expect(created.statusCode, created.body).toBe(201);
    for (let i = 0; i < docs.length; i += 400) {
      const res = await app.inject({ method: 'POST', url: '/v1/collections/papers/documents', headers: auth, payload: { documents: docs.slice(i, i + 400) } });
      expect(res.statusCode, res.body).toBe(200);
    }
    await app.sparrow.manager.get('papers').flush();
    base = await app.listen({ port: 0, host: '127.0.0.1' });
    browser = await chromium.launch({ executablePath: CHROMIUM, args: FLAGS, headless: true });
    page = await browser.newPage({ viewport: { width: 1280, height: 1000 } });
    page.setDefaultTimeout(15_000);
  }, 90_000);

  afterAll(async () => {
    await browser?.close();
    await app?.close();
  });

  const hitIds = () => page.$$eval('#hits li.hit .meta', (metas) => metas.map((m) => /^id (\S+)/.exec(m.textContent ?? '')?.[1] ?? ''));
  const apiSearch = async (payload: object) => {
    const res = await app.inject({ method: 'POST', url: '/v1/collections/papers/search', headers: auth, payload });
    return body<{ hits: Array<{ id: string }> }>(res).hits.map((h) => h.id);
  };

  it('asks for the key, keeps it for the tab, then searches as you type with highlighted literal and expansion matches', async () => {
    await page.goto(base + '/');
    await page.waitForSelector('#status.error');
    expect(await page.textContent('#status')).toMatch(/API key/);
    await page.fill('#api-key', KEY);
    await page.press('#api-key', 'Enter');
    await page.dispatchEvent('#api-key', 'change');
    await page.waitForSelector('#collection option[value="papers"]', { state: 'attached' });
    expect(await page.evaluate(() => sessionStorage.getItem('sparrow.apiKey'))).toBe(KEY);
    expect(await page.textContent('#stats')).toMatch(/800 documents/);

    await page.click('h1'); // out of the key field: "/" there is a character
    await page.keyboard.press('/');
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('query');
    await page.keyboard.type('cancer cells', { delay: 20 });
    await page.waitForFunction(() => /^Hits 1–/.test(document.getElementById('status')?.textContent ?? ''));
    const ids = await hitIds();
    expect(ids).toEqual(await apiSearch({ query: 'cancer cells', k: 10 }));
    const marks = await page.$$eval('#hits mark.lit', (m) => m.map((x) => x.textContent ?? ''));
    expect(marks.length).toBeGreaterThan(5);
    for (const word of marks) expect(word.toLowerCase()).toMatch(/^(cancer|cell)/);
    expect(await page.$$eval('#query-terms li', (li) => li.map((x) => x.firstChild?.textContent))).toEqual(expect.arrayContaining(['cancer', 'cell']));
    expect(await page.$$eval('#hits .bars li', (li) => li.length)).toBeGreaterThan(0);
    expect(await page.textContent('#overlap')).toMatch(/Exact comparison: \d+ of 10 hits/);
    await page.screenshot({ path: path.join(SCREENSHOTS, 'search.png'), fullPage: false });
  });

  it('applies a filter on a declared field, and pages with the filter kept', async () => {
    await page.fill('#f-year-min', '2015');
    await page.waitForFunction(() => /^Hits 1–/.test(document.getElementById('status')?.textContent ?? '') && document.querySelectorAll('#hits li.hit').length > 0);
    const filter = { field: 'year', range: { gte: 2015 } };
    await expect.poll(hitIds).toEqual(await apiSearch({ query: 'cancer cells', k: 10, filter }));
    for (const id of await hitIds()) expect(yearOf.get(id)).toBeGreaterThanOrEqual(2015);

    await page.click('#next');
    await page.waitForFunction(() => /^Hits 11–/.test(document.getElementById('status')?.textContent ?? ''));
    expect(await page.textContent('#page')).toBe('Page 2');
    expect(await hitIds()).toEqual(await apiSearch({ query: 'cancer cells', k: 10, offset: 10, filter }));
    await page.click('#prev');
    await page.waitForFunction(() => /^Hits 1–/.test(document.getElementById('status')?.textContent ?? ''));
  });

  it("shows a document's top terms on request", async () => {
    await page.click('#hits li.hit button.link');
    await page.waitForSelector('#hits li.hit .doc-terms li');
    expect(await page.$$eval('#hits li.hit:first-child .doc-terms li', (li) => li.length)).toBeGreaterThan(5);
  });

  it('has no serious or critical accessibility violations (axe-core)', async () => {
    const require = createRequire(import.meta.url);
    await page.addScriptTag({ path: require.resolve('axe-core/axe.min.js') });
    const violations = await page.evaluate(async () => {
      const result = await (window as unknown as { axe: { run: () => Promise<{ violations: Array<{ id: string; impact: string; nodes: unknown[] }> }> } }).axe.run();
      return result.violations.map((v) => ({ id: v.id, impact: v.impact, nodes: v.nodes.length }));
    });
    expect(violations.filter((v) => v.impact === 'serious' || v.impact === 'critical')).toEqual([]);
  });

  it('is readable at 360 px: nothing wider than the screen', async () => {
    await page.setViewportSize({ width: 360, height: 800 });
    await page.waitForTimeout(100);
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(360);
    await page.screenshot({ path: path.join(SCREENSHOTS, 'narrow-360.png'), fullPage: false });
  });
});
