import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AppError } from '../../src/errors.js';
import { getAnalyzer } from '../../src/encoder/analyzer.js';
import { encodeLexicalDocument } from '../../src/encoder/lexical-document.js';
import { SpladeDocumentEncoder } from '../../src/encoder/splade.js';
import { EncoderPool } from '../../src/workers/pool.js';
import type { EncoderSpec } from '../../src/workers/protocol.js';

const FIXTURE = path.resolve('test/fixtures/tiny-splade');
const SPLADE: EncoderSpec = { kind: 'splade', modelDir: FIXTURE, intraOpThreads: 1 };
const LEXICAL: EncoderSpec = { kind: 'lexical', analyzer: 'porter2' };
const TEXTS = ['The protein expression of cancer cells.', '', 'sparse search over a text index', 'Blood risk and the human gene: study results!'];

describe('encoder pool with two workers', () => {
  let pool: EncoderPool;
  beforeAll(() => {
    pool = new EncoderPool({ encoderWorkers: 2, encoderQueue: 64 });
  });
  afterAll(async () => {
    await pool.close();
  });

  it('gives the same SPLADE vectors in a worker as in the main thread', async () => {
    const local = await SpladeDocumentEncoder.open(FIXTURE);
    try {
      const expected = await local.encode(TEXTS);
      const actual = await pool.run(SPLADE, TEXTS);
      expect(actual).toHaveLength(TEXTS.length);
      actual.forEach((doc, i) => {
        expect(doc.vector.indices).toBeInstanceOf(Uint32Array);
        expect(doc.vector.values).toBeInstanceOf(Float32Array);
        expect([...doc.vector.indices]).toEqual([...expected[i].vector.indices]);
        expect([...doc.vector.values]).toEqual([...expected[i].vector.values]);
        expect(doc.length).toBe(expected[i].length);
      });
    } finally {
      await local.close();
    }
  });

  it('gives the same lexical documents (tokens included) as inline, and uses both workers', async () => {
    const texts = Array.from({ length: 200 }, (_, i) => `${TEXTS[i % TEXTS.length]} doc ${i} runs running`);
    const analyzer = getAnalyzer('porter2');
    const [a, b] = await Promise.all([pool.runAll(LEXICAL, texts, 20), pool.runAll(LEXICAL, texts, 20)]);
    expect(pool.threads).toBe(2);
    for (const docs of [a, b]) {
      docs.forEach((doc, i) => {
        const inline = encodeLexicalDocument(analyzer, texts[i]);
        expect([...doc.vector.indices]).toEqual([...inline.vector.indices]);
        expect([...doc.vector.values]).toEqual([...inline.vector.values]);
        expect(doc.tokens).toEqual(inline.tokens);
        expect(doc.length).toBe(inline.length);
      });
    }
  });

  it('brings a worker error back with its stable code', async () => {
    const bad: EncoderSpec = { kind: 'splade', modelDir: path.join(os.tmpdir(), 'sparrow-no-such-model'), intraOpThreads: 1 };
    await expect(pool.run(bad, ['x'])).rejects.toMatchObject({ code: 'MODEL_LOAD_FAILED', message: expect.stringMatching(/model directory does not exist/) });
    // the pool still works afterwards
    expect((await pool.run(LEXICAL, ['still fine']))[0].length).toBe(2);
  });
});

