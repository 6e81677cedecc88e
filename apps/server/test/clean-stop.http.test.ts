import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { importSchema } from '@toa/api/imports';
import { paths } from '@toa/api/routes';
import { afterEach, describe, expect, it } from 'vitest';
import { removeTemporary } from '../src/fs/leftovers.js';
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
async function stoppedSite(): Promise<{ dir: string; dataRoot: string; importDir: string; relative: string }> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'toa-clean-stop-'));
  dirs.push(dir);
  const first = await startTestServer({ dir });
  const created = importSchema.parse(await (await first.as(USER)(paths.imports('acme'), json('POST', {}))).json());
  await first.dispose();
  const [date, folder] = created.id.split('_') as [string, string];
  const relative = path.join('acme', date, folder);
  return { dir, dataRoot: first.dataRoot, importDir: path.join(first.dataRoot, relative), relative };
}

describe('the clean-stop mark', () => {
  it('is written by a clean stop; the next start takes it, lists no pages folder and still sweeps the import folders', async () => {
    const { dir, dataRoot, importDir, relative } = await stoppedSite();
    expect(await readFile(path.join(dataRoot, MARK), 'utf8')).toMatch(/^stopped cleanly at \d{4}-\d\d-\d\dT\d\d:\d\d/);
    // what a hand restore might bring after the stop: in the import folder it is swept, in a pages folder it stays (fsck --repair removes it)
    await writeFile(path.join(importDir, '.import.json.77aa.tmp'), '{"torn');
    await writeFile(path.join(importDir, 'doc-1', 'pages', '.upload-1234.tmp'), 'partial');

    const second = await startTestServer({ dir });
    started.push(second);
    expect((await second.started).removed).toEqual([path.join(relative, '.import.json.77aa.tmp')]);
    expect((await readdir(importDir, { recursive: true })).sort()).toEqual(['doc-1', 'doc-1/pages', 'doc-1/pages/.upload-1234.tmp', 'import.json']);
    // taken at start: a crash from here on leaves no mark, and the start after it sweeps every pages folder
    expect(await readdir(dataRoot)).not.toContain(MARK);
    await second.dispose();
    expect(await readdir(dataRoot)).toContain(MARK);
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
