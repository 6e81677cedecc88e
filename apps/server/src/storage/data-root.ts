import { mkdir, readdir, readFile, rm, unlink } from 'node:fs/promises';
import path from 'node:path';
import type { Logger } from 'pino';
import { AppError, errnoCode, fileProblem, isAppError } from '../errors.js';
import { fsyncDir, TMP_SUFFIX, writeFileAtomic } from '../fs/atomic-fs.js';
import { leftoversNoted } from '../fs/leftovers.js';
import { LAYOUT_VERSION, type Layout } from './layout.js';
import { acquireProcessLock, type ProcessLock } from '../fs/process-lock.js';
import { emptySweepReport, type SweepReport, sweepDomain } from './recovery.js';

export interface LockedDataRoot extends ProcessLock {
  /**
   * The domains whose pages folders the last holder's clean stop vouches for
   * (ADR 0025): it swept them whole and left nothing half-done in them, so
   * the start-up pass need not list their pages folders. Empty after a crash,
   * beside a stale lock, or when no mark was left.
   */
  cleanDomains: ReadonlySet<string>;
}

/** Refuses a data root written by a newer server; marks a new one as layout 1. */
async function checkLayoutVersion(layout: Layout): Promise<void> {
  const file = layout.layoutVersionFile();
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if (errnoCode(error) !== 'ENOENT') throw error;
    await writeFileAtomic(file, `${LAYOUT_VERSION}\n`);
    return;
  }
  const version = Number.parseInt(text.trim(), 10);
  if (!/^\d+$/.test(text.trim())) {
    throw new AppError('UNAVAILABLE', `${file} should hold a layout version number but holds ${JSON.stringify(text.slice(0, 40))}`);
  }
  if (version > LAYOUT_VERSION) {
    throw new AppError('UNAVAILABLE', `the data root has layout version ${version}, written by a newer TOA server; this one understands ${LAYOUT_VERSION}`);
  }
}

/**
 * Takes the data root for this process: creates it, checks the layout
 * version and takes the one-server lock. Nothing else is written before the
 * lock is held. A data root the process cannot create or write is an
 * `UNAVAILABLE` error naming it and the reason, never a raw file error.
 */
export async function lockDataRoot(layout: Layout): Promise<LockedDataRoot> {
  try {
    await mkdir(layout.root, { recursive: true });
    await checkLayoutVersion(layout);
    const lock = await acquireProcessLock(layout.processLockFile());
    try {
      const vouched = await takeCleanStopMark(layout);
      return { ...lock, cleanDomains: new Set(lock.staleOwner === undefined ? vouched : []) };
    } catch (error) {
      await lock.release();
      throw error;
    }
  } catch (error) {
    if (isAppError(error) || errnoCode(error) === undefined) throw error;
    throw new AppError('UNAVAILABLE', `dataRoot ${layout.root} cannot be used: ${fileProblem(error)}; the server's user must be able to create and write it`, {
      cause: error,
    });
  }
}

/**
 * Removes the clean-stop mark, durably, before anything else is written:
 * whatever this holder does next, a crash of it must never look like a clean
 * stop. The domains it vouched for; none when there was no mark, or one that
 * does not read as written. Every holder takes it (the admin commands too);
 * a server's clean stop, or an admin command that ran to its end, writes it
 * (`markCleanStop`).
 */
async function takeCleanStopMark(layout: Layout): Promise<string[]> {
  // a stop cut short while it wrote the mark left its temporary, which no sweep of a domain would find
  const name = path.basename(layout.cleanStopFile());
  for (const entry of await readdir(layout.root))
    if (entry.startsWith(`.${name}.`) && entry.endsWith(TMP_SUFFIX)) await rm(path.join(layout.root, entry), { force: true });
  let text: string;
  try {
    text = await readFile(layout.cleanStopFile(), 'utf8');
    await unlink(layout.cleanStopFile());
  } catch (error) {
    if (errnoCode(error) === 'ENOENT') return [];
    throw error;
  }
  await fsyncDir(layout.root);
  try {
    const { domains } = JSON.parse(text) as { domains?: unknown };
    return Array.isArray(domains) ? domains.filter((domain): domain is string => typeof domain === 'string') : [];
  } catch {
    return [];
  }
}

