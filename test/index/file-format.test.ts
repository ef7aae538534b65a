import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AppError } from '../../src/errors.js';
import { buildInvertedIndex, createForwardIndex, loadForwardIndex, loadInvertedIndex } from '../../src/index/native.js';
import { randomRows, shuffledDocnos } from './native-fixtures.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sparrow-file-'));
const fwdFile = path.join(dir, 'good.fwd');
const invFile = path.join(dir, 'good.inv');
let original: Buffer;
let n = 0;

beforeAll(async () => {
  const forward = createForwardIndex(randomRows(51, { rows: 300, vocab: 1000, minLen: 0, maxLen: 30 }), shuffledDocnos(300, 51));
  await forward.save(fwdFile);
  await buildInvertedIndex(forward).save(invFile);
  original = fs.readFileSync(fwdFile);
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

/** Writes damaged bytes to a fresh file and returns the error loading it throws. */
function loadDamaged(bytes: Buffer, load: (file: string) => unknown = loadForwardIndex): unknown {
  const file = path.join(dir, `bad-${n++}.fwd`);
  fs.writeFileSync(file, bytes);
  try {
    load(file);
  } catch (err) {
    return err;
  }
  throw new Error('a damaged file loaded without error');
}

function expectCorrupt(err: unknown, message: RegExp): void {
  expect(err).toBeInstanceOf(AppError);
  expect((err as AppError).code).toBe('INDEX_FILE_CORRUPT');
  expect((err as AppError).message).toMatch(message);
}

describe('index files: damage is a clear INDEX_FILE_CORRUPT error, never a crash', () => {
  it('the intact files load', () => {
    expect(loadForwardIndex(fwdFile).numDocs).toBe(300);
    expect(loadInvertedIndex(invFile).numDocs).toBe(300);
  });

  it.each([0, 10, 63, 64, 100, 0.5, 0.9, 1])('a file truncated to %s (bytes or fraction of its size)', (at) => {
    const size = at <= 1 ? Math.floor(original.length * at) : at;
    const err = loadDamaged(original.subarray(0, size === original.length ? size - 1 : size));
    expectCorrupt(err, /damaged or foreign: (shorter than its header|size \d+ bytes, header says)/);
  });

  it('a file with one byte flipped anywhere (header, params, table, data, padding, last byte)', () => {
    const positions = [9, 30, 70, 100, 200, Math.floor(original.length / 2), original.length - 100, original.length - 1];
    for (const pos of positions) {
      const bytes = Buffer.from(original);
      bytes[pos] ^= 0x10;
      expectCorrupt(loadDamaged(bytes), /damaged or foreign/);
    }
  });

  it('another kind of file (foreign magic)', () => {
    expectCorrupt(loadDamaged(fs.readFileSync(invFile)), /wrong magic/);
    expectCorrupt(loadDamaged(original, loadInvertedIndex), /wrong magic/);
    expectCorrupt(loadDamaged(Buffer.alloc(4096, 7)), /wrong magic/);
  });

  it('another format version (container or file kind)', () => {
    const kind = Buffer.from(original);
    kind.writeUInt32LE(2, 12);
    expectCorrupt(loadDamaged(kind), /format version 2, expected 1/);
    const container = Buffer.from(original);
    container.writeUInt32LE(99, 8);
    expectCorrupt(loadDamaged(container), /container version 99, expected 1/);
  });

  it('an empty file, and a missing one (I/O error naming the path)', () => {
    expectCorrupt(loadDamaged(Buffer.alloc(0)), /shorter than its header/);
    const missing = path.join(dir, 'missing.fwd');
    expect(() => loadForwardIndex(missing)).toThrow(expect.objectContaining({ code: 'IO_ERROR', message: expect.stringContaining(missing) }));
    // An AppError with its own code and status: the HTTP layer answers problem+json 500 IO_ERROR.
    expect(() => loadForwardIndex(missing)).toThrow(AppError);
    expect(() => loadForwardIndex(missing)).toThrow(expect.objectContaining({ status: 500, extra: { errno: expect.any(Number) } }));
  });

  it('saving into a missing directory rejects with IO_ERROR and leaves no temp file', async () => {
    const forward = loadForwardIndex(fwdFile);
    await expect(forward.save(path.join(dir, 'nope', 'x.fwd'))).rejects.toMatchObject({ code: 'IO_ERROR' });
    expect(() => forward.save('')).toThrow(/path must be a non-empty string/);
    expect(fs.readdirSync(dir).filter((f) => f.includes('.tmp'))).toEqual([]);
  });
});
