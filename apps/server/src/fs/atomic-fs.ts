import { randomBytes } from 'node:crypto';
import { type BigIntStats, close, fstatSync, fsync, open as openCallback, openAsBlob } from 'node:fs';
import { lstat, rename } from 'node:fs/promises';
import path from 'node:path';
import { errnoCode } from '../errors.js';
import { type CrashPointName, crashPoint } from './crash-points.js';
import { removeTemporary } from './leftovers.js';
import { closeDescriptor, openNewFile } from './new-file.js';
import { listFolder } from './pool-read.js';
import { writeAll } from './write-all.js';

/** Suffix of every temporary file the server writes; the start-up sweep removes them. */
export const TMP_SUFFIX = '.tmp';

/** A unique temporary sibling of `target`, ending in `.tmp`, hidden from `ls`. */
export function tmpSiblingPath(target: string): string {
  return path.join(path.dirname(target), `.${path.basename(target)}.${randomBytes(6).toString('hex')}${TMP_SUFFIX}`);
}

/** Whether anything is at `file` (a link counts, even to nothing); errors other than ENOENT are raised. */
export async function pathExists(file: string): Promise<boolean> {
  try {
    await lstat(file);
    return true;
  } catch (error) {
    if (errnoCode(error) === 'ENOENT') return false;
    throw error;
  }
}

/**
 * A file as a Blob read lazily from disk (node:fs `openAsBlob`): the size is
 * known now, the bytes are read when the Blob is consumed. Rejects with an
 * ENOENT error when nothing is at `file` (Node 20 itself reports that as
 * ERR_INVALID_ARG_VALUE).
 */
export async function openFileAsBlob(file: string, options?: { type?: string }): Promise<Blob> {
  try {
    return await openAsBlob(file, options);
  } catch (error) {
    if (!(await pathExists(file))) throw Object.assign(new Error(`ENOENT: no such file, open '${file}'`), { code: 'ENOENT', cause: error });
    throw error;
  }
}

/** The names in a directory, or none when it does not exist; other errors are raised. */
export async function readdirOrEmpty(dir: string): Promise<string[]> {
  try {
    return await listFolder(dir);
  } catch (error) {
    if (errnoCode(error) === 'ENOENT') return [];
    throw error;
  }
}

/**
 * Flushes a directory so that renames and creations inside it survive a crash.
 * The callback API rather than a FileHandle: the write paths call this several
 * times a request, and a handle's bookkeeping costs more than the three calls.
 */
export function fsyncDir(dir: string): Promise<void> {
  return new Promise((resolve, reject) => {
    openCallback(dir, 'r', (openError, fd) => {
      if (openError) {
        reject(openError);
        return;
      }
      fsync(fd, (syncError) => close(fd, (closeError) => ((syncError ?? closeError) ? reject(syncError ?? closeError) : resolve())));
    });
  });
}

/**
 * Writes `data` to a new file and flushes it (`fsync`) before resolving; fails
 * if the file exists. Resolves with the file's stat(2) as written (inode,
 * size, mtime in nanoseconds), taken from the open descriptor: a rename keeps
 * all three, so a caller knows the file at its final name without another
 * `stat`. On failure the file may be left behind: the caller removes it.
 */
export async function writeFileDurable(file: string, data: string | Uint8Array): Promise<BigIntStats> {
  const fd = await openNewFile(file);
  let written: BigIntStats;
  try {
    await writeAll(fd, typeof data === 'string' ? Buffer.from(data) : data);
    await new Promise<void>((resolve, reject) => fsync(fd, (error) => (error ? reject(error) : resolve())));
    written = fstatSync(fd, { bigint: true });
  } catch (error) {
    await closeDescriptor(fd).catch(() => {});
    throw error;
  }
  await closeDescriptor(fd);
  return written;
}

/**
 * Replaces `target` atomically: temporary sibling, flush, rename, flush the
 * directory. A crash leaves either the old or the new content, plus at most a
 * `.tmp` file that the start-up sweep removes. `hooks.beforeRename` names
 * the crash point just before the rename; `hooks.visible` runs right after
 * it, when readers of `target` already see the new content (before the
 * directory is flushed), so a cache of it never lags behind the file.
 * Resolves with the file's stat(2) as written (see `writeFileDurable`).
 */
export async function writeFileAtomic(
  target: string,
  data: string | Uint8Array,
  tmpPath: string = tmpSiblingPath(target),
  hooks: { beforeRename?: CrashPointName; visible?: () => void } = {},
): Promise<BigIntStats> {
  let written: BigIntStats;
  try {
    written = await writeFileDurable(tmpPath, data);
    if (hooks.beforeRename) crashPoint(hooks.beforeRename);
    await rename(tmpPath, target);
  } catch (error) {
    await removeTemporary(tmpPath);
    throw error;
  }
  hooks.visible?.();
  await fsyncDir(path.dirname(target));
  return written;
}
