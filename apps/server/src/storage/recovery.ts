import { rm } from 'node:fs/promises';
import path from 'node:path';
import { DATE_FOLDER_PATTERN } from '@toa/api/ids';
import type { Import } from '@toa/api/imports';
import { readdirOrEmpty, TMP_SUFFIX } from '../fs/atomic-fs.js';
import { listFolder } from '../fs/pool-read.js';
import { applyJournal } from './extract-journal.js';
import { inspectImportFile } from './import-files.js';
import {
  DOC_FOLDER_PATTERN,
  EXTRACT_JOURNAL_FILE,
  IMPORT_FILE,
  IMPORT_FOLDER_PATTERN,
  ImportPaths,
  LAST_VALUES_FOLDER,
  PAGE_FILE_PATTERN,
  SIDECAR_FILE_PATTERN,
} from './layout.js';

/** An import folder whose import.json the server will not use; it is never touched by the sweep. */
export interface UnreadableImport {
  /** the import folder, relative to the data root */
  path: string;
  reason: string;
  /** for a valid import.json in the wrong folder: the import it names, whose folder is elsewhere */
  belongsTo?: { domain: string; id: string };
}

/** What the start-up sweep (or `fsck`) found and did. Paths are relative to the data root. */
export interface SweepReport {
  /** extractions rolled forward from their journal (in a dry run: that would be) */
  rolledForward: string[];
  /** leftovers removed (or, in a dry run, that would be) */
  removed: string[];
  /** imports whose import.json cannot be read, or names another import: kept read-only for an operator */
  unreadable: UnreadableImport[];
  /** imports found PENDING */
  pending: Array<{ domain: string; id: string }>;
}

export function emptySweepReport(): SweepReport {
  return { rolledForward: [], removed: [], unreadable: [], pending: [] };
}

/** How many import folders the pass works on at once: enough to keep the file system's thread pool busy while this thread parses. */
const PASS_WIDTH = 32;

/**
 * Brings every import of a domain folder back to a state its import.json
 * describes: journals are replayed, then temporaries, unlisted documents and
 * unlisted pages (left by a crash before the import.json that would list
 * them) are removed. An import.json that cannot be read is never touched.
 */
export async function sweepDomain(dataRoot: string, domainDir: string, report: SweepReport, options: SweepOptions = {}): Promise<void> {
  for await (const _current of sweptImports(dataRoot, domainDir, report, options)) {
    // only the sweep's effects and report are wanted here
  }
}

export interface SweepOptions {
  /** report what would be done, change nothing (fsck without --repair) */
  dryRun?: boolean;
  /** stops the pass between imports (a server closed while it starts): the iteration rejects with the signal's reason */
  signal?: AbortSignal;
}

/**
 * `sweepDomain` as one pass that also hands out what it read: every import
 * of the domain whose import.json is valid and in its own folder, after its
 * sweep, newest first (date folders, then `HHmm-xxxxxxxx`, descending).
 * Imports are swept `PASS_WIDTH` at a time — each import folder is its own,
 * so their sweeps are independent — and handed out in that order, so the
 * listing index is built from the same reads as the sweep.
 */
export async function* sweptImports(dataRoot: string, domainDir: string, report: SweepReport, options: SweepOptions = {}): AsyncIterable<Import> {
  const remove = async (target: string): Promise<void> => {
    report.removed.push(path.relative(dataRoot, target));
    if (!options.dryRun) await rm(target, { recursive: true, force: true });
  };
  const dateFolders: string[] = [];
  for (const entry of (await readdirOrEmpty(domainDir)).sort().reverse()) {
    if (entry.endsWith(TMP_SUFFIX)) await remove(path.join(domainDir, entry));
    if (entry === LAST_VALUES_FOLDER) await removeTemporaries(path.join(domainDir, entry), remove);
    if (DATE_FOLDER_PATTERN.test(entry)) dateFolders.push(entry);
  }
  const importsOfDate = async (date: string): Promise<Array<{ dir: string; id: string }>> => {
    const dateDir = path.join(domainDir, date);
    const found: Array<{ dir: string; id: string }> = [];
    for (const folder of (await readdirOrEmpty(dateDir)).sort().reverse()) {
      const full = path.join(dateDir, folder);
      if (folder.endsWith(TMP_SUFFIX)) await remove(full);
      else if (IMPORT_FOLDER_PATTERN.test(folder)) found.push({ dir: full, id: `${date}_${folder}` });
    }
    return found;
  };
  const folders: Array<{ dir: string; id: string }> = [];
  for await (const found of inOrder(dateFolders, PASS_WIDTH, importsOfDate, options.signal)) folders.push(...found);
  const domain = path.basename(domainDir);
  const sweep = ({ dir, id }: { dir: string; id: string }): Promise<Import | undefined> =>
    sweepImport(dataRoot, new ImportPaths(dir), id, domain, report, remove, options);
  for await (const current of inOrder(folders, PASS_WIDTH, sweep, options.signal)) if (current) yield current;
}

