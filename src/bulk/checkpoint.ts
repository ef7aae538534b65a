/**
 * The index job's progress file, for sinks that cannot list stored ids (a remote server): every
 * line of `file` up to `line` is stored or was reported. Written atomically (temporary file,
 * fsync, rename) after each acknowledged batch.
 */
import fs from 'node:fs';
import path from 'node:path';
import { AppError } from '../errors.js';

export interface Checkpoint {
  file: string;
  line: number;
}

export function readCheckpoint(checkpointPath: string, file: string): Checkpoint | undefined {
  if (!fs.existsSync(checkpointPath)) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(fs.readFileSync(checkpointPath, 'utf8'));
  } catch {
    throw new AppError('INVALID_CONFIG', `checkpoint ${checkpointPath} is not valid JSON: delete it to start over`);
  }
  const cp = value as Partial<Checkpoint>;
  if (typeof cp?.file !== 'string' || !Number.isInteger(cp.line) || (cp.line as number) < 0) {
    throw new AppError('INVALID_CONFIG', `checkpoint ${checkpointPath} is not a checkpoint of the index job: delete it to start over`);
  }
  if (path.resolve(cp.file) !== path.resolve(file)) {
    throw new AppError('INVALID_CONFIG', `checkpoint ${checkpointPath} belongs to ${cp.file}, not ${file}: pass another --checkpoint or delete it`);
  }
  return cp as Checkpoint;
}

export async function writeCheckpoint(checkpointPath: string, cp: Checkpoint): Promise<void> {
  await writeJsonAtomic(checkpointPath, { file: path.resolve(cp.file), line: cp.line });
}

/** Replace `file` with `value` as JSON, atomically: a temporary file, fsync, rename. */
export async function writeJsonAtomic(file: string, value: unknown): Promise<void> {
  const tmp = `${file}.tmp`;
  const handle = await fs.promises.open(tmp, 'w');
  try {
    await handle.writeFile(JSON.stringify(value));
    await handle.sync();
  } finally {
    await handle.close();
  }
  await fs.promises.rename(tmp, file);
}
