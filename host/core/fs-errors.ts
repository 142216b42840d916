/**
 * File-system failures as one line that names the path and the cause, for
 * every place that writes a session, a report or a submission.
 */
import { accessSync, constants, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

import { TinyBenchError } from '../errors.js';

/** A file or folder could not be read or written. Exit code 74 (sysexits EX_IOERR). */
export class FileSystemError extends TinyBenchError {
  override readonly exitCode = 74;
  constructor(
    readonly path: string,
    readonly code: string | undefined,
    message: string,
  ) {
    super(message);
  }
}

const CAUSES: Record<string, string> = {
  ENOSPC: 'no space left on the device',
  EDQUOT: 'disk quota exceeded',
  EROFS: 'the file system is read-only',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  ENOTDIR: 'a part of the path is a file, not a folder',
  EISDIR: 'it is a folder, not a file',
  ENOENT: 'no such file or folder',
  EEXIST: 'it already exists',
  EMFILE: 'too many open files',
  EIO: 'input/output error from the device',
};

/** `Cannot <action> <path>: <cause> (<CODE>)` for a Node file-system error; other errors pass through. */
export function explainFsError(error: unknown, action: string, path: string): Error {
  if (error instanceof TinyBenchError) return error;
  const code = typeof error === 'object' && error !== null && 'code' in error ? String((error as { code: unknown }).code) : undefined;
  if (!code) return error instanceof Error ? error : new Error(String(error));
  const cause = CAUSES[code] ?? (error instanceof Error ? error.message : code);
  return new FileSystemError(path, code, `Cannot ${action} ${path}: ${cause} (${code})`);
}

/** Runs a synchronous file-system step, turning its failure into a FileSystemError. */
export function fsStep<T>(action: string, path: string, step: () => T): T {
  try {
    return step();
  } catch (error) {
    throw explainFsError(error, action, path);
  }
}

export function writeFileOrExplain(path: string, data: string | Uint8Array): void {
  fsStep('write', path, () => writeFileSync(path, data));
}

/**
 * mkdir -p that says why it failed. Node reports a read-only or unwritable
 * parent of a missing folder as ENOENT; asking the nearest existing ancestor
 * for write access gives the real cause (EROFS, EACCES).
 */
export function makeFolder(path: string, action = 'create'): void {
  try {
    mkdirSync(path, { recursive: true });
  } catch (error) {
    let ancestor = dirname(path);
    while (!existsSync(ancestor) && dirname(ancestor) !== ancestor) ancestor = dirname(ancestor);
    try {
      accessSync(ancestor, constants.W_OK);
    } catch (cause) {
      throw explainFsError(cause, action, path);
    }
    throw explainFsError(error, action, path);
  }
}
