import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { importSchema } from '@toa/api/imports';
import { paths } from '@toa/api/routes';
import { afterEach, describe, expect, it } from 'vitest';
import { fsck } from '../src/cli/fsck.js';
import type { Config } from '../src/config/schema.js';
import { removeTemporary } from '../src/fs/leftovers.js';
import type { FsckFinding } from '../src/storage/fsck.js';
import { json, startTestServer, type TestServer } from './support/server.js';

/**
 * ADR 0025: a server that stops cleanly marks the data root, and the start
 * after it lists no pages folder. Anything that could have left a file
 * behind withholds the mark. The last test notes a leftover in this
 * process, so no later test here could see a mark written.
 */

const USER = 'a@acme.example';
const MARK = '.toa-clean-stop';

const started: TestServer[] = [];
const dirs: string[] = [];
afterEach(async () => {
  for (const s of started.splice(0)) await s.dispose();
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});

/** A site whose server made one import and stopped cleanly; the import's folder. */
async function stoppedSite(): Promise<{ dir: string; dataRoot: string; importDir: string; relative: string; config: Config }> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'toa-clean-stop-'));
  dirs.push(dir);
  const first = await startTestServer({ dir });
  const created = importSchema.parse(await (await first.as(USER)(paths.imports('acme'), json('POST', {}))).json());
  await first.dispose();
  const [date, folder] = created.id.split('_') as [string, string];
  const relative = path.join('acme', date, folder);
  return { dir, dataRoot: first.dataRoot, importDir: path.join(first.dataRoot, relative), relative, config: first.config };
}

describe('the clean-stop mark', () => {
  it('is written by a clean stop; the next start takes it, lists no pages folder and still sweeps the import folders', async () => {
    const { dir, dataRoot, importDir, relative } = await stoppedSite();
    expect(JSON.parse(await readFile(path.join(dataRoot, MARK), 'utf8'))).toEqual({
      stoppedAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d/),
      domains: ['acme'],
    });
    // what a hand restore might bring after the stop: in the import folder it is swept, in a pages folder it stays (fsck --repair removes it)
    await writeFile(path.join(importDir, '.import.json.77aa.tmp'), '{"torn');
    await writeFile(path.join(importDir, 'doc-1', 'pages', '.upload-1234.tmp'), 'partial');
    // what a stop cut short while it wrote a mark leaves beside it
    await writeFile(path.join(dataRoot, `.${MARK}.3c1d.tmp`), '{"stopped');

    const second = await startTestServer({ dir });
    started.push(second);
    expect((await second.started).removed).toEqual([path.join(relative, '.import.json.77aa.tmp')]);
    expect((await readdir(dataRoot)).filter((name) => name.startsWith(`.${MARK}`))).toEqual([]);
    expect((await readdir(importDir, { recursive: true })).sort()).toEqual(['doc-1', 'doc-1/pages', 'doc-1/pages/.upload-1234.tmp', 'import.json']);
    // taken at start: a crash from here on leaves no mark, and the start after it sweeps every pages folder
    expect(await readdir(dataRoot)).not.toContain(MARK);
    await second.dispose();
    expect(await readdir(dataRoot)).toContain(MARK);
  });

  it('vouches only for the domains it names, and for none whose sweep found an import it would not read', async () => {
    const { dir, dataRoot, importDir, relative } = await stoppedSite();
    // a mark of a stop that had not swept acme (left out of the configuration then): acme's pages folders are listed
    await writeFile(path.join(dataRoot, MARK), JSON.stringify({ stoppedAt: '2026-11-30T10:00:00.000Z', domains: ['globex'] }));
    await writeFile(path.join(importDir, 'doc-1', 'pages', 'page-3.bin'), 'never listed');
    // an import acme's sweep will not read: whatever its pages folders hold stays
    const unread = path.join(path.dirname(importDir), '0001-0badcafe');
    await mkdir(path.join(unread, 'doc-1', 'pages'), { recursive: true });
    await writeFile(path.join(unread, 'import.json'), '{"torn');

    const second = await startTestServer({ dir });
    started.push(second);
    expect((await second.started).removed).toEqual([path.join(relative, 'doc-1', 'pages', 'page-3.bin')]);
    await second.dispose();
    // acme's sweep read every import but one: the stop vouches for no domain, and says so by writing no mark
    expect(await readdir(dataRoot)).not.toContain(MARK);
  });

  it('counts for nothing beside a stale lock: a server that never knew the mark crashed after the clean stop', async () => {
    const { dir, dataRoot, importDir, relative } = await stoppedSite();
    await writeFile(path.join(dataRoot, '.toa-server.lock'), JSON.stringify({ pid: 2 ** 22 + 17, host: os.hostname(), startedAt: 'then' }));
    await writeFile(path.join(importDir, 'doc-1', 'pages', 'page-3.bin'), 'never listed');

    const second = await startTestServer({ dir });
    started.push(second);
    expect((await second.started).removed).toEqual([path.join(relative, 'doc-1', 'pages', 'page-3.bin')]);
    expect(await readdir(dataRoot)).not.toContain(MARK);
  });

  it('is taken and put back by an admin command that sweeps whole; fsck names when a pages leftover goes, and a stale lock it took over', async () => {
    const { dataRoot, importDir, relative, config } = await stoppedSite();
    const mark = path.join(dataRoot, MARK);
    await writeFile(mark, JSON.stringify({ stoppedAt: '2000-01-01T00:00:00.000Z', domains: ['acme'] }));
    const leftover = path.join(relative, 'doc-1', 'pages', '.upload-5e.tmp');
    await writeFile(path.join(dataRoot, leftover), 'cut short');
    const report = async (repair: boolean): Promise<FsckFinding[]> => {
      let findings: FsckFinding[] = [];
      await fsck(config, repair, { result: (data) => (findings = data.findings as FsckFinding[]), error: () => {} });
      return findings;
    };

    expect(await report(false)).toEqual([
      {
        path: leftover,
        problem: 'leftover of an interrupted write',
        fix: 'removed by fsck --repair, or at the next start after a crash (a start after a clean stop does not list pages folders)',
        repaired: false,
      },
    ]);
    await writeFile(path.join(dataRoot, '.toa-server.lock'), JSON.stringify({ pid: 2 ** 22 + 17, host: os.hostname(), startedAt: 'then' }));
    const repaired = await report(true);
    expect(repaired.map((f) => [f.path, f.fix, f.repaired])).toEqual([
      ['.toa-server.lock', 'taken over', true],
      [leftover, 'removed', true],
    ]);
    expect(repaired[0]?.problem).toMatch(/^data-root lock of a server that is gone \(pid 4194321 on .*, started then\)/);
    expect(await readdir(path.join(importDir, 'doc-1', 'pages'))).toEqual([]);
    // the repair took the mark, swept the whole data root and ran to its end: a new mark for the next start
    expect(JSON.parse(await readFile(mark, 'utf8'))).toEqual({ stoppedAt: expect.not.stringMatching(/^2000-/), domains: ['acme'] });
    expect(await readdir(dataRoot)).not.toContain('.toa-server.lock');
  });

  it('is withheld after a removal that failed in this process: what it could not remove is the next sweep’s', async () => {
    const { dir, dataRoot } = await stoppedSite();
    const server = await startTestServer({ dir });
    started.push(server);
    // a temporary that cannot be removed (its parent is a file): the removal fails, and is noted
    await expect(removeTemporary(path.join(dataRoot, '.toa-layout-version', 'child'))).rejects.toMatchObject({ code: 'ENOTDIR' });
    await server.dispose();
    expect(await readdir(dataRoot)).not.toContain(MARK);
  });
});
