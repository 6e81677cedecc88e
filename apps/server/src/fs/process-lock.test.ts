import { spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os, { hostname } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { acquireProcessLock, runningLockOwner, signalLockOwner } from './process-lock.js';

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
});
