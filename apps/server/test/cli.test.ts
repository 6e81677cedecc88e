import { type ChildProcess, execFile, spawnSync } from 'node:child_process';
import { copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os, { hostname } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { type Import, importSchema } from '@toa/api/imports';
import { paths } from '@toa/api/routes';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { writeTestSite } from '@toa/fixtures/site';
import { spawnListening } from './support/cli-server.js';
import { repoRoot } from './support/corpus.js';

const run = promisify(execFile);
/** The built CLI through the workspace's bin link (node_modules/.bin), the one a checkout has; hosts run a release's bin/toa-server. */
const bin = path.join(repoRoot, 'node_modules', '.bin', 'toa-server');

let dir: string;
let configFile: string;
let child: ChildProcess | undefined;

beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'toa-cli-'));
  configFile = await writeTestSite(dir);
});
afterEach(async () => {
  child?.kill('SIGKILL');
  child = undefined;
  await rm(dir, { recursive: true, force: true });
});

/** Starts `toa-server serve` and resolves with its URL once it listens. */
async function serve(): Promise<string> {
  const { url } = await spawnListening(bin, ['serve', '--config', configFile], { cwd: repoRoot, onSpawn: (started) => (child = started) });
  return url;
}

async function createImport(url: string): Promise<Import> {
  const response = await fetch(`${url}${paths.imports('acme')}`, {
    method: 'POST',
    headers: { 'X-TOA-User-Email': 'a@acme.example', 'Content-Type': 'application/json' },
    body: '{}',
  });
  return importSchema.parse(await response.json());
}

describe('toa-server CLI', () => {
  // its own wait: nine server and CLI processes one after the other, each start seconds on a busy machine
  it('serves from the repository root with --config, and stops cleanly on SIGTERM', async () => {
    const url = await serve();
    const created = await createImport(url);
    const exited = new Promise<number | null>((resolve) => child?.on('exit', resolve));
    child?.kill('SIGTERM');
    expect(await exited).toBe(0);
    child = undefined;
    await expect(readFile(path.join(dir, 'data', '.toa-server.lock'))).rejects.toThrow();

    const located = await run(bin, ['locate', created.id, '--config', configFile]);
    expect(located.stdout.trim()).toBe(path.join(dir, 'data', 'acme', ...created.id.split('_')));
    // people read what was used on stderr, so stdout stays what scripts take
    expect(located.stderr).toBe(`toa-server: data root ${path.join(dir, 'data')}; configuration ${configFile}\n`);
    const read = { dataRoot: path.join(dir, 'data'), config: configFile, environment: [] };
    const stats = JSON.parse((await run(bin, ['stats', '--json', '--config', configFile])).stdout) as { days: unknown[] };
    expect(stats).toEqual({
      ...read,
      days: [expect.objectContaining({ domain: 'acme', imports: 1, byStatus: { DRAFT: 1 } })],
      // the documented default quotas: 10 GiB and 100 000 imports per user
      users: [{ domain: 'acme', userId: 'a@acme.example', imports: 1, bytes: 0, quotaBytes: 10 * 1024 ** 3, quotaImports: 100_000 }],
    });
    expect((await run(bin, ['stats', '--config', configFile])).stdout).toMatch(/^acme +a@acme\.example +1 +0 +0\.0% of 10 GiB, 0\.0% of 100000 imports$/m);
    const fsck = JSON.parse((await run(bin, ['fsck', '--json', '--config', configFile])).stdout) as unknown;
    expect(fsck).toEqual({ ...read, findings: [] });
    const retention = JSON.parse((await run(bin, ['retention', '--dry-run', '--json', '--config', configFile])).stdout) as { deleted: unknown[] };
    expect(retention).toMatchObject({ ...read, deleted: [] });
    const templates = JSON.parse((await run(bin, ['templates', 'check', '--json', '--config', configFile])).stdout) as unknown;
    expect(templates).toMatchObject({
      ...read,
      catalogues: [expect.objectContaining({ domain: 'acme', available: true, source: 'file', templates: ['invoice', 'note'] })],
    });
    const overridden = await run(bin, ['stats', '--config', configFile], { env: { ...process.env, TOA_DATA_ROOT: './other' } });
    expect(overridden.stderr).toBe(`toa-server: data root ${path.join(dir, 'other')}; configuration ${configFile}, with TOA_DATA_ROOT\n`);
  }, 120_000);

  it('stops with one line per configuration problem', async () => {
    await writeFile(configFile, JSON.stringify({ port: 'x', timeZone: 'Nowhere/City', domains: [{ code: 'A B' }] }));
    const failed = await run(bin, ['serve', '--config', configFile]).catch((error: { code: number; stderr: string }) => error);
    expect('code' in failed && failed.code).toBe(1);
    const lines = (failed as { stderr: string }).stderr.trim().split('\n');
    expect(lines[0]).toMatch(/invalid configuration/);
    expect(lines.filter((l) => l.startsWith('  - ')).length).toBeGreaterThanOrEqual(5);
  });

  it('refuses a second server on the same data root', async () => {
    await serve();
    const second = await run(bin, ['serve', '--config', configFile]).catch((error: { code: number; stderr: string }) => error);
    expect((second as { stderr: string }).stderr).toMatch(/another TOA server/);
  });

  it('reports an unreadable import.json and leftovers in fsck, and repairs what is safe', async () => {
    const url = await serve();
    const created = await createImport(url);
    child?.kill('SIGKILL');
    child = undefined;
    const importDir = path.join(dir, 'data', 'acme', ...created.id.split('_'));
    await writeFile(path.join(importDir, 'doc-1', 'pages', '.upload-1.tmp'), 'partial');
    const report = await run(bin, ['fsck', '--config', configFile]).catch((error: { code: number; stdout: string }) => error);
    expect((report as { code: number }).code).toBe(1);
    expect((report as { stdout: string }).stdout).toMatch(/PROBLEM .*\.upload-1\.tmp: leftover/);
    const repaired = await run(bin, ['fsck', '--repair', '--config', configFile]);
    expect(repaired.stdout).toMatch(/REPAIRED/);
    expect((await run(bin, ['fsck', '--config', configFile])).stdout.trim()).toBe('no problems found');
    // a crash while a stale data-root lock was taken over left its guard behind (its process gone)
    const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
    const guard = path.join(dir, 'data', '.toa-server.lock.takeover-00000000000000aa');
    await writeFile(guard, JSON.stringify({ pid: Number(dead.stdout), host: hostname(), startedAt: '2026-01-01T00:00:00.000Z' }));
    const guarded = await run(bin, ['fsck', '--config', configFile]).catch((error: { code: number; stdout: string }) => error);
    expect((guarded as { code: number }).code).toBe(1);
    expect((guarded as { stdout: string }).stdout).toMatch(
      /^PROBLEM +\.toa-server\.lock\.takeover-00000000000000aa: takeover guard of the data-root lock left by a crash .*gone\) — fix: removed by fsck --repair or at the next start$/m,
    );
    expect((await run(bin, ['fsck', '--repair', '--config', configFile])).stdout).toMatch(
      /^REPAIRED \.toa-server\.lock\.takeover-00000000000000aa: .* — fix: removed$/m,
    );
    await expect(readFile(guard)).rejects.toMatchObject({ code: 'ENOENT' });
    await writeFile(path.join(importDir, 'import.json'), '{ torn');
    const broken = await run(bin, ['fsck', '--config', configFile]).catch((error: { code: number; stdout: string }) => error);
    expect((broken as { stdout: string }).stdout).toMatch(/import\.json is not JSON — fix: restore the import folder from a backup/);
  });
});

