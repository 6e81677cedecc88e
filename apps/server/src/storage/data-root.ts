import { mkdir, readFile } from 'node:fs/promises';
import type { Logger } from 'pino';
import { AppError, errnoCode } from '../errors.js';
import { writeFileAtomic } from './atomic-fs.js';
import { LAYOUT_VERSION, type Layout } from './layout.js';
import { acquireProcessLock } from './process-lock.js';
import { emptySweepReport, type SweepReport, sweepDomain } from './recovery.js';

export interface OpenDataRoot {
  sweep: SweepReport;
  release(): Promise<void>;
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
 * Takes the data root for this process: layout version, the one-server lock,
 * one folder per configured domain, then the sweep that rolls interrupted
 * extractions forward and removes what crashes left behind.
 */
export async function openDataRoot(layout: Layout, domains: readonly string[], logger: Logger): Promise<OpenDataRoot> {
  await mkdir(layout.root, { recursive: true });
  await checkLayoutVersion(layout);
  const release = await acquireProcessLock(layout.processLockFile());
  try {
    const sweep = emptySweepReport();
    for (const domain of domains) {
      const dir = layout.domainDir(domain);
      await mkdir(dir, { recursive: true });
      await sweepDomain(layout.root, dir, sweep);
    }
    if (sweep.rolledForward.length > 0) logger.warn({ imports: sweep.rolledForward }, 'interrupted extractions rolled forward');
    if (sweep.removed.length > 0) logger.warn({ count: sweep.removed.length, paths: sweep.removed.slice(0, 50) }, 'leftovers of interrupted writes removed');
    for (const dir of sweep.unreadable) logger.error({ import: dir }, 'import.json cannot be read; the import is read-only until repaired (toa-server fsck)');
    return { sweep, release };
  } catch (error) {
    await release();
    throw error;
  }
}
