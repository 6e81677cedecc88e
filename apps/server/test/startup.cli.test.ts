import { type ChildProcess, execFile, spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { chmod, chown, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { SPEC_CATALOGUE } from '@toa/fixtures/catalogue';
import { freePort } from '@toa/fixtures/ports';
import { testConfig } from '@toa/fixtures/site';
import { type ListeningServer, spawnListening } from './support/cli-server.js';
import { repoRoot } from './support/corpus.js';

/**
 * Start-up failures and shutdown, run as an administrator meets them: the
 * real CLI in a child process, real folders, a real port. Each failure must be
 * one line on stderr and exit code 1, never a stack trace.
 */

const bin = path.join(repoRoot, 'node_modules', '.bin', 'toa-server');
/** An unprivileged account for the permission cases: root ignores permission bits. */
const NOBODY = 65_534;
const isRoot = process.getuid?.() === 0;

let dir: string;
let configFile: string;
const children: ChildProcess[] = [];
const blockers: Server[] = [];

beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'toa-startup-'));
  // readable by the unprivileged account of the permission cases
  await chmod(dir, 0o755);
  await writeFile(path.join(dir, 'acme.xml'), SPEC_CATALOGUE);
  configFile = path.join(dir, 'toa.json');
  await writeConfig({});
});

