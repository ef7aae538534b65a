/** Corpora for the encode tests: texts long enough (several 30-token chunks of the tiny model)
 * that a batch takes a moment, so that a worker or Redis can be killed mid-run. */
import fs from 'node:fs';
import path from 'node:path';
import { Writable } from 'node:stream';
import { ROOT } from '../cli/helpers.js';

export const TINY_MODEL = path.join(ROOT, 'test/fixtures/tiny-splade');

const WORDS = 'cell cells protein gene cancer patients study results blood risk disease effect treatment human expression search sparse vector index query model token text word'.split(' ');

export function corpusLine(i: number): string {
  const words = Array.from({ length: 40 + (i % 50) }, (_, j) => WORDS[(i * 7 + j * 3 + ((i * j) % 5)) % WORDS.length]);
  return JSON.stringify({ _id: `d${i}`, title: `title ${i}`, text: `${words.join(' ')} n${i}`, metadata: {} });
}

/** `n` documents; `bad` maps a 1-based line number to a raw line put there instead. */
export function writeLongCorpus(file: string, n: number, bad: Record<number, string> = {}): void {
  const lines = Array.from({ length: n }, (_, i) => bad[i + 1] ?? corpusLine(i));
  fs.writeFileSync(file, `${lines.join('\n')}\n`);
}

export interface VectorLine {
  id: string;
  indices: number[];
  values: number[];
}

export function readVectorLines(file: string): VectorLine[] {
  return fs
    .readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as VectorLine);
}

/** A stream that keeps what the command prints. */
export function capture(): Writable & { text: () => string } {
  let text = '';
  const stream = new Writable({
    write(chunk, _enc, done) {
      text += chunk;
      done();
    },
  });
  return Object.assign(stream, { text: () => text });
}

/** Resolves when `read()` matches, polling; rejects after `ms`. */
export async function waitFor(what: string, check: () => boolean, ms = 60_000): Promise<void> {
  for (let waited = 0; waited < ms; waited += 50) {
    if (check()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out waiting for ${what}`);
}

export function lineCount(file: string): number {
  if (!fs.existsSync(file)) return 0;
  const buf = fs.readFileSync(file);
  let n = 0;
  for (const b of buf) if (b === 10) n++;
  return n;
}
