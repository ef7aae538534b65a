/**
 * Durable file steps: write under a temporary name, fsync, rename into place, fsync the directory.
 * Segment files are named by content (sha-256 prefix), so a name always means the same bytes.
 */
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';

export const SEGMENT_EXT = '.seg';
export const TMP_EXT = '.tmp';

export function tempPath(dir: string): string {
  return path.join(dir, `build-${randomBytes(6).toString('hex')}${SEGMENT_EXT}${TMP_EXT}`);
}

export async function fsyncPath(p: string): Promise<void> {
  const fh = await fs.open(p, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/** Large reads: each chunk costs one event-loop turn, and a busy loop (ingest) makes turns slow. */
const HASH_CHUNK_BYTES = 16 * 1024 * 1024;

export async function sha256File(p: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(p, { highWaterMark: HASH_CHUNK_BYTES })) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** fsync `tmp`, rename it to its content name in `dir`, fsync `dir`; returns the file name. */
export async function publishByContent(tmp: string, dir: string): Promise<string> {
  await fsyncPath(tmp);
  const name = (await sha256File(tmp)).slice(0, 32) + SEGMENT_EXT;
  await fs.rename(tmp, path.join(dir, name));
  await fsyncPath(dir);
  return name;
}

/** Deletes every file in `dir` that is not in `keep` (temporary files, segments of no manifest). */
export async function removeOrphans(dir: string, keep: Set<string>): Promise<string[]> {
  const removed: string[] = [];
  for (const name of await fs.readdir(dir)) {
    if (keep.has(name)) continue;
    await fs.rm(path.join(dir, name), { force: true, recursive: true });
    removed.push(name);
  }
  if (removed.length > 0) await fsyncPath(dir);
  return removed;
}

/** Copies a file and fsyncs the copy (hard link when possible: segment files are immutable). */
export async function copyDurable(from: string, to: string): Promise<void> {
  try {
    await fs.link(from, to);
  } catch {
    await fs.copyFile(from, to);
  }
  await fsyncPath(to);
}
