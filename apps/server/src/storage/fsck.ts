import { mkdir, rename, stat } from 'node:fs/promises';
import path from 'node:path';
import { isMessageType } from '@toa/api/imports';
import { isAppError } from '../errors.js';
import { fsyncDir, pathExists } from '../fs/atomic-fs.js';
import { digestFile } from '../fs/digest.js';
import { type DomainStorage, sidecarFits } from './domain-storage.js';
import { readSidecarFile } from './import-files.js';
import { PAGES_FOLDER } from './layout.js';
import { emptySweepReport, sweepDomain, type UnreadableImport } from './recovery.js';

export interface FsckFinding {
  /** relative to the data root */
  path: string;
  problem: string;
  /** what fixes it: what `--repair` does, or what an administrator must do */
  fix: string;
  repaired: boolean;
}

/** A start after a clean stop leaves the pages folders unlisted (ADR 0025): what is in one goes at the next start after a crash only. */
function leftoverFix(relative: string): string {
  return relative.split(path.sep).includes(PAGES_FOLDER)
    ? 'removed by fsck --repair, or at the next start after a crash (a start after a clean stop does not list pages folders)'
    : 'removed by fsck --repair or at the next start';
}

const RESTORE = 'restore the import folder from a backup, or remove it (its id then answers 404)';

/**
 * Checks every import of the given domains against its import.json: leftovers
 * of interrupted writes; every import.json the server would refuse (missing,
 * unreadable, not matching the schema, or naming another import because its
 * folder was restored or moved into the wrong place); pages missing or with
 * the wrong size or hash; stale or missing sidecars. Each finding says what
 * fixes it. With `repair`, does what is safe: the start-up sweep, sidecar
 * rebuilds, and moving a misplaced import to the folder its id names when
 * that folder is free. Damaged pages and unreadable files are only reported.
 */
export async function fsckDomains(dataRoot: string, storages: DomainStorage[], repair: boolean): Promise<FsckFinding[]> {
  const findings: FsckFinding[] = [];
  const byDomain = new Map(storages.map((storage) => [storage.domain, storage]));
  for (const storage of storages) {
    const sweep = emptySweepReport();
    await sweepDomain(dataRoot, storage.dir, sweep, { dryRun: !repair });
    for (const removed of sweep.removed)
      findings.push({ path: removed, problem: 'leftover of an interrupted write', fix: leftoverFix(removed), repaired: repair });
    for (const rolled of sweep.rolledForward)
      findings.push({
        path: rolled,
        problem: 'interrupted extraction',
        fix: 'rolled forward by fsck --repair or at the next start',
        repaired: repair,
      });
    for (const unreadable of sweep.unreadable) {
      findings.push(
        unreadable.belongsTo
          ? await misplaced(dataRoot, unreadable, unreadable.belongsTo, byDomain, repair)
          : { path: unreadable.path, problem: unreadable.reason, fix: RESTORE, repaired: false },
      );
    }
  }
  // after the moves above, so that an import put back is checked in its place
  for (const storage of storages) findings.push(...(await checkPages(dataRoot, storage, repair)));
  return findings;
}

/**
 * A valid import.json in a folder its id does not name: the API cannot find
 * it by its id, and refuses it by the folder's. It belongs where its id says;
 * it is moved there when that folder is free and its domain is configured.
 */
async function misplaced(
  dataRoot: string,
  found: UnreadableImport,
  belongsTo: { domain: string; id: string },
  storages: ReadonlyMap<string, DomainStorage>,
  repair: boolean,
): Promise<FsckFinding> {
  const problem = `${found.reason}, whose folder is elsewhere: it was restored or moved into the wrong folder`;
  const owner = storages.get(belongsTo.domain);
  if (!owner) return { path: found.path, problem, fix: `its domain "${belongsTo.domain}" is not configured: move it by hand, or remove it`, repaired: false };
  const target = owner.paths(belongsTo.id).dir;
  const where = path.relative(dataRoot, target);
  if (await pathExists(target)) {
    return { path: found.path, problem, fix: `${where} is taken: compare the two folders and keep one by hand`, repaired: false };
  }
  if (!repair) return { path: found.path, problem, fix: `fsck --repair moves it to ${where}`, repaired: false };
  await moveFolder(path.join(dataRoot, found.path), target);
  return { path: found.path, problem, fix: `moved to ${where}`, repaired: true };
}

/** Renames an import folder into another date (or domain) folder, creating it; every folder touched is flushed. */
async function moveFolder(from: string, to: string): Promise<void> {
  const dateDir = path.dirname(to);
  if (await mkdir(dateDir, { recursive: true })) await fsyncDir(path.dirname(dateDir));
  await rename(from, to);
  await fsyncDir(dateDir);
  await fsyncDir(path.dirname(from));
}

/** Every listed page against its recorded size and hash, and every EML page's sidecar. */
async function checkPages(dataRoot: string, storage: DomainStorage, repair: boolean): Promise<FsckFinding[]> {
  const findings: FsckFinding[] = [];
  for (const id of await storage.ids()) {
    let current: Awaited<ReturnType<DomainStorage['read']>>;
    try {
      current = await storage.read(id);
    } catch (error) {
      if (isAppError(error)) continue; // reported by the sweep
      throw error;
    }
    const paths = storage.paths(id);
    for (const doc of current.documents) {
      for (const page of doc.pages) {
        const file = paths.pageFile(doc.n, page.m);
        const where = path.relative(dataRoot, file);
        let size: number;
        try {
          size = (await stat(file)).size;
        } catch {
          findings.push({ path: where, problem: 'listed page is missing', fix: RESTORE, repaired: false });
          continue;
        }
        if (size !== page.size) {
          findings.push({ path: where, problem: `size ${size} differs from the recorded ${page.size}`, fix: RESTORE, repaired: false });
          continue;
        }
        if ((await digestFile(file)).sha256 !== page.sha256) {
          findings.push({ path: where, problem: 'sha256 differs from the recorded one', fix: RESTORE, repaired: false });
          continue;
        }
        if (!isMessageType(page.contentType)) continue;
        const sidecarFile = paths.sidecarFile(doc.n, page.m);
        const sidecar = await readSidecarFile(sidecarFile);
        if (sidecarFits(sidecar, page)) continue;
        let repaired = false;
        if (repair) {
          try {
            await storage.sidecar(id, doc.n, page.m, () => {});
            repaired = true;
          } catch {
            // an EML that cannot be parsed keeps no sidecar; reported below
          }
        }
        findings.push({
          path: path.relative(dataRoot, sidecarFile),
          problem: sidecar ? 'sidecar is stale' : 'sidecar is missing or unreadable',
          fix: repaired ? 'rebuilt' : 'rebuilt by fsck --repair, or by the server at the next request for it',
          repaired,
        });
      }
    }
  }
  return findings;
}
