import { lstatSync, readdirSync, readFileSync } from 'node:fs';
import { lstat } from 'node:fs/promises';
import path from 'node:path';
import { parentPort } from 'node:worker_threads';
import { errnoCode } from '../errors.js';
import { listFolder, readText } from '../fs/pool-read.js';
import type { FolderJob, FolderRead, ImportRead } from './folder-reader.js';
import { importFileVerdict, unreadState } from './import-files.js';
import { DOC_FOLDER_PATTERN, IMPORT_FILE, IMPORT_FOLDER_PATTERN, PAGES_FOLDER } from './layout.js';

/**
 * The entry of a folder reader thread (started by `FolderReaders`): reads
 * what the start-up pass looks at, with synchronous calls — on this thread
 * they cost no hand-over to the thread pool and no promise, and the main
 * thread only receives the result, its import.json already parsed and
 * validated. Reads only: every change is the main thread's. Imported by the
 * main thread too (no `parentPort` there), to read a small domain inline
 * with the thread pool's calls: the main thread never blocks on a file.
 */

/** The file system calls a read makes. */
export interface FolderIo {
  list(dir: string): string[] | Promise<string[]>;
  text(file: string): string | Promise<string>;
  isLink(file: string): boolean | Promise<boolean>;
}

/** On a reader thread: synchronous calls. */
const threadIo: FolderIo = {
  list: (dir) => readdirSync(dir),
  text: (file) => readFileSync(file, 'utf8'),
  isLink: (file) => {
    try {
      return lstatSync(file).isSymbolicLink();
    } catch {
      return false;
    }
  },
};

/** On the main thread: the thread pool's calls (fs/pool-read.ts). */
export const inlineIo: FolderIo = {
  list: listFolder,
  text: readText,
  isLink: (file) =>
    lstat(file).then(
      (stats) => stats.isSymbolicLink(),
      () => false,
    ),
};

async function namesIn(dir: string, io: FolderIo): Promise<string[]> {
  try {
    return await io.list(dir);
  } catch (error) {
    if (errnoCode(error) === 'ENOENT') return [];
    throw error;
  }
}

async function readImport(dir: string, id: string, domain: string, io: FolderIo, listPages: boolean): Promise<ImportRead> {
  const entries = await namesIn(dir, io);
  const file = path.join(dir, IMPORT_FILE);
  let found: ImportRead['found'];
  try {
    found = importFileVerdict(await io.text(file), id, domain);
  } catch (error) {
    found = unreadState(error, errnoCode(error) === 'ENOENT' && (await io.isLink(file)));
  }
  const pages: Record<string, string[]> = {};
  if (!listPages) return { folder: path.basename(dir), entries, found, pages };
  for (const entry of entries) {
    if (!DOC_FOLDER_PATTERN.test(entry)) continue;
    try {
      pages[entry] = await io.list(path.join(dir, entry, PAGES_FOLDER));
    } catch {
      // a damaged document folder (no pages folder, or a file in its place) is fsck's to report, not the sweep's to fail on
      pages[entry] = [];
    }
  }
  return { folder: path.basename(dir), entries, found, pages };
}

/** What `job` asks for, read with `io`: on a reader thread, or inline for a small domain. */
export async function readFolders(job: FolderJob, io: FolderIo): Promise<FolderRead> {
  if (job.kind === 'import') return { entries: [], imports: [await readImport(job.dir, job.id, job.domain, io, true)] };
  const entries = (await namesIn(job.dir, io)).sort().reverse();
  const imports: ImportRead[] = [];
  for (const folder of entries) {
    if (IMPORT_FOLDER_PATTERN.test(folder)) imports.push(await readImport(path.join(job.dir, folder), `${job.date}_${folder}`, job.domain, io, job.pages));
  }
  return { entries, imports };
}

parentPort?.on('message', ({ id, job }: { id: number; job: FolderJob }) => {
  readFolders(job, threadIo).then(
    (read) => parentPort?.postMessage({ id, read }),
    (error: unknown) => parentPort?.postMessage({ id, error: { message: (error as Error).message, code: errnoCode(error) } }),
  );
});