/**
 * `work` of each item, up to `width` at a time, yielded in the items' order.
 * A failure is thrown when its turn comes; after an abort no item is started
 * and the iteration rejects with the signal's reason.
 */
async function* inOrder<T, R>(items: readonly T[], width: number, work: (item: T) => Promise<R>, signal?: AbortSignal): AsyncIterable<R> {
  const running: Array<Promise<R>> = [];
  let next = 0;
  const startNext = (): void => {
    if (next >= items.length || signal?.aborted) return;
    const started = work(items[next++] as T);
    started.catch(() => {}); // rejected while earlier items are awaited: thrown when its turn comes, not reported as unhandled
    running.push(started);
  };
  while (running.length < width && next < items.length) startNext();
  while (running.length > 0) {
    const result = await (running.shift() as Promise<R>);
    signal?.throwIfAborted();
    startNext();
    yield result;
  }
  signal?.throwIfAborted();
}

/** A crash during an atomic write leaves its temporary beside the file it would have replaced. */
async function removeTemporaries(dir: string, remove: (target: string) => Promise<void>): Promise<void> {
  for (const entry of await readdirOrEmpty(dir)) if (entry.endsWith(TMP_SUFFIX)) await remove(path.join(dir, entry));
}

async function sweepImport(
  dataRoot: string,
  paths: ImportPaths,
  id: string,
  domain: string,
  report: SweepReport,
  remove: (target: string) => Promise<void>,
  options: SweepOptions,
): Promise<Import | undefined> {
  let entries = await readdirOrEmpty(paths.dir);
  if (entries.includes(EXTRACT_JOURNAL_FILE)) {
    report.rolledForward.push(path.relative(dataRoot, paths.dir));
    // until the journal is replayed, its temporaries are the extraction's committed state, not leftovers
    if (options.dryRun) return undefined;
    await applyJournal(paths);
    entries = await readdirOrEmpty(paths.dir);
  }
  for (const entry of entries) {
    if (entry.endsWith(TMP_SUFFIX)) await remove(path.join(paths.dir, entry));
  }
  const found = await inspectImportFile(paths.importFile, id, domain);
  if (found.state === 'missing') {
    // created but never acknowledged: the crash came before its first import.json
    if (!entries.includes(IMPORT_FILE)) await remove(paths.dir);
    return undefined;
  }
  if (found.state === 'unreadable') {
    report.unreadable.push({ path: path.relative(dataRoot, paths.dir), reason: found.reason });
    return undefined;
  }
  if (found.state === 'misplaced') {
    const { domain: owner, id: named } = found.value;
    report.unreadable.push({
      path: path.relative(dataRoot, paths.dir),
      reason: `import.json names import ${owner}/${named}`,
      belongsTo: { domain: owner, id: named },
    });
    return undefined;
  }
  const current: Import = found.value;
  if (current.status === 'PENDING') report.pending.push({ domain, id });
  const listed = new Map(current.documents.map((d) => [d.n, d]));
  for (const entry of entries) {
    const docMatch = DOC_FOLDER_PATTERN.exec(entry);
    if (!docMatch) continue;
    const doc = listed.get(Number(docMatch[1]));
    if (!doc) {
      await remove(path.join(paths.dir, entry));
      continue;
    }
    const pagesDir = paths.pagesDir(doc.n);
    const pages = new Map(doc.pages.map((p) => [p.m, p]));
    // a damaged document folder (no pages folder, or a file in its place) is fsck's to report, not the sweep's to fail on
    for (const file of await listFolder(pagesDir).catch(() => [] as string[])) {
      const pageMatch = PAGE_FILE_PATTERN.exec(file) ?? SIDECAR_FILE_PATTERN.exec(file);
      const keep = pageMatch ? pages.has(Number(pageMatch[1])) && (PAGE_FILE_PATTERN.test(file) || pages.get(Number(pageMatch[1]))?.sidecar === file) : false;
      if (!keep) await remove(path.join(pagesDir, file));
    }
  }
  return current;
}
