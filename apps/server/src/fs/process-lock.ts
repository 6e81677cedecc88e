import { hostname } from 'node:os';
import { readFile, rm } from 'node:fs/promises';
import { AppError, errnoCode } from '../errors.js';
import { writeFileDurable } from './atomic-fs.js';

export interface LockOwner {
  pid: number;
  host: string;
  startedAt: string;
}

export interface ProcessLock {
  release(): Promise<void>;
  /** the owner of a stale lock this process took over (a crash or kill -9 before), for the log */
  staleOwner?: LockOwner | { unreadable: true };
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return errnoCode(error) === 'EPERM';
  }
}

/**
 * A lock naming this very process, taken before this process started: a
 * container restarted after a kill gets the same host name and the same small
 * pid (often 1), and would otherwise wait forever for itself.
 */
function earlierLife(owner: LockOwner): boolean {
  const startedMs = Date.now() - process.uptime() * 1000;
  return owner.pid === process.pid && Date.parse(owner.startedAt) < startedMs;
}

/**
 * One server per data root. The lock file names the owning process; a lock
 * whose process is gone (a crash, kill -9) is taken over at once, so a crash
 * never delays the restart. The liveness check only works on one host, which
 * is why the host is recorded: a lock from another host is never taken over.
 */
export async function acquireProcessLock(file: string): Promise<ProcessLock> {
  const me: LockOwner = { pid: process.pid, host: hostname(), startedAt: new Date().toISOString() };
  let staleOwner: ProcessLock['staleOwner'];
  for (let attempt = 0; attempt < 3; attempt += 1) {
    try {
      await writeFileDurable(file, `${JSON.stringify(me)}\n`);
      const release = async (): Promise<void> => {
        await rm(file, { force: true });
      };
      return staleOwner ? { release, staleOwner } : { release };
    } catch (error) {
      if (errnoCode(error) !== 'EEXIST') throw error;
    }
    const owner = await readOwner(file);
    if (owner && owner.host !== me.host) {
      // a pid means nothing on another host: only its operator knows whether that server is gone
      throw new AppError(
        'UNAVAILABLE',
        `the data root is locked by a TOA server on another host, ${owner.host} (pid ${owner.pid} there, started ${owner.startedAt}); this host (${me.host}) cannot tell whether it still runs: stop it on ${owner.host}, and remove ${file} only once it is certainly gone`,
      );
    }
    if (owner && isAlive(owner.pid) && !earlierLife(owner)) {
      throw new AppError(
        'UNAVAILABLE',
        `another TOA server (pid ${owner.pid} on ${owner.host}, started ${owner.startedAt}) uses this data root; stop it first, or remove ${file} if it is certainly gone`,
      );
    }
    staleOwner = owner ?? { unreadable: true };
    await rm(file, { force: true });
  }
  throw new AppError('UNAVAILABLE', `could not take the data root lock ${file}`);
}

async function readOwner(file: string): Promise<LockOwner | undefined> {
  try {
    const parsed = JSON.parse(await readFile(file, 'utf8')) as Partial<LockOwner>;
    if (typeof parsed.pid === 'number' && typeof parsed.host === 'string') {
      return { pid: parsed.pid, host: parsed.host, startedAt: String(parsed.startedAt) };
    }
  } catch {
    // an empty or torn lock file comes from a crash while writing it: stale
  }
  return undefined;
}

/**
 * The server holding the data-root lock in `file`, if one may be running: a
 * live process on this host, or any holder on another host (which this host
 * cannot check). `undefined` when the lock is free or stale.
 */
export async function runningLockOwner(file: string): Promise<LockOwner | undefined> {
  const owner = await readOwner(file);
  if (!owner) return undefined;
  return owner.host !== hostname() || isAlive(owner.pid) ? owner : undefined;
}

export type ServerSignal = { sent: true; owner: LockOwner } | { sent: false; reason: 'none' | 'other-host' | 'not-permitted'; owner?: LockOwner };

/**
 * Sends `signal` to the server holding the data-root lock in `file`, when one
 * runs on this host (`toa-server templates refresh` → SIGHUP).
 */
export async function signalLockOwner(file: string, signal: NodeJS.Signals): Promise<ServerSignal> {
  const owner = await readOwner(file);
  if (!owner) return { sent: false, reason: 'none' };
  if (owner.host !== hostname()) return { sent: false, reason: 'other-host', owner };
  try {
    process.kill(owner.pid, signal);
    return { sent: true, owner };
  } catch (error) {
    return errnoCode(error) === 'EPERM' ? { sent: false, reason: 'not-permitted', owner } : { sent: false, reason: 'none' };
  }
}