describe('back-pressure and close', () => {
  it('answers OVERLOADED with a retry delay when the queue is full, and encodes the rest', async () => {
    const pool = new EncoderPool({ encoderWorkers: 2, encoderQueue: 2 });
    try {
      const big = ['cancer cells '.repeat(20_000)];
      const results = await Promise.allSettled(Array.from({ length: 12 }, () => pool.run(LEXICAL, big)));
      const rejected = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
      const fulfilled = results.filter((r) => r.status === 'fulfilled');
      expect(rejected.length).toBeGreaterThan(0);
      expect(fulfilled.length).toBeGreaterThanOrEqual(2);
      for (const r of rejected) {
        expect(r.reason).toBeInstanceOf(AppError);
        expect(r.reason).toMatchObject({ code: 'OVERLOADED', status: 503, retryAfter: 1 });
      }
      // with the queue full, a whole batch is refused up front rather than in part
      const busy = Array.from({ length: 4 }, () => pool.run(LEXICAL, big));
      expect(pool.queueSize).toBe(2);
      await expect(pool.runAll(LEXICAL, Array.from({ length: 10 }, () => 'x'), 1)).rejects.toMatchObject({ code: 'OVERLOADED' });
      await Promise.all(busy);
      // on a free pool one large call is accepted: its tasks grow to fit the queue
      const many = await pool.runAll(LEXICAL, Array.from({ length: 100 }, (_, i) => `doc ${i}`), 1);
      expect(many.map((d) => d.length)).toEqual(Array.from({ length: 100 }, () => 2));
    } finally {
      await pool.close();
    }
  });

  it('closes cleanly and refuses work afterwards', async () => {
    const pool = new EncoderPool({ encoderWorkers: 2, encoderQueue: 8 });
    const pending = pool.run(LEXICAL, ['finish me']);
    await pool.close();
    expect((await pending)[0].tokens?.sort()).toEqual(['finish', 'me']);
    await expect(pool.run(LEXICAL, ['late'])).rejects.toMatchObject({ code: 'SHUTTING_DOWN' });
    await pool.close();
  });

  it('recycles idle workers and starts fresh ones (with their sessions) on demand', async () => {
    const pool = new EncoderPool({ encoderWorkers: 2, encoderQueue: 8 }, 200);
    try {
      const first = await pool.run(SPLADE, ['cancer cells']);
      expect(pool.threads).toBeGreaterThan(0);
      for (let waited = 0; pool.threads > 0 && waited < 10_000; waited += 100) await new Promise((resolve) => setTimeout(resolve, 100));
      expect(pool.threads).toBe(0);
      const again = await pool.run(SPLADE, ['cancer cells']);
      expect([...again[0].vector.values]).toEqual([...first[0].vector.values]);
    } finally {
      await pool.close();
    }
  });

  it('refuses a bad CPU budget naming the setting', () => {
    expect(() => new EncoderPool({ encoderWorkers: 0, encoderQueue: 8 })).toThrow(/cpu\.encoderWorkers/);
    expect(() => new EncoderPool({ encoderWorkers: 1, encoderQueue: -1 })).toThrow(/cpu\.encoderQueue/);
  });
});

describe('worker entry from dist', () => {
  it('runs compiled to JavaScript, as after npm run build:ts (worker entry and bundled assets)', () => {
    const out = fs.mkdtempSync(path.join(os.tmpdir(), 'sparrow-dist-'));
    try {
      const config = { extends: path.resolve('tsconfig.json'), compilerOptions: { typeRoots: [path.resolve('node_modules/@types')], rootDir: path.resolve('src'), outDir: path.join(out, 'dist'), noEmit: false, sourceMap: false }, files: [path.resolve('src/workers/pool.ts'), path.resolve('src/workers/encode-worker.ts'), path.resolve('src/encoder/tokenizer-files.ts')], include: [] };
      fs.writeFileSync(path.join(out, 'tsconfig.json'), JSON.stringify(config));
      fs.writeFileSync(path.join(out, 'package.json'), JSON.stringify({ type: 'module' }));
      fs.symlinkSync(path.resolve('node_modules'), path.join(out, 'node_modules'));
      // assets are read from <package root>/src/encoder/assets in the dist layout too
      fs.symlinkSync(path.resolve('src'), path.join(out, 'src'));
      execFileSync(process.execPath, [path.resolve('node_modules/typescript/bin/tsc'), '-p', path.join(out, 'tsconfig.json')], { stdio: 'pipe' });
      const script = `import { EncoderPool } from ${JSON.stringify(path.join(out, 'dist/workers/pool.js'))};
        import { bundledTokenizer } from ${JSON.stringify(path.join(out, 'dist/encoder/tokenizer-files.js'))};
        const ids = bundledTokenizer().encode('hello world');
        const pool = new EncoderPool({ encoderWorkers: 2, encoderQueue: 8 });
        const [lex] = await pool.run({ kind: 'lexical', analyzer: 'porter2' }, ['running dogs']);
        const [spl] = await pool.run({ kind: 'splade', modelDir: ${JSON.stringify(FIXTURE)}, intraOpThreads: 1 }, ['cancer cells']);
        await pool.close();
        console.log(JSON.stringify({ ids, tokens: lex.tokens, splade: spl.vector.indices.length }));`;
      const stdout = execFileSync(process.execPath, ['--input-type=module', '-e', script], { cwd: out, encoding: 'utf8' });
      const result = JSON.parse(stdout) as { ids: number[]; tokens: string[]; splade: number };
      expect(result.ids).toEqual([7592, 2088]);
      expect(result.tokens.sort()).toEqual(['dog', 'run']);
      expect(result.splade).toBeGreaterThan(0);
    } finally {
      fs.rmSync(out, { recursive: true, force: true });
    }
  });
});
