import { type ChildProcess, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { chmod, mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { healthSchema } from '@toa/api/identity';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { testConfig, writeTestSite } from '@toa/fixtures/site';
import { type ListeningServer, spawnListening } from './support/cli-server.js';
import { repoRoot } from './support/corpus.js';

/**
 * Issue 9 item 1: a full disk under the log must not hang the server. The
 * real CLI runs in a child process with its log folder on a full filesystem:
 * a 1 MiB tmpfs filled to the last byte when this machine lets us mount one
 * (root, a sandbox that allows `mount`), otherwise the log file is a link to
 * Linux's `/dev/full`, where every write fails with ENOSPC just the same.
 */

const bin = path.join(repoRoot, 'node_modules', '.bin', 'toa-server');
/** cli.ts's shutdown deadline; the server must be gone well within it */
const SHUTDOWN_DEADLINE_MS = 15_000;

let dir: string;
let mounted: string | undefined;
let child: ChildProcess | undefined;

beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'toa-full-disk-'));
  await chmod(dir, 0o755);
});

afterEach(async () => {
  if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  child = undefined;
  if (mounted) spawnSync('umount', [mounted]);
  mounted = undefined;
  await rm(dir, { recursive: true, force: true });
});

/** A log folder whose file refuses every write with ENOSPC; says which kind it got. */
async function fullLogDir(): Promise<{ logDir: string; kind: string }> {
  const logDir = path.join(dir, 'logs');
  await mkdir(logDir);
  if (process.getuid?.() === 0 && spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', logDir]).status === 0) {
    mounted = logDir;
    // fill it: a write of more than its size stops at the last free byte
    await writeFile(path.join(logDir, 'filler'), Buffer.alloc(2 * 1024 * 1024)).catch((error: NodeJS.ErrnoException) => {
      if (error.code !== 'ENOSPC') throw error;
    });
    return { logDir, kind: 'a full 1 MiB tmpfs' };
  }
  await symlink('/dev/full', path.join(logDir, 'toa-server.log'));
  return { logDir, kind: '/dev/full (mount refused here)' };
}

/** Starts `toa-server serve`, resolved with its URL once it listens (that line reaches stdout, not the full file). */
function serve(configFile: string): Promise<ListeningServer> {
  return spawnListening(bin, ['serve', '--config', configFile], { cwd: dir, onSpawn: (started) => (child = started) });
}

describe('the log folder on a full disk', () => {
  it('keeps answering, reports failing health with the reason and the lines dropped, recovers once there is room, and SIGTERM ends it within the deadline', async () => {
    const { logDir, kind } = await fullLogDir();
    const configFile = await writeTestSite(dir, { config: testConfig({ logDir, auth: { mode: 'dev', admins: ['admin@acme.example'] } }) });
    const { url, output } = await serve(configFile);
    const alice = { 'X-TOA-User-Email': 'alice@acme.example' };

    // every request logs a line the file refuses; the server answers each one
    for (let i = 0; i < 20; i += 1) {
      const domains = await fetch(`${url}/api/domains`, { headers: alice });
      expect(domains.status, kind).toBe(200);
      await domains.arrayBuffer();
    }
    const anonymous = await fetch(`${url}/api/health`);
    expect(anonymous.status, kind).toBe(503);
    expect(await anonymous.json()).toEqual({ status: 'failing' });

    // the administrator sees why
    const admin = await fetch(`${url}/api/health`, { headers: { 'X-TOA-User-Email': 'admin@acme.example' } });
    expect(admin.status).toBe(503);
    const health = healthSchema.parse(await admin.json());
    expect(health.checks?.logFile).toEqual({ writable: false, dropped: expect.any(Number), detail: expect.stringMatching(/^ENOSPC/) });
    expect(health.checks?.logFile?.dropped).toBeGreaterThanOrEqual(20);
    expect(output()).toMatch(/toa-server: the log file .* cannot be written: ENOSPC/);

    if (mounted) {
      // room again: the next line reaches the file, after a warning that counts what was lost, and health recovers
      await rm(path.join(logDir, 'filler'));
      let status = 0;
      for (let attempt = 0; attempt < 300 && status !== 200; attempt += 1) {
        await (await fetch(`${url}/api/domains`, { headers: alice })).arrayBuffer();
        const again = await fetch(`${url}/api/health`);
        status = again.status;
        await again.arrayBuffer();
        if (status !== 200) await new Promise((resolve) => setTimeout(resolve, 100));
      }
      expect(status).toBe(200);
      const written = await readFile(path.join(logDir, 'toa-server.log'), 'utf8');
      expect(written).toMatch(/"msg":"\d+ log lines were lost while the log file could not be written \(ENOSPC/);
    }

    const exited = once(child as ChildProcess, 'exit');
    const deadline = new Promise<'hung'>((resolve) => setTimeout(() => resolve('hung'), SHUTDOWN_DEADLINE_MS).unref());
    (child as ChildProcess).kill('SIGTERM');
    const outcome = await Promise.race([exited, deadline]);
    expect(outcome, `SIGTERM did not end the server with its log on ${kind}`).not.toBe('hung');
    // the lines stdout still carries: the shutdown ran to its end
    expect(output()).toMatch(/"msg":"TOA server stopped"/);
    await expect(readFile(path.join(dir, 'data', '.toa-server.lock'))).rejects.toThrow();
  }, 120_000);
});
