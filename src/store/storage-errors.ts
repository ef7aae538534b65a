/**
 * Disk full and read-only disk, from whichever layer met them: SQLite (SQLITE_FULL, SQLITE_READONLY,
 * or an SQLITE_IOERR whose cause the file system tells), Node (ENOSPC, EDQUOT, EROFS) or the native
 * file code (IO_ERROR with the errno). They become DISK_FULL / DISK_READ_ONLY (HTTP 507): the write
 * that met them was not committed, nothing acknowledged before it is lost, and writes succeed again
 * once space (or write access) returns. Anything else passes through unchanged.
 */
import fs from 'node:fs';
import { AppError } from '../errors.js';

const ENOSPC = 28;
const EROFS = 30;
const EDQUOT = 122;

/** `dir`: a directory on the file system written to, probed when SQLite only says "I/O error". */
export function storageError(err: unknown, dir?: string): unknown {
  if (err instanceof AppError && err.code !== 'IO_ERROR') return err;
  const code = (err as { code?: unknown } | null)?.code;
  const errno = err instanceof AppError ? Math.abs(Number(err.extra?.errno)) : undefined;
  const message = err instanceof Error ? err.message : String(err);
  if (code === 'SQLITE_FULL' || code === 'ENOSPC' || code === 'EDQUOT' || errno === ENOSPC || errno === EDQUOT) return full(message, err);
  if (code === 'EROFS' || errno === EROFS || (typeof code === 'string' && code.startsWith('SQLITE_READONLY'))) return readOnly(message, err);
  if (typeof code === 'string' && code.startsWith('SQLITE_IOERR') && dir !== undefined) {
    if (isReadOnly(dir)) return readOnly(message, err);
    if (isFull(dir)) return full(message, err);
  }
  return err;
}

function full(message: string, cause: unknown): AppError {
  return new AppError('DISK_FULL', `the disk is full (${message}); nothing was written, writes succeed again once space is freed`, { cause });
}

function readOnly(message: string, cause: unknown): AppError {
  return new AppError('DISK_READ_ONLY', `the disk is read-only (${message}); nothing was written, writes succeed again once it is writable`, { cause });
}

function isReadOnly(dir: string): boolean {
  try {
    fs.accessSync(dir, fs.constants.W_OK);
    return false;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EROFS';
  }
}

function isFull(dir: string): boolean {
  try {
    return fs.statfsSync(dir).bavail === 0;
  } catch {
    return false;
  }
}
