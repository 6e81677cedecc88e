import { type ChildProcessWithoutNullStreams, spawn, spawnSync } from 'node:child_process';
import { createInterface } from 'node:readline';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os, { hostname } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { acquireProcessLock, type LockAttempt, runningLockOwner, signalLockOwner, tryProcessLock } from './process-lock.js';

let dir: string;
let file: string;
beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'toa-lock-'));
  file = path.join(dir, '.toa-server.lock');
});
afterEach(() => rm(dir, { recursive: true, force: true }));

/** The pid of a process that has ended (a crashed server). */
function deadPid(): number {
  const child = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
  return Number(child.stdout);
}

const OTHER_HOST = `${hostname()}-elsewhere`;

/**
 * One attempt at the lock that stops at each step of a takeover until told
 * to go on, so a test sets the exact order in which racers act. `next()`
 * resolves with the step it stopped at, or 'done' once the attempt ended.
 */
/**
 * A process of its own that tries the lock in `lock` each time it reads
 * `try` on its standard input, answering with the attempt as one JSON line
 * (`{ taken, ownerPid? }`), and gives a lock it took back on `release`.
 * It runs this module's source (through tsx), so it needs no build.
 */
function racerProcess(lock: string): { pid: number; send(line: 'try' | 'release'): Promise<{ taken: boolean; ownerPid?: number }>; stop(): void } {
  const source = `
    const { tryProcessLock } = await import(process.argv[1]);
    let held;
    for await (const line of (await import('node:readline')).createInterface({ input: process.stdin })) {
      if (line === 'try') {
        const attempt = await tryProcessLock(process.argv[2]);
        held = attempt.taken ? attempt : undefined;
        console.log(JSON.stringify(attempt.taken ? { taken: true } : { taken: false, ownerPid: attempt.owner.pid }));
      } else {
        await held?.release();
        console.log('{"taken":false}');
      }
    }`;
  const child: ChildProcessWithoutNullStreams = spawn(
    process.execPath,
    ['--import', 'tsx', '--input-type=module', '-e', source, path.join(import.meta.dirname, 'process-lock.ts'), lock],
    { stdio: 'pipe' },
  );
  const answers = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  return {
    pid: child.pid ?? 0,
    async send(line) {
      child.stdin.write(`${line}\n`);
      const answer = await answers.next();
      if (answer.done) throw new Error(`the racer process ended: ${stderr}`);
      return JSON.parse(answer.value) as { taken: boolean; ownerPid?: number };
    },
    stop: () => child.stdin.end(),
  };
}

function steppedRacer(lock: string): { attempt: Promise<LockAttempt>; next(): Promise<string>; finish(): Promise<LockAttempt> } {
  let go = (): void => {};
  let stopped: (at: string) => void = () => {};
  let stop = new Promise<string>((resolve) => (stopped = resolve));
  const attempt = tryProcessLock(lock, {
    step: (name) =>
      new Promise<void>((resolve) => {
        go = resolve;
        stopped(name);
      }),
  });
  void attempt.then(
    () => stopped('done'),
    () => stopped('failed'),
  );
  let started = false;
  const next = (): Promise<string> => {
    if (!started) {
      started = true;
      return stop;
    }
    stop = new Promise<string>((resolve) => (stopped = resolve));
    go();
    return stop;
  };
  const finish = async (): Promise<LockAttempt> => {
    for (let at = await next(); at !== 'done' && at !== 'failed'; at = await next());
    return attempt;
  };
  return { attempt, next, finish };
}

