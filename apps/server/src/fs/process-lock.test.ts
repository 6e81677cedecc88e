import { spawn, spawnSync } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os, { hostname } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { acquireProcessLock, runningLockOwner, signalLockOwner, tryProcessLock } from './process-lock.js';

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
