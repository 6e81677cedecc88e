import { randomBytes } from 'node:crypto';
import { lstat, open, readdir, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { errnoCode } from '../errors.js';
import { type CrashPointName, crashPoint } from './crash-points.js';

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

/** The names in a directory, or none when it does not exist; other errors are raised. */
export async function readdirOrEmpty(dir: string): Promise<string[]> {
  try {
    return await readdir(dir);
  } catch (error) {
    if (errnoCode(error) === 'ENOENT') return [];
    throw error;
  }
}

/** Flushes a directory so that renames and creations inside it survive a crash. */
export async function fsyncDir(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** Writes `data` to a new file and flushes it; fails if the file exists. */
export async function writeFileDurable(file: string, data: string | Uint8Array): Promise<void> {
  const handle = await open(file, 'wx');
  try {
    await handle.writeFile(data);
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/**
 * Replaces `target` atomically: temporary sibling, flush, rename, flush the
 * directory. A crash leaves either the old or the new content, plus at most a
 * `.tmp` file that the start-up sweep removes.
 */
export async function writeFileAtomic(
  target: string,
  data: string | Uint8Array,
  tmpPath: string = tmpSiblingPath(target),
  beforeRename?: CrashPointName,
): Promise<void> {
  try {
    await writeFileDurable(tmpPath, data);
    if (beforeRename) crashPoint(beforeRename);
    await rename(tmpPath, target);
  } catch (error) {
    await rm(tmpPath, { force: true });
    throw error;
  }
  await fsyncDir(path.dirname(target));
}
