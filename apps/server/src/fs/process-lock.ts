import { createHash } from 'node:crypto';
import { link, readdir, readFile, rm } from 'node:fs/promises';
import { hostname } from 'node:os';
import path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { AppError, errnoCode } from '../errors.js';
import { tmpSiblingPath, writeFileAtomic, writeFileDurable } from './atomic-fs.js';

export interface LockOwner {
  pid: number;
  host: string;
  startedAt: string;
}

export interface ProcessLock {
  release(): Promise<void>;
  /** the owner of a stale lock this process took over (a crash or kill -9 before), for the log */
  staleOwner?: LockOwner | { unreadable: true };
  /** takeover guards of the lock left by a crash mid-takeover, removed once the lock was taken (paths), for the log */
  removedGuards?: string[];
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
  | { taken: true; release(): Promise<void>; staleOwner?: ProcessLock['staleOwner']; removedGuards?: string[] }
  | { taken: false; owner: LockOwner; otherHost: boolean };

/** The steps of a takeover at which `LockSteps.step` is awaited. */
export type LockStep = 'stale' | 'guarded';

/**
 * A test seam: `step` is awaited when a lock has been judged stale (before
 * anything is done about it) and when its takeover guard is held (before the
 * lock is replaced), so a test can set the order in which racers act.
 */
export interface LockSteps {
  step?(name: LockStep): Promise<void>;
}

/**
 * One attempt at the lock in `file`, naming this process. The lock is a
 * complete, flushed file hard-linked into place (`link` never replaces a
 * file), so of several processes (on one host or on several sharing a file
 * system) one takes it, and a lock never reads empty while its holder lives.
 * A lock whose process is gone (a crash, kill -9) is taken over at once
 * (see `takeOver`); its holder is then `staleOwner`. The liveness check only
 * works on one host, which is why the host is recorded: a lock of another
 * host is never taken over (the caller says so, naming it). A process found
 * taking a stale lock over is the owner reported. Errors other than the lock
 * being held are raised.
 */
export async function tryProcessLock(file: string, steps: LockSteps = {}): Promise<LockAttempt> {
  const me: LockOwner = { pid: process.pid, host: hostname(), startedAt: new Date().toISOString() };
  const text = `${JSON.stringify(me)}\n`;
  const release = async (): Promise<void> => {
    await rm(file, { force: true });
  };
  const taken = async (staleOwner?: ProcessLock['staleOwner']): Promise<LockAttempt> => {
    const removedGuards = await removeGuardsLeft(file);
    return { taken: true, release, ...(staleOwner ? { staleOwner } : {}), ...(removedGuards.length > 0 ? { removedGuards } : {}) };
  };
  // each turn ends with another process's move (a release, a takeover): no turn repeats unchanged
  for (;;) {
    if (await linkNew(file, text)) return taken();
    const held = await readLock(file);
    if (held === undefined) continue; // released meanwhile
    const owner = parseOwner(held);
    if (owner && owner.host !== me.host) return { taken: false, owner, otherHost: true };
    if (owner && isHeld(owner)) return { taken: false, owner, otherHost: false };
    await steps.step?.('stale');
    const takeover = await takeOver(file, held, text, steps);
    if (takeover === 'taken') return taken(owner ?? { unreadable: true });
    if (takeover !== 'changed') return { taken: false, owner: takeover, otherHost: false };
  }
}

/** What names a takeover guard of the lock `file`: `<file>.takeover-<hash>` (see `takeOver`). */
const GUARD_INFIX = '.takeover-';

/** The lock a takeover guard (by file name) belongs to, `undefined` for any other name. */
export function guardedLock(name: string): string | undefined {
  const at = name.lastIndexOf(GUARD_INFIX);
  return at > 0 ? name.slice(0, at) : undefined;
}

/** A takeover guard of a lock whose holder is gone, or one of another host (which this host cannot judge). */
export interface GuardLeft {
  file: string;
  owner: LockOwner | { unreadable: true };
  otherHost: boolean;
}

/**
 * The takeover guards of the lock in `file` that a crash mid-takeover left:
 * those whose holder is gone, by the lock's own rule (this host, a dead pid
 * or an earlier life; an unreadable guard is a crash's), and those of another
 * host, never judged gone here. A guard a live process on this host holds is
 * a takeover under way: not listed.
 */
export async function guardsLeft(file: string): Promise<GuardLeft[]> {
  const dir = path.dirname(file);
  const names = await readdir(dir).catch((error: unknown) => {
    if (errnoCode(error) === 'ENOENT') return [] as string[];
    throw error;
  });
  const left: GuardLeft[] = [];
  for (const name of names) {
    if (guardedLock(name) !== path.basename(file)) continue;
    const guard = path.join(dir, name);
    const text = await readFileIfAny(guard);
    if (text === undefined) continue; // its takeover ended meanwhile
    const owner = parseOwner(text);
    if (!owner) left.push({ file: guard, owner: { unreadable: true }, otherHost: false });
    else if (owner.host !== hostname()) left.push({ file: guard, owner, otherHost: true });
    else if (!isHeld(owner)) left.push({ file: guard, owner, otherHost: false });
  }
  return left;
}

/**
 * With the lock in `file` just taken by this process: removes its takeover
 * guards whose holder is gone (a crash mid-takeover; `takeOver` removes the
 * guards it passes, but not one left after its lock was written, nor after the
 * lock file was removed by hand). Safe while the lock is held: a guard only
 * admits a takeover of the lock text it is named after, and the lock now
 * reads this process's own text. Another host's guards are left (and
 * reported by fsck). Returns the paths removed.
 */
async function removeGuardsLeft(file: string): Promise<string[]> {
  const gone = (await guardsLeft(file)).filter((guard) => !guard.otherHost).map((guard) => guard.file);
  await Promise.all(gone.map((guard) => rm(guard, { force: true })));
  return gone;
}

/** Whether the process named in a lock (or a takeover guard) on this host still holds it. */
function isHeld(owner: LockOwner): boolean {
  return isAlive(owner.pid) && !earlierLife(owner);
}

/**
 * Creates `file` holding `text`, unless something is there: the text is
 * written and flushed to a temporary sibling first, then hard-linked into
 * place, so `file` is never seen empty or torn. Returns whether it was created.
 */
async function linkNew(file: string, text: string): Promise<boolean> {
  const tmp = tmpSiblingPath(file);
  try {
    // inside the try: a write refused half-way (a full disk) leaves no temporary behind
    await writeFileDurable(tmp, text);
    await link(tmp, file);
    return true;
  } catch (error) {
    if (errnoCode(error) === 'EEXIST') return false;
    throw error;
  } finally {
    await rm(tmp, { force: true });
  }
}

/**
 * Replaces the stale lock `file` (whose text was `stale`) with `text`, under
 * a takeover guard: `<file>.takeover-<hash of stale>`, created like a lock
 * (`linkNew`) and naming this process. Only the guard's holder replaces the
 * lock, only if it still reads `stale`, and atomically (rename), so the lock
 * file exists throughout and a process arriving meanwhile finds it held.
 * The guard's name comes from the stale text, so a guard that outlives its
 * takeover can never admit a second one: the text it names is gone. A guard
 * whose holder is gone (a crash mid-takeover) is passed by a guard named
 * from it too, one level up; a live holder's guard on a lock still `stale`
 * means it is taking the lock over: that holder is returned. Returns 'taken', 'changed' (the lock
 * is no longer `stale`: look again), or the guard's live holder.
 */
async function takeOver(file: string, stale: string, text: string, steps: LockSteps): Promise<'taken' | 'changed' | LockOwner> {
  const passed: string[] = [];
  let key = stale;
  for (;;) {
    const guard = `${file}${GUARD_INFIX}${createHash('sha256').update(key).digest('hex').slice(0, 16)}`;
    if (await linkNew(guard, text)) {
      try {
        await steps.step?.('guarded');
        if ((await readFileIfAny(file)) !== stale) return 'changed';
        await writeFileAtomic(file, text);
        return 'taken';
      } finally {
        // the lock no longer reads `stale` (or this process gave up): no guard of it is needed
        await Promise.all([guard, ...passed].map((name) => rm(name, { force: true })));
      }
    }
    const guardText = await readFileIfAny(guard);
    if (guardText === undefined) continue; // its takeover ended meanwhile
    const guardOwner = parseOwner(guardText);
    if (guardOwner && isHeld(guardOwner)) {
      // a guard made after the takeover (by a racer as late as this one) takes nothing over: then the lock names the holder
      return (await readFileIfAny(file)) === stale ? guardOwner : 'changed';
    }
    passed.push(guard);
    key = `${key}\n${guardText}`;
  }
}

async function readFileIfAny(file: string): Promise<string | undefined> {
  try {
    return await readFile(file, 'utf8');
  } catch (error) {
    if (errnoCode(error) === 'ENOENT') return undefined;
    throw error;
  }
}

/**
 * One server per data root: the lock file names the owning process (see
 * `tryProcessLock`); a live server on this host, or any on another host, is
 * refused with a message naming it.
 */
export async function acquireProcessLock(file: string): Promise<ProcessLock> {
  const attempt = await tryProcessLock(file);
  if (attempt.taken) {
    const { release, staleOwner, removedGuards } = attempt;
    return { release, ...(staleOwner ? { staleOwner } : {}), ...(removedGuards ? { removedGuards } : {}) };
  }
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

/** How long a lock file may read empty or torn before it counts as a crash's (a holder of an earlier version wrote it right after creating it). */
const TORN_GRACE_MS = 1000;

/**
 * The text of the lock file, `undefined` when there is none. A holder
 * of this version links a complete file into place, but one of an earlier
 * version created the file, then wrote it: an empty or torn text is read
 * again for a moment before it is taken for what a crash while writing left.
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
