import { randomBytes } from 'node:crypto';
import { openAsBlob } from 'node:fs';
import { lstat } from 'node:fs/promises';
import path from 'node:path';
import { errnoCode } from '../errors.js';
import { type CrashPointName, crashPoint, crashPointArmed } from './crash-points.js';
import { durableWriters, type WrittenFile } from './durable-writers.js';
import { removeTemporary } from './leftovers.js';
import { listFolder } from './pool-read.js';

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
 * Like every durable write here, run by a writer thread (`DurableWriters`):
 * one message instead of three thread-pool calls resumed on this thread.
 */
export async function fsyncDir(dir: string): Promise<void> {
  await durableWriters().run({ kind: 'flush', dir });
}

/**
 * Writes `data` to a new file and flushes it (`fsync`) before resolving; fails
 * if the file exists. Resolves with the file's identity as written (inode,
 * size, mtime in nanoseconds), taken from the open descriptor: a rename keeps
 * all three, so a caller knows the file at its final name without another
 * `stat`. On failure the file may be left behind: the caller removes it.
 */
export async function writeFileDurable(file: string, data: string | Uint8Array): Promise<WrittenFile> {
  return (await durableWriters().run({ kind: 'write', file, data })) as WrittenFile;
}

/**
 * Makes each of `dirs` in order (none may exist yet), then flushes each of
 * `flush`: the folders that gained an entry and that no later write flushes.
 */
export async function makeFoldersDurable(dirs: string[], flush: string[]): Promise<void> {
  await durableWriters().run({ kind: 'folders', dirs, flush });
}

/** Renames `from` to `to` and flushes the folder of `to`: the new name survives a crash once this resolves. */
export async function renameDurable(from: string, to: string): Promise<void> {
  await durableWriters().run({ kind: 'rename', from, to });
}

/**
 * Replaces `target` atomically: temporary sibling, flush, rename, flush the
 * directory. A crash leaves either the old or the new content, plus at most a
 * `.tmp` file that the start-up sweep removes. `hooks.beforeRename` names
 * the crash point just before the rename; `hooks.visible` runs right after
 * it, when readers of `target` already see the new content (before the
 * directory is flushed), so a cache of it never lags behind the file.
 * Resolves with the file's identity as written (see `writeFileDurable`).
 */
export async function writeFileAtomic(
  target: string,
  data: string | Uint8Array,
  tmpPath: string = tmpSiblingPath(target),
  hooks: { beforeRename?: CrashPointName; visible?: () => void } = {},
): Promise<WrittenFile> {
  const writers = durableWriters();
  const renamed = hooks.visible ?? (() => {});
  try {
    if (hooks.beforeRename && crashPointArmed(hooks.beforeRename)) {
      // the crash tests count a point's passes in this thread: the job stops there, in two
      const written = (await writers.run({ kind: 'write', file: tmpPath, data })) as WrittenFile;
      crashPoint(hooks.beforeRename);
      await writers.run({ kind: 'rename', from: tmpPath, to: target }, renamed);
      return written;
    }
    return (await writers.run({ kind: 'replace', tmp: tmpPath, target, data }, renamed)) as WrittenFile;
  } catch (error) {
    // gone already once renamed (a failed folder flush): then removing it does nothing
    await removeTemporary(tmpPath);
    throw error;
  }
}