/**
 * Marks the data root as left cleanly for `domains`, just before the lock is
 * released: the caller drained every change and had swept those domains
 * whole, so no temporary or unlisted file it made is left in their pages
 * folders (ADR 0025). JSON: `stoppedAt` (ISO 8601) and `domains`, for an
 * operator reading it too. Writes nothing, and answers why, when a removal
 * failed in this process (`leftoversNoted`) or no domain is to be vouched for.
 */
export async function markCleanStop(layout: Layout, at: Date, domains: readonly string[]): Promise<string | undefined> {
  if (leftoversNoted()) return 'a file this process made could not be removed';
  if (domains.length === 0) return 'no domain was swept whole';
  await writeFileAtomic(layout.cleanStopFile(), `${JSON.stringify({ stoppedAt: at.toISOString(), domains })}\n`);
  return undefined;
}

/** The domains of `domains` whose sweep found no import it would not read: the pages of such an import were not swept. */
export function sweptWhole(domains: Iterable<string>, sweep: SweepReport): string[] {
  const withUnread = new Set(sweep.unreadable.map((unread) => unread.path.split(path.sep)[0]));
  return [...domains].filter((domain) => !withUnread.has(domain));
}

/**
 * With the lock held: one folder per configured domain, then the sweep that
 * rolls interrupted extractions forward and removes what crashes left behind.
 */
export async function recoverDataRoot(layout: Layout, domains: readonly string[], logger: Logger): Promise<SweepReport> {
  const sweep = emptySweepReport();
  for (const domain of domains) {
    const dir = layout.domainDir(domain);
    await mkdir(dir, { recursive: true });
    await sweepDomain(layout.root, dir, sweep);
  }
  logSweep(sweep, logger);
  return sweep;
}

/** What the sweep did and found, for the administrator: warnings for repairs, an error for each import left read-only. */
export function logSweep(sweep: SweepReport, logger: Logger): void {
  if (sweep.rolledForward.length > 0) logger.warn({ imports: sweep.rolledForward }, 'interrupted extractions rolled forward');
  if (sweep.removed.length > 0) logger.warn({ count: sweep.removed.length, paths: sweep.removed.slice(0, 50) }, 'leftovers of interrupted writes removed');
  for (const { path, reason } of sweep.unreadable)
    logger.error({ import: path, reason }, `${reason}; the import is read-only until repaired (toa-server fsck)`);
}

export interface OpenDataRoot {
  sweep: SweepReport;
  /** takeover guards of the data-root lock a crash left, removed when the lock was taken (paths) */
  removedGuards: string[];
  /** the owner of a stale lock taken over (a server that crashed or was killed), for the command's report */
  staleOwner?: LockedDataRoot['staleOwner'];
  /**
   * Releases the lock. `ranToEnd`: the command finished its work, so the
   * domains it opened, swept whole at opening, are marked clean for the next
   * start (ADR 0025), unless a removal failed or the sweep found an import
   * it would not read.
   */
  release(ranToEnd?: boolean): Promise<void>;
}

/** Lock and recovery in one step (a whole sweep), for the admin commands that need the server stopped. */
export async function openDataRoot(layout: Layout, domains: readonly string[], logger: Logger): Promise<OpenDataRoot> {
  const { release, removedGuards = [], staleOwner } = await lockDataRoot(layout);
  let released = false;
  let sweep: SweepReport | undefined;
  // once only: a second removal of the lock file could remove the lock of the process that took it next
  const close = async (ranToEnd = false): Promise<void> => {
    if (released) return;
    released = true;
    // a mark that cannot be written only costs the next start its shortcut
    if (ranToEnd && sweep) await markCleanStop(layout, new Date(), sweptWhole(domains, sweep)).catch(() => {});
    await release();
  };
  try {
    sweep = await recoverDataRoot(layout, domains, logger);
    return { sweep, removedGuards, ...(staleOwner ? { staleOwner } : {}), release: close };
  } catch (error) {
    await close();
    throw error;
  }
}
