import { readFile, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { errnoCode } from '../errors.js';
import { fsyncDir, pathExists, writeFileAtomic } from '../fs/atomic-fs.js';
import { crashPoint } from '../fs/crash-points.js';
import type { ImportPaths } from './layout.js';

/**
 * The commit point of an extraction: the list of renames that turn prepared
 * temporaries into the new state. Paths are kept relative to the import
 * folder, and every entry must stay inside it.
 */
const journalSchema = z.object({
  renames: z.array(z.tuple([z.string(), z.string()])).min(1),
});

function relativeInside(dir: string, target: string): string {
  const relative = path.relative(dir, target);
  if (relative.startsWith('..') || path.isAbsolute(relative)) throw new Error(`journal path ${target} is outside ${dir}`);
  return relative;
}

export async function writeJournal(paths: ImportPaths, renames: Array<[string, string]>): Promise<void> {
  const entries = renames.map(([from, to]) => [relativeInside(paths.dir, from), relativeInside(paths.dir, to)]);
  await writeFileAtomic(paths.journalFile, `${JSON.stringify({ renames: entries }, null, 2)}\n`);
}

/**
 * Replays a journal: each rename whose source still exists is done (in order),
 * one whose source is gone was done before the crash. Idempotent, so it is
 * safe to run again after a crash inside it. Returns false when there is no
 * journal.
 */
export async function applyJournal(paths: ImportPaths): Promise<boolean> {
  let text: string;
  try {
    text = await readFile(paths.journalFile, 'utf8');
  } catch (error) {
    if (errnoCode(error) === 'ENOENT') return false;
    throw error;
  }
  const journal = journalSchema.parse(JSON.parse(text));
  const touched = new Set<string>();
  for (const [fromRelative, toRelative] of journal.renames) {
    const from = path.resolve(paths.dir, fromRelative);
    const to = path.resolve(paths.dir, toRelative);
    relativeInside(paths.dir, from);
    relativeInside(paths.dir, to);
    if (!(await pathExists(from))) continue;
    crashPoint('extract.before-journal-rename');
    await rename(from, to);
    touched.add(path.dirname(to));
  }
  for (const dir of touched) await fsyncDir(dir);
  await rm(paths.journalFile, { force: true });
  await fsyncDir(paths.dir);
  return true;
}
