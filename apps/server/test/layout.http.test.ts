import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { importSchema } from '@toa/api/imports';
import { paths } from '@toa/api/routes';
import { afterEach, describe, expect, it } from 'vitest';
import { forgetCleanStop, json, startTestServer, TestClock, type TestServer } from './support/server.js';

const started: TestServer[] = [];
const dirs: string[] = [];
afterEach(async () => {
  for (const s of started.splice(0)) await s.dispose();
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});

async function tempDir(): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'toa-layout-'));
  dirs.push(dir);
  return dir;
}

describe('on-disk layout', () => {
  it('names date and import folders in the configured zone, not the process TZ', async () => {
    // 23:30 UTC on 21 Nov is 12:30 on 22 Nov in Auckland
    const clock = new TestClock(new Date('2026-11-21T23:30:00Z'));
    const server = await startTestServer({ clock, overrides: { timeZone: 'Pacific/Auckland' } });
    started.push(server);
    const created = importSchema.parse(await (await server.as('a@acme.example')(paths.imports('acme'), json('POST', {}))).json());
    expect(created.id).toMatch(/^2026-11-22_1230-[0-9a-f]{8}$/);
    expect(created.createdAt).toBe('2026-11-22T12:30:00.000+13:00');
    expect(await readdir(path.join(server.dataRoot, 'acme'))).toEqual(['2026-11-22']);
  });

  it('uses the local calendar date on a daylight-saving change day', async () => {
    // Prague moves clocks back on 25 Oct 2026: 00:30 UTC is 02:30 local (+02:00), 23:30 UTC is 00:30 on the 26th (+01:00)
    const clock = new TestClock(new Date('2026-10-25T00:30:00Z'));
    const server = await startTestServer({ clock });
    started.push(server);
    const user = server.as('a@acme.example');
    const first = importSchema.parse(await (await user(paths.imports('acme'), json('POST', {}))).json());
    clock.current = new Date('2026-10-25T23:30:00Z');
    const second = importSchema.parse(await (await user(paths.imports('acme'), json('POST', {}))).json());
    expect(first.id).toMatch(/^2026-10-25_0230-/);
    expect(first.createdAt).toMatch(/\+02:00$/);
    expect(second.id).toMatch(/^2026-10-26_0030-/);
    expect(second.createdAt).toMatch(/\+01:00$/);
  });

  it('refuses a second server on the same data root, and takes over the lock of a dead one', async () => {
    const dir = await tempDir();
    const first = await startTestServer({ dir });
    await expect(startTestServer({ dir })).rejects.toThrow(/another TOA server/);
    await first.dispose();
    // a lock left by a crashed process (a pid that is not running) does not delay the start
    await writeFile(path.join(first.dataRoot, '.toa-server.lock'), JSON.stringify({ pid: 2 ** 22 + 17, host: os.hostname(), startedAt: 'then' }));
    const second = await startTestServer({ dir });
    started.push(second);
    expect(JSON.parse(await readFile(path.join(second.dataRoot, '.toa-server.lock'), 'utf8')).pid).toBe(process.pid);
  });

  it('refuses a data root with a newer layout version', async () => {
    const dir = await tempDir();
    await mkdir(path.join(dir, 'data'), { recursive: true });
    await writeFile(path.join(dir, 'data', '.toa-layout-version'), '2\n');
    await expect(startTestServer({ dir })).rejects.toThrow(/layout version 2/);
  });

  it('sweeps temporaries, unlisted pages and unacknowledged imports at a start after a crash', async () => {
    const dir = await tempDir();
    const first = await startTestServer({ dir });
    const created = importSchema.parse(await (await first.as('a@acme.example')(paths.imports('acme'), json('POST', {}))).json());
    await first.dispose();
    const [date, folder] = created.id.split('_') as [string, string];
    const importDir = path.join(first.dataRoot, 'acme', date, folder);
    await writeFile(path.join(importDir, 'import.json.tmp'), '{"torn');
    await writeFile(path.join(importDir, 'doc-1', 'pages', '.upload-1234.tmp'), 'partial');
    await writeFile(path.join(importDir, 'doc-1', 'pages', 'page-1.bin'), 'never listed');
    await mkdir(path.join(importDir, 'doc-2', 'pages'), { recursive: true });
    await mkdir(path.join(first.dataRoot, 'acme', date, '0000-deadbeef', 'doc-1'), { recursive: true });
    await forgetCleanStop(first.dataRoot);
    const second = await startTestServer({ dir });
    started.push(second);
    expect((await readdir(importDir, { recursive: true })).sort()).toEqual(['doc-1', 'doc-1/pages', 'import.json']);
    expect(await readdir(path.join(first.dataRoot, 'acme', date))).toEqual([folder]);
    expect((await second.started).removed.length).toBe(5);
  });
});

describe('retention', () => {
  it('deletes date folders strictly before today − retention in the zone, whatever their status, and nothing else', async () => {
    const dir = await tempDir();
    const clock = new TestClock(new Date('2026-11-21T10:00:00Z'));
    const server = await startTestServer({ dir, clock, overrides: { dataRetention: '30d' } });
    const user = server.as('a@acme.example');
    const ids: string[] = [];
    for (const day of ['2026-10-20T10:00:00Z', '2026-10-21T10:00:00Z', '2026-10-22T10:00:00Z', '2026-11-21T10:00:00Z']) {
      clock.current = new Date(day);
      ids.push(importSchema.parse(await (await user(paths.imports('acme'), json('POST', {}))).json()).id);
    }
    await writeFile(path.join(server.dataRoot, 'acme', 'cmserver2.xml'), '<catalogue version="1"/>');
    await mkdir(path.join(server.dataRoot, 'acme', 'not-a-date'));
    await mkdir(path.join(server.dataRoot, 'gone-domain', '2000-01-01'), { recursive: true });
    clock.current = new Date('2026-11-21T10:00:00Z');
    const dry = await server.retention({ dryRun: true });
    expect(dry.deleted.map((d) => d.id)).toEqual([ids[0], ids[1]]);
    expect((await readdir(path.join(server.dataRoot, 'acme'))).filter((n) => n.startsWith('2026')).length).toBe(4);
    const report = await server.retention();
    expect(report.cutoff).toBe('2026-10-22');
    expect(report.deleted.map((d) => d.id)).toEqual([ids[0], ids[1]]);
    expect((await readdir(path.join(server.dataRoot, 'acme'))).sort()).toEqual(['2026-10-22', '2026-11-21', 'cmserver2.xml', 'not-a-date']);
    expect(await readdir(path.join(server.dataRoot, 'gone-domain'))).toEqual(['2000-01-01']);
    expect((await user(paths.import('acme', ids[0] as string))).status).toBe(404);
    const audit = await readFile(path.join(server.logDir, 'audit-acme.log'), 'utf8');
    expect(audit.match(/retention\.deleted/g)).toHaveLength(2);
    await server.dispose();
  });

  it('is disabled by "0d"', async () => {
    const clock = new TestClock(new Date('2020-01-01T10:00:00Z'));
    const server = await startTestServer({ clock, overrides: { dataRetention: '0d' } });
    started.push(server);
    await server.as('a@acme.example')(paths.imports('acme'), json('POST', {}));
    clock.current = new Date('2026-01-01T10:00:00Z');
    expect((await server.retention()).deleted).toEqual([]);
    expect(await readdir(path.join(server.dataRoot, 'acme'))).toEqual(['2020-01-01']);
  });
});