afterEach(async () => {
  for (const child of children.splice(0)) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  // a server orphaned by its launcher still holds the lock, which names it
  const owner = await readFile(path.join(dir, 'data', '.toa-server.lock'), 'utf8').catch(() => undefined);
  if (owner) {
    try {
      process.kill((JSON.parse(owner) as { pid: number }).pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  for (const blocker of blockers.splice(0)) blocker.close();
  await rm(dir, { recursive: true, force: true });
});

async function writeConfig(overrides: Record<string, unknown>): Promise<void> {
  await writeFile(configFile, JSON.stringify(testConfig(overrides)));
}

interface Outcome {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `toa-server serve` to its end (a start that fails ends by itself). */
function serveToEnd(options: { uid?: number } = {}): Promise<Outcome> {
  return new Promise((resolve, reject) => {
    const child = execFile(
      bin,
      ['serve', '--config', configFile],
      { cwd: dir, timeout: 20_000, ...(options.uid === undefined ? {} : { uid: options.uid, gid: options.uid }) },
      (error, stdout, stderr) => {
        if (error?.killed) reject(new Error(`serve did not end: ${stdout}${stderr}`));
        else resolve({ code: error ? (error.code as number) : 0, stdout, stderr });
      },
    );
    children.push(child);
  });
}

/** Starts a server that keeps running, resolved with its URL once it listens. */
function serveRunning(command: string, args: string[], env: NodeJS.ProcessEnv = process.env): Promise<ListeningServer> {
  return spawnListening(command, args, { cwd: repoRoot, env, onSpawn: (child) => children.push(child) });
}

/** Exactly one line on stderr, no stack frame, exit code 1. */
function expectOneLine(outcome: Outcome, pattern: RegExp): void {
  expect(outcome.code, outcome.stderr).toBe(1);
  const lines = outcome.stderr.trim().split('\n');
  expect(lines, outcome.stderr).toHaveLength(1);
  expect(lines[0]).toMatch(pattern);
  expect(outcome.stderr + outcome.stdout).not.toMatch(/^\s+at /m);
}

/** Whether the unprivileged account can run the CLI from this checkout (not when the checkout is private to root). */
const nobodyCanRun = isRoot && spawnSync(bin, ['--help'], { uid: NOBODY, gid: NOBODY }).status === 0;

async function occupiedPort(): Promise<number> {
  const blocker = createServer();
  blockers.push(blocker);
  blocker.listen(0, '127.0.0.1');
  await once(blocker, 'listening');
  return (blocker.address() as { port: number }).port;
}

describe('the port first', () => {
  it('`serve` answers health `starting` on its port before the rest of the server has loaded', { timeout: 60_000 }, async () => {
    const port = await freePort();
    await writeConfig({ port });
    const gate = path.join(dir, 'load-the-server');
    const hook = pathToFileURL(path.join(import.meta.dirname, 'support', 'hold-module.mjs')).href;
    const child = spawn(bin, ['serve', '--config', configFile], {
      cwd: dir,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: {
        ...process.env,
        NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --import="${hook}"`,
        TOA_TEST_HOLD_MODULE: '/apps/server/dist/server.js',
        TOA_TEST_HOLD_UNTIL: gate,
      },
    });
    children.push(child);
    let output = '';
    for (const stream of [child.stdout, child.stderr]) stream?.on('data', (chunk) => (output += chunk));
    const health = `http://127.0.0.1:${port}/api/health`;
    const answer = await vi
      .waitFor(() => fetch(health), { timeout: 20_000, interval: 50 })
      .catch((error: unknown) => {
        throw new Error(`the port never answered: ${String(error)}\n${output}`);
      });
    expect(answer.status, output).toBe(503);
    expect(await answer.json()).toEqual({ status: 'starting' });
    // the server's module is held: nothing of it has run, not even the data-root lock
    expect(existsSync(path.join(dir, 'data', '.toa-server.lock'))).toBe(false);
    await writeFile(gate, '');
    await vi.waitFor(async () => expect((await fetch(health)).status, output).toBe(200), { timeout: 20_000, interval: 50 });
    child.kill('SIGTERM');
    await once(child, 'exit');
  });
});

describe('start-up failures an administrator meets', () => {
  it('a port in use: one line, exit 1, and nothing created or fetched before the port was taken', async () => {
    const port = await occupiedPort();
    await writeConfig({ port });
    expectOneLine(await serveToEnd(), new RegExp(`^toa-server: cannot listen on 127\\.0\\.0\\.1:${port}: the port is in use`));
    expect(existsSync(path.join(dir, 'data'))).toBe(false);
    expect(existsSync(path.join(dir, 'logs'))).toBe(false);
  });

  it('a data root that cannot be created (a path under a regular file, ENOTDIR): one line, exit 1', async () => {
    await writeFile(path.join(dir, 'plain-file'), '');
    await writeConfig({ dataRoot: './plain-file/data' });
    expectOneLine(await serveToEnd(), /^toa-server: dataRoot .*plain-file\/data cannot be used: ENOTDIR/);
    expect(existsSync(path.join(dir, 'logs'))).toBe(false);
  });

  it.runIf(!isRoot || nobodyCanRun)('a data root the server user may not write (EACCES, run unprivileged): one line, exit 1', async () => {
    // as root the child runs as "nobody", since root writes through any permission bits
    await mkdir(path.join(dir, 'data'), { mode: 0o755 });
    if (!isRoot) await chmod(path.join(dir, 'data'), 0o555);
    expectOneLine(await serveToEnd(isRoot ? { uid: NOBODY } : {}), /^toa-server: dataRoot .*\/data cannot be used: EACCES \(permission denied\)/);
  });

  it('a log file that cannot be opened (it is a folder, EISDIR): one line, exit 1, lock released', async () => {
    // before the fix this was an unhandled 'error' event of the log stream, which crashes Node
    await mkdir(path.join(dir, 'logs', 'toa-server.log'), { recursive: true });
    expectOneLine(await serveToEnd(), /^toa-server: logDir .*\/logs cannot be used: EISDIR/);
    expect(existsSync(path.join(dir, 'data', '.toa-server.lock'))).toBe(false);
  });

  it.runIf(!isRoot || nobodyCanRun)('a log folder the server user may not write (EACCES, run unprivileged): one line, exit 1', async () => {
    await mkdir(path.join(dir, 'logs'), { mode: 0o755 });
    await mkdir(path.join(dir, 'data'));
    if (isRoot) await chown(path.join(dir, 'data'), NOBODY, NOBODY);
    else await chmod(path.join(dir, 'logs'), 0o555);
    expectOneLine(await serveToEnd(isRoot ? { uid: NOBODY } : {}), /^toa-server: logDir .*\/logs cannot be used: EACCES \(permission denied\)/);
  });

  it('a second server refused by the data-root lock writes nothing into the first one’s log', async () => {
    await serveRunning(bin, ['serve', '--config', configFile]);
    expectOneLine(await serveToEnd(), /^toa-server: another TOA server \(pid \d+ /);
    const log = await readFile(path.join(dir, 'logs', 'toa-server.log'), 'utf8');
    expect(log.match(/TOA server starting/g)).toHaveLength(1);
    expect(log).not.toMatch(/"level":(40|50|60)/);
  });

  it('a catalogue that cannot be loaded at start is said on stdout too, not only in the log file', async () => {
    await rm(path.join(dir, 'acme.xml'));
    const { url, output } = await serveRunning(bin, ['serve', '--config', configFile]);
    // health says why it is degraded; an administrator watching the console must not have to know to ask
    const warnings = output()
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as { level: number; msg: string; domain?: string })
      .filter((line) => line.msg.startsWith('start-up check:'));
    expect(warnings).toEqual([
      expect.objectContaining({
        level: 40,
        domain: 'acme',
        msg: expect.stringMatching(
          /^start-up check: domain "acme" has no template catalogue \(.*acme\.xml\): the catalogue file cannot be used: ENOENT.*; it cannot file until one loads$/,
        ),
      }),
    ]);
    expect(await (await fetch(`${url}/api/health`)).json()).toEqual({ status: 'degraded' });
  });
});

describe('shutdown and the data-root lock', () => {
  it('logs a stale lock it takes over', async () => {
    const gone = spawnSync(process.execPath, ['-e', '']).pid;
    await mkdir(path.join(dir, 'data'));
    await writeFile(
      path.join(dir, 'data', '.toa-server.lock'),
      `${JSON.stringify({ pid: gone, host: os.hostname(), startedAt: '2026-11-01T08:00:00.000Z' })}\n`,
    );
    const { output } = await serveRunning(bin, ['serve', '--config', configFile]);
    const taken = output()
      .split('\n')
      .filter((line) => line.includes('stale data-root lock'))
      .map((line) => JSON.parse(line) as { level: number; staleOwner: { pid: number; startedAt: string } });
    expect(taken).toEqual([expect.objectContaining({ level: 40, staleOwner: expect.objectContaining({ pid: gone, startedAt: '2026-11-01T08:00:00.000Z' }) })]);
  });

  it('SIGTERM to `npm start` (npm → turbo → npm → node) stops the server: shutdown logged, lock removed, port closed', async () => {
    // as an administrator runs it: not inside this test's turbo task, and without vitest's NODE_ENV=test (the build
    // `npm start` runs first would otherwise be a development build of the pane)
    const env = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('TURBO_') && name !== 'NODE_ENV'));
    const { child, url } = await serveRunning('npm', ['start'], { ...env, TOA_CONFIG: configFile });
    const lock = path.join(dir, 'data', '.toa-server.lock');
    expect(existsSync(lock)).toBe(true);
    const exited = once(child, 'exit');
    child.kill('SIGTERM');
    await exited;
    for (let waited = 0; existsSync(lock) && waited < 15_000; waited += 100) await new Promise((resolve) => setTimeout(resolve, 100));
    expect(existsSync(lock), 'the data-root lock outlived npm start').toBe(false);
    const log = await readFile(path.join(dir, 'logs', 'toa-server.log'), 'utf8');
    expect(log).toMatch(/"msg":"shutting down/);
    expect(log).toMatch(/"msg":"TOA server stopped"/);
    await expect(fetch(`${url}/api/health`)).rejects.toThrow();
  }, 120_000);
});

describe('start-up checks in production', () => {
  it('refuses to start with one line per problem: archive token unset, archive root unwritable, key set unreachable', async () => {
    const jwksPort = await occupiedPort();
    // a listening socket that is closed again refuses connections
    await new Promise<void>((resolve) => blockers.pop()?.close(() => resolve()));
    await writeFile(path.join(dir, 'plain-file'), '');
    await writeConfig({
      production: true,
      auth: {
        mode: 'jwt',
        jwksUrl: `https://127.0.0.1:${jwksPort}/keys`,
        issuer: 'https://issuer.example/v2.0',
        audience: 'api://toa',
        tenants: ['72f988bf-86f1-41af-91ab-2d7cd011db47'],
      },
      domains: [
        { code: 'acme', name: 'ACME', templates: { file: './acme.xml' }, archive: { type: 'filesystem', root: './plain-file/archive' } },
        {
          code: 'globex',
          name: 'Globex',
          templates: { file: './acme.xml' },
          archive: { type: 'http', url: 'https://archive.example/upload', tokenEnv: 'GLOBEX_TOKEN' },
        },
      ],
    });
    const outcome = await serveToEnd();
    expect(outcome.code, outcome.stderr).toBe(1);
    expect(outcome.stderr.trim().split('\n')).toEqual([
      'toa-server: not starting in production mode; the start-up checks found:',
      `  - domains[0] "acme": archive.root ${path.join(dir, 'plain-file', 'archive')} cannot be written: ENOTDIR (not a directory)`,
      '  - domains[1] "globex": archive.tokenEnv: the environment variable GLOBEX_TOKEN is not set',
      expect.stringMatching(
        new RegExp(`^  - auth\\.jwksUrl: the key set https://127\\.0\\.0\\.1:${jwksPort}/keys cannot be fetched: fetch failed \\(connect ECONNREFUSED`),
      ),
    ]);
    expect(existsSync(path.join(dir, 'data', '.toa-server.lock'))).toBe(false);
  });
});

describe('reloading catalogues in a running server', () => {
  it('`toa-server templates refresh` reaches the running server (SIGHUP): a fixed catalogue file is served without a restart', async () => {
    await writeFile(path.join(dir, 'acme.xml'), '<catalogue version="1"><template id="broken"');
    const { url } = await serveRunning(bin, ['serve', '--config', configFile]);
    const templates = (): Promise<Response> => fetch(`${url}/api/domains/acme/templates`, { headers: { 'X-TOA-User-Email': 'a@acme.example' } });
    expect((await templates()).status).toBe(503);

    await writeFile(path.join(dir, 'acme.xml'), SPEC_CATALOGUE);
    const refreshed = await new Promise<Outcome>((resolve) => {
      execFile(bin, ['templates', 'refresh', '--config', configFile], (error, stdout, stderr) =>
        resolve({ code: error ? (error.code as number) : 0, stdout, stderr }),
      );
    });
    expect(refreshed.code).toBe(0);
    // after the line saying which data root and configuration were read
    expect(refreshed.stderr).toMatch(/^toa-server: the running server \(pid \d+\) was asked to reload every catalogue \(SIGHUP\)/m);
    await vi.waitFor(async () => expect((await templates()).status).toBe(200), { timeout: 10_000, interval: 100 });
  });

  it('`toa-server templates refresh` says plainly when no server runs and only the cache was written', async () => {
    const refreshed = await new Promise<Outcome>((resolve) => {
      execFile(bin, ['templates', 'refresh', '--config', configFile], (error, stdout, stderr) =>
        resolve({ code: error ? (error.code as number) : 0, stdout, stderr }),
      );
    });
    expect(refreshed.stderr.trim().split('\n').at(-1)).toBe(
      'toa-server: no server is running on this data root: only the cache was written; the next start uses it',
    );
  });
});
