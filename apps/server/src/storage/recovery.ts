import { readdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { DATE_FOLDER_PATTERN } from '@toa/api/ids';
import type { Import } from '@toa/api/imports';
import { readdirOrEmpty, TMP_SUFFIX } from '../fs/atomic-fs.js';
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

/**
 * Brings every import of a domain folder back to a state its import.json
 * describes: journals are replayed, then temporaries, unlisted documents and
 * unlisted pages (left by a crash before the import.json that would list
 * them) are removed. An import.json that cannot be read is never touched.
 */
export async function sweepDomain(dataRoot: string, domainDir: string, report: SweepReport, options: { dryRun?: boolean } = {}): Promise<void> {
  const remove = async (target: string): Promise<void> => {
    report.removed.push(path.relative(dataRoot, target));
    if (!options.dryRun) await rm(target, { recursive: true, force: true });
  };
  for (const entry of await readdirOrEmpty(domainDir)) {
    if (entry.endsWith(TMP_SUFFIX)) await remove(path.join(domainDir, entry));
    if (entry === LAST_VALUES_FOLDER) await removeTemporaries(path.join(domainDir, entry), remove);
    if (!DATE_FOLDER_PATTERN.test(entry)) continue;
    const dateDir = path.join(domainDir, entry);
    for (const folder of await readdirOrEmpty(dateDir)) {
      const full = path.join(dateDir, folder);
      if (folder.endsWith(TMP_SUFFIX)) await remove(full);
      else if (IMPORT_FOLDER_PATTERN.test(folder))
        await sweepImport(dataRoot, new ImportPaths(full), `${entry}_${folder}`, path.basename(domainDir), report, remove, options);
    }
  }
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
  options: { dryRun?: boolean },
): Promise<void> {
  if (options.dryRun) {
    // until the journal is replayed, its temporaries are the extraction's committed state, not leftovers
    if ((await readdirOrEmpty(paths.dir)).includes(EXTRACT_JOURNAL_FILE)) {
      report.rolledForward.push(path.relative(dataRoot, paths.dir));
      return;
    }
  } else if (await applyJournal(paths)) report.rolledForward.push(path.relative(dataRoot, paths.dir));
  const entries = await readdirOrEmpty(paths.dir);
  for (const entry of entries) {
    if (entry.endsWith(TMP_SUFFIX)) await remove(path.join(paths.dir, entry));
  }
  const found = await inspectImportFile(paths.importFile, id, domain);
  const where = path.relative(dataRoot, paths.dir);
  if (found.state === 'missing') {
    // created but never acknowledged: the crash came before its first import.json
    if (!entries.includes(IMPORT_FILE)) await remove(paths.dir);
    return;
  }
  if (found.state === 'unreadable') {
    report.unreadable.push({ path: where, reason: found.reason });
    return;
  }
  if (found.state === 'misplaced') {
    const { domain: owner, id: named } = found.value;
    report.unreadable.push({ path: where, reason: `import.json names import ${owner}/${named}`, belongsTo: { domain: owner, id: named } });
    return;
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
    for (const file of await readdir(pagesDir).catch(() => [] as string[])) {
      const pageMatch = PAGE_FILE_PATTERN.exec(file) ?? SIDECAR_FILE_PATTERN.exec(file);
      const keep = pageMatch ? pages.has(Number(pageMatch[1])) && (PAGE_FILE_PATTERN.test(file) || pages.get(Number(pageMatch[1]))?.sidecar === file) : false;
      if (!keep) await remove(path.join(pagesDir, file));
    }
  }
}