describe('toa-server retention', () => {
  it('says what taking the data root swept away first, what it left read-only, and which date folders it removed', async () => {
    // an old import folder a crash left without its import.json: the dry run counts it, the real run's sweep takes it
    await mkdir(path.join(dir, 'data', 'acme', '2020-01-01', '0000-aaaaaaaa'), { recursive: true });
    // and a recent import whose import.json is torn: kept, read-only, and said
    const torn = path.join(dir, 'data', 'acme', '2099-01-01', '0000-bbbbbbbb');
    await mkdir(torn, { recursive: true });
    await writeFile(path.join(torn, 'import.json'), '{ torn');
    const dry = await run(bin, ['retention', '--dry-run', '--config', configFile]);
    expect(dry.stdout).toMatch(/^would delete acme 2020-01-01_0000-aaaaaaaa$/m);

    const real = await run(bin, ['retention', '--config', configFile]);
    expect(real.stdout.trim().split('\n')).toEqual([
      `REPAIRED ${path.join('acme', '2020-01-01', '0000-aaaaaaaa')}: leftover of an interrupted write — fix: removed`,
      expect.stringMatching(/^PROBLEM {2}acme\/2099-01-01\/0000-bbbbbbbb: .*not JSON.* — fix: read-only until repaired \(toa-server fsck\)$/),
      expect.stringMatching(/^cutoff: date folders before \d{4}-\d{2}-\d{2} \(Europe\/Prague\) go$/),
      'removed date folder acme 2020-01-01',
      '0 import(s) deleted',
    ]);
    await expect(readFile(path.join(dir, 'data', 'acme', '2020-01-01'))).rejects.toMatchObject({ code: 'ENOENT' });
    const json = JSON.parse((await run(bin, ['retention', '--json', '--config', configFile])).stdout) as Record<string, unknown>;
    expect(json).toMatchObject({
      swept: [expect.objectContaining({ path: path.join('acme', '2099-01-01', '0000-bbbbbbbb'), repaired: false })],
      deleted: [],
      removedDateFolders: [],
    });
  });
});

describe('bin/toa-server.js', () => {
  it('run before a build, says in one line to build first and exits 1, without a stack trace', async () => {
    const unbuilt = await mkdtemp(path.join(os.tmpdir(), 'toa-unbuilt-'));
    try {
      // the package as a fresh checkout has it: bin and package.json, no dist
      await mkdir(path.join(unbuilt, 'bin'));
      await copyFile(path.join(repoRoot, 'apps', 'server', 'bin', 'toa-server.js'), path.join(unbuilt, 'bin', 'toa-server.js'));
      await copyFile(path.join(repoRoot, 'apps', 'server', 'package.json'), path.join(unbuilt, 'package.json'));
      const failed = (await run(process.execPath, [path.join(unbuilt, 'bin', 'toa-server.js'), 'fsck']).catch((error: unknown) => error)) as {
        code?: number;
        stdout?: string;
        stderr?: string;
      };
      expect(failed.code).toBe(1);
      expect(failed.stdout).toBe('');
      expect(failed.stderr).toBe('toa-server: the server is not built yet: run `npm run build` first (in the repository root)\n');
    } finally {
      await rm(unbuilt, { recursive: true, force: true });
    }
  });
});
