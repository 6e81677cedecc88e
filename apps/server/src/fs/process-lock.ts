import { link, readFile, rename, rm } from 'node:fs/promises';
import { hostname } from 'node:os';
import { setTimeout as delay } from 'node:timers/promises';
import { AppError, errnoCode } from '../errors.js';
import { tmpSiblingPath, writeFileDurable } from './atomic-fs.js';

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

/** What one attempt at a lock file found. */
export type LockAttempt =
  | { taken: true; release(): Promise<void>; staleOwner?: ProcessLock['staleOwner'] }
  | { taken: false; owner: LockOwner; otherHost: boolean };

/**
 * One attempt at the lock in `file`, naming this process. The file is
 * created exclusively (`wx`), so of several processes (on one host or on
 * several sharing a file system) one takes it. A lock whose process is gone
 * (a crash, kill -9) is taken over at once; its holder is then
 * `staleOwner`. The liveness check only works on one host, which is why the
 * host is recorded: a lock of another host is never taken over (the caller
 * says so, naming it). Errors other than the lock being held are raised.
 */
export async function tryProcessLock(file: string): Promise<LockAttempt> {
  const me: LockOwner = { pid: process.pid, host: hostname(), startedAt: new Date().toISOString() };
  let staleOwner: ProcessLock['staleOwner'];
  for (let attempt = 0; attempt < 3; attempt += 1) {
    try {
      await writeFileDurable(file, `${JSON.stringify(me)}\n`);
      const release = async (): Promise<void> => {
        await rm(file, { force: true });
      };
      return staleOwner ? { taken: true, release, staleOwner } : { taken: true, release };
    } catch (error) {
      if (errnoCode(error) !== 'EEXIST') throw error;
    }
    const held = await readLock(file);
    if (held === undefined) continue; // released meanwhile
    const owner = parseOwner(held);
    if (owner && owner.host !== me.host) return { taken: false, owner, otherHost: true };
    if (owner && isAlive(owner.pid) && !earlierLife(owner)) return { taken: false, owner, otherHost: false };
    if (await setAside(file, held)) staleOwner = owner ?? { unreadable: true };
  }
  throw new AppError('UNAVAILABLE', `could not take the lock ${file}`);
}

/**
 * One server per data root: the lock file names the owning process (see
 * `tryProcessLock`); a live server on this host, or any on another host, is
 * refused with a message naming it.
 */
export async function acquireProcessLock(file: string): Promise<ProcessLock> {
  const attempt = await tryProcessLock(file);
  if (attempt.taken) return attempt.staleOwner ? { release: attempt.release, staleOwner: attempt.staleOwner } : { release: attempt.release };
  const { owner } = attempt;
  if (attempt.otherHost) {
    // a pid means nothing on another host: only its operator knows whether that server is gone
    throw new AppError(
      'UNAVAILABLE',
      `the data root is locked by a TOA server on another host, ${owner.host} (pid ${owner.pid} there, started ${owner.startedAt}); this host (${hostname()}) cannot tell whether it still runs: stop it on ${owner.host}, and remove ${file} only once it is certainly gone`,
    );
  }
  throw new AppError(
    'UNAVAILABLE',
    `another TOA server (pid ${owner.pid} on ${owner.host}, started ${owner.startedAt}) uses this data root; stop it first, or remove ${file} if it is certainly gone`,
  );
}

/** How long a lock file may read empty or torn before it counts as a crash's (its holder writes it right after creating it). */
const TORN_GRACE_MS = 1000;

/**
 * The text of the lock file, `undefined` when there is none. A holder
 * creates the file, then writes it: an empty or torn text is read again for
 * a moment before it is taken for what a crash while writing left.
 */
async function readLock(file: string): Promise<string | undefined> {
  const deadline = Date.now() + TORN_GRACE_MS;
  for (;;) {
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (error) {
      if (errnoCode(error) === 'ENOENT') return undefined;
      throw error;
    }
    if (parseOwner(text) || Date.now() > deadline) return text;
    await delay(20);
  }
}

/**
 * Removes a stale lock, and only it: the file is renamed aside first (one
 * rename wins), then compared with what was judged stale. When another
 * process took the stale lock over in between, what was moved is its fresh
 * lock: it is put back (a hard link, which never replaces a file) and the
 * caller tries again. Returns whether the stale lock was removed.
 */
async function setAside(file: string, stale: string): Promise<boolean> {
  const aside = tmpSiblingPath(file);
  try {
    await rename(file, aside);
  } catch (error) {
    if (errnoCode(error) === 'ENOENT') return false;
    throw error;
  }
  try {
    if ((await readFile(aside, 'utf8')) === stale) return true;
    await link(aside, file).catch((error: unknown) => {
      // EEXIST: yet another process holds the lock now; its holder and the one moved aside both ran before either could see the other
      if (errnoCode(error) !== 'EEXIST') throw error;
    });
    return false;
  } finally {
    await rm(aside, { force: true });
  }
}

function parseOwner(text: string): LockOwner | undefined {
  try {
    const parsed = JSON.parse(text) as Partial<LockOwner>;
    if (typeof parsed.pid === 'number' && typeof parsed.host === 'string') {
      return { pid: parsed.pid, host: parsed.host, startedAt: String(parsed.startedAt) };
    }
  } catch {
    // an empty or torn lock file comes from a crash while writing it: stale
  }
  return undefined;
}

async function readOwner(file: string): Promise<LockOwner | undefined> {
  const text = await readLock(file);
  return text === undefined ? undefined : parseOwner(text);
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
