import { rm } from 'node:fs/promises';
import path from 'node:path';
import { DATE_FOLDER_PATTERN } from '@toa/api/ids';
import type { Import } from '@toa/api/imports';
import { readdirOrEmpty, TMP_SUFFIX } from '../fs/atomic-fs.js';
import { applyJournal } from './extract-journal.js';
import { type FolderReading, folderReaders, type ImportRead } from './folder-reader.js';
import { DOC_FOLDER_PATTERN, EXTRACT_JOURNAL_FILE, IMPORT_FILE, ImportPaths, LAST_VALUES_FOLDER, PAGE_FILE_PATTERN, SIDECAR_FILE_PATTERN } from './layout.js';

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

/** Date folders read ahead of the one being swept: enough to keep every folder reader busy. */
const READ_AHEAD = 8;

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
  /**
   * false: the pages folders are not listed, so what they hold is kept (after
   * a clean stop, when they hold nothing to remove; ADR 0025). The import
   * folders are still read whole: journals replayed, temporaries and unlisted
   * documents removed. An import whose journal is replayed is read whole.
   */
  listPages?: boolean;
}

/**
 * `sweepDomain` as one pass that also hands out what it read: every import
 * of the domain whose import.json is valid and in its own folder, after its
 * sweep, newest first (date folders, then `HHmm-xxxxxxxx`, descending), so
 * the listing index is built from the same reads as the sweep. The folders
 * are read by `folderReaders` (worker threads, for a large domain; ADR 23),
 * `READ_AHEAD` date folders ahead of the sweep; this thread decides and
 * makes every change, one import at a time — nothing to change is the
 * common case.
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
  const domain = path.basename(domainDir);
  const readers = folderReaders(dateFolders.length);
  try {
    const readDate = (date: string) => readers.readDate(path.join(domainDir, date), date, domain, options.listPages ?? true);
    for await (const [date, read] of inOrder(dateFolders, READ_AHEAD, async (date) => [date, await readDate(date)] as const, options.signal)) {
      const dateDir = path.join(domainDir, date);
      for (const entry of read.entries) if (entry.endsWith(TMP_SUFFIX)) await remove(path.join(dateDir, entry));
      for (const folder of read.imports) {
        options.signal?.throwIfAborted();
        const paths = new ImportPaths(path.join(dateDir, folder.folder));
        const current = await sweepImport(dataRoot, paths, `${date}_${folder.folder}`, domain, folder, { report, remove, readers, options });
        if (current) yield current;
      }
    }
  } finally {
    readers.release();
  }
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

/** What sweeping one import needs besides the import: where it reports, how it removes, who reads again. */
interface SweepContext {
  report: SweepReport;
  remove: (target: string) => Promise<void>;
  readers: FolderReading;
  options: SweepOptions;
}

async function sweepImport(
  dataRoot: string,
  paths: ImportPaths,
  id: string,
  domain: string,
  read: ImportRead,
  context: SweepContext,
): Promise<Import | undefined> {
  const { report, remove, options } = context;
  if (read.entries.includes(EXTRACT_JOURNAL_FILE)) {
    report.rolledForward.push(path.relative(dataRoot, paths.dir));
    // until the journal is replayed, its temporaries are the extraction's committed state, not leftovers
    if (options.dryRun) return undefined;
    await applyJournal(paths);
    read = await context.readers.readImport(paths.dir, id, domain);
  }
  const { entries, found } = read;
  for (const entry of entries) {
    if (entry.endsWith(TMP_SUFFIX)) await remove(path.join(paths.dir, entry));
  }
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
    for (const file of read.pages[entry] ?? []) {
      const pageMatch = PAGE_FILE_PATTERN.exec(file) ?? SIDECAR_FILE_PATTERN.exec(file);
      const keep = pageMatch ? pages.has(Number(pageMatch[1])) && (PAGE_FILE_PATTERN.test(file) || pages.get(Number(pageMatch[1]))?.sidecar === file) : false;
      if (!keep) await remove(path.join(pagesDir, file));
    }
  }
  return current;
}