describe('the data-root lock', () => {
  it('records the host and the process that hold it, and is released', async () => {
    const lock = await acquireProcessLock(file);
    const owner = JSON.parse(await readFile(file, 'utf8')) as Record<string, unknown>;
    expect(owner).toMatchObject({ pid: process.pid, host: hostname() });
    expect(Number.isNaN(Date.parse(String(owner.startedAt)))).toBe(false);
    expect(await runningLockOwner(file)).toMatchObject({ pid: process.pid, host: hostname() });
    await lock.release();
    expect(await runningLockOwner(file)).toBeUndefined();
  });

  it('refuses a live server on this host, naming its pid and host', async () => {
    const first = await acquireProcessLock(file);
    await expect(acquireProcessLock(file)).rejects.toThrow(`another TOA server (pid ${process.pid} on ${hostname()}`);
    await first.release();
  });

  it('takes over at once a lock whose process on this host is gone, and says whose it was', async () => {
    const pid = deadPid();
    await writeFile(file, JSON.stringify({ pid, host: hostname(), startedAt: '2026-01-01T00:00:00.000Z' }));
    expect(await runningLockOwner(file)).toBeUndefined();
    const lock = await acquireProcessLock(file);
    expect(lock.staleOwner).toEqual({ pid, host: hostname(), startedAt: '2026-01-01T00:00:00.000Z' });
    await lock.release();
  });

  it('takes over a lock naming this process from before it started (a container restarted with the same host name and pid)', async () => {
    const before = new Date(Date.now() - process.uptime() * 1000 - 60_000).toISOString();
    const earlier = { pid: process.pid, host: hostname(), startedAt: before };
    await writeFile(file, JSON.stringify(earlier));
    const lock = await acquireProcessLock(file);
    expect(lock.staleOwner).toEqual(earlier);
    await lock.release();
  });

  it('never takes over a lock held on another host, whatever its pid is here', async () => {
    for (const pid of [deadPid(), process.pid]) {
      const held = `${JSON.stringify({ pid, host: OTHER_HOST, startedAt: '2026-01-01T00:00:00.000Z' })}\n`;
      await writeFile(file, held);
      const refusal = acquireProcessLock(file);
      await expect(refusal).rejects.toThrow(`locked by a TOA server on another host, ${OTHER_HOST} (pid ${pid} there`);
      await expect(refusal).rejects.toThrow(`remove ${file} only once it is certainly gone`);
      expect(await readFile(file, 'utf8')).toBe(held);
      // the other host's server counts as running: this host cannot check it
      expect(await runningLockOwner(file)).toMatchObject({ pid, host: OTHER_HOST });
      expect(await signalLockOwner(file, 'SIGHUP')).toMatchObject({ sent: false, reason: 'other-host' });
    }
  });

  it('takes over a torn lock file (a crash while writing it)', async () => {
    await writeFile(file, '{"pid": 12');
    const lock = await acquireProcessLock(file);
    expect(lock.staleOwner).toEqual({ unreadable: true });
    await lock.release();
  });

  it('is taken by exactly one of many racing for it, also when they all found it stale', async () => {
    for (const before of [undefined, JSON.stringify({ pid: deadPid(), host: hostname(), startedAt: '2026-01-01T00:00:00.000Z' })]) {
      if (before !== undefined) await writeFile(file, before);
      const attempts = await Promise.all(Array.from({ length: 12 }, () => tryProcessLock(file)));
      const taken = attempts.filter((attempt) => attempt.taken);
      expect(taken).toHaveLength(1);
      expect(attempts.filter((attempt) => !attempt.taken)).toEqual(
        Array.from({ length: 11 }, () => expect.objectContaining({ owner: expect.objectContaining({ pid: process.pid }) })),
      );
      expect(await readdir(dir)).toEqual(['.toa-server.lock']);
      if (taken[0]?.taken) await taken[0].release();
    }
  });

  it('gives a stale lock to one of three racers whatever the order of their steps: one takes it over, one acts on what it judged stale after that, one arrives in between', async () => {
    await writeFile(file, JSON.stringify({ pid: deadPid(), host: hostname(), startedAt: '2026-01-01T00:00:00.000Z' }));
    const first = steppedRacer(file);
    const second = steppedRacer(file);
    // both found the lock stale before either acted on it
    expect(await first.next()).toBe('stale');
    expect(await second.next()).toBe('stale');
    const firstAttempt = await first.finish();
    expect(firstAttempt.taken).toBe(true);
    const firstLock = await readFile(file, 'utf8');
    // the second acts on its stale judgement one step, then a third arrives
    expect(await second.next()).not.toBe('done');
    const third = await steppedRacer(file).finish();
    const secondAttempt = await second.finish();
    const attempts = [firstAttempt, secondAttempt, third];
    expect(attempts.map((attempt) => attempt.taken)).toEqual([true, false, false]);
    expect(await readFile(file, 'utf8')).toBe(firstLock);
    expect(await readdir(dir)).toEqual(['.toa-server.lock']);
    if (firstAttempt.taken) await firstAttempt.release();
  });

  it('is taken by exactly one of twelve processes racing for it, free or stale, and the others name that one', { timeout: 300_000 }, async () => {
    const racers = Array.from({ length: 12 }, () => racerProcess(file));
    try {
      for (const before of [undefined, JSON.stringify({ pid: deadPid(), host: hostname(), startedAt: '2026-01-01T00:00:00.000Z' })]) {
        if (before !== undefined) await writeFile(file, before);
        // all are started and waiting; each is told to go at once
        const attempts = await Promise.all(racers.map((racer) => racer.send('try')));
        const holders = racers.filter((_, index) => attempts[index]?.taken);
        expect(holders).toHaveLength(1);
        const holder = holders[0]?.pid;
        expect(JSON.parse(await readFile(file, 'utf8'))).toMatchObject({ pid: holder, host: hostname() });
        expect(attempts.filter((attempt) => !attempt.taken)).toEqual(Array.from({ length: 11 }, () => ({ taken: false, ownerPid: holder })));
        expect(await readdir(dir)).toEqual(['.toa-server.lock']);
        await Promise.all(racers.map((racer) => racer.send('release')));
        expect(await readdir(dir)).toEqual([]);
      }
    } finally {
      for (const racer of racers) racer.stop();
    }
  });

  it('leaves a stale lock to the process holding its takeover guard', async () => {
    const stale = JSON.stringify({ pid: deadPid(), host: hostname(), startedAt: '2026-01-01T00:00:00.000Z' });
    await writeFile(file, stale);
    const first = steppedRacer(file);
    expect(await first.next()).toBe('stale');
    expect(await first.next()).toBe('guarded');
    // a racer arriving meanwhile finds the guard's live holder
    expect(await steppedRacer(file).finish()).toMatchObject({ taken: false, owner: { pid: process.pid, host: hostname() }, otherHost: false });
    expect(await readFile(file, 'utf8')).toBe(stale);
    const taken = await first.finish();
    expect(taken).toMatchObject({ taken: true, staleOwner: JSON.parse(stale) });
    expect(await readdir(dir)).toEqual(['.toa-server.lock']);
    if (taken.taken) await taken.release();
  });

  it('passes a takeover guard whose process is gone (a crash mid-takeover), and the stale lock is taken over once', async () => {
    const stale = JSON.stringify({ pid: deadPid(), host: hostname(), startedAt: '2026-01-01T00:00:00.000Z' });
    await writeFile(file, stale);
    const first = steppedRacer(file);
    expect(await first.next()).toBe('stale');
    expect(await first.next()).toBe('guarded');
    const guards = (await readdir(dir)).filter((name) => name !== '.toa-server.lock');
    expect(guards).toHaveLength(1);
    // as if the guard's holder had died right after creating it
    await writeFile(path.join(dir, guards[0] ?? ''), JSON.stringify({ pid: deadPid(), host: hostname(), startedAt: new Date().toISOString() }));
    const second = await steppedRacer(file).finish();
    expect(second).toMatchObject({ taken: true, staleOwner: JSON.parse(stale) });
    const secondLock = await readFile(file, 'utf8');
    // the first, resumed, finds the lock taken: it leaves it alone
    expect(await first.finish()).toMatchObject({ taken: false, owner: { pid: process.pid } });
    expect(await readFile(file, 'utf8')).toBe(secondLock);
    expect(await readdir(dir)).toEqual(['.toa-server.lock']);
    if (second.taken) await second.release();
  });

  it('removes, once it holds the lock, the takeover guards a crash left whose process is gone; a live one and another host’s stay', async () => {
    const holder = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
    try {
      const guard = (name: string, owner: object | string) =>
        writeFile(path.join(dir, `.toa-server.lock.takeover-${name}`), typeof owner === 'string' ? owner : JSON.stringify(owner));
      // a crash after the takeover wrote the lock, before it removed its guard: the lock since released (or removed by hand)
      await guard('0000000000000001', { pid: deadPid(), host: hostname(), startedAt: '2026-01-01T00:00:00.000Z' });
      await guard('0000000000000002', { pid: holder.pid, host: hostname(), startedAt: new Date().toISOString() });
      await guard('0000000000000003', { pid: 4711, host: OTHER_HOST, startedAt: '2026-01-01T00:00:00.000Z' });
      await guard('0000000000000004', '');
      const lock = await acquireProcessLock(file);
      expect(lock.removedGuards?.map((removed) => path.basename(removed)).sort()).toEqual([
        '.toa-server.lock.takeover-0000000000000001',
        '.toa-server.lock.takeover-0000000000000004',
      ]);
      expect((await readdir(dir)).sort()).toEqual([
        '.toa-server.lock',
        '.toa-server.lock.takeover-0000000000000002',
        '.toa-server.lock.takeover-0000000000000003',
      ]);
      await lock.release();
    } finally {
      holder.kill('SIGKILL');
    }
  });

  it("waits for a lock file its holder has created but not yet written, instead of taking it for a crash's", async () => {
    const holder = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
    try {
      await writeFile(file, '');
      const attempt = tryProcessLock(file);
      await new Promise((resolve) => setTimeout(resolve, 20));
      await writeFile(file, JSON.stringify({ pid: holder.pid, host: hostname(), startedAt: new Date().toISOString() }));
      expect(await attempt).toMatchObject({ taken: false, owner: { pid: holder.pid }, otherHost: false });
    } finally {
      holder.kill('SIGKILL');
    }
  });
});
