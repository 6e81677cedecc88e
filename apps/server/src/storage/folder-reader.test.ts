import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { anImport } from '../../test/support/an-import.js';
import { FolderReaders, folderReaders } from './folder-reader.js';
import { inspectImportFile } from './import-files.js';

const DATE = '2026-11-30';

function importJson(folder: string, domain = 'acme'): string {
  return JSON.stringify(anImport({ id: `${DATE}_${folder}`, domain, status: 'SUBMITTED' }));
}

let root: string;
let dateDir: string;
let readers: FolderReaders | undefined;
beforeEach(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), 'toa-folder-reader-'));
  dateDir = path.join(root, 'acme', DATE);
  await mkdir(dateDir, { recursive: true });
});
afterEach(async () => {
  readers?.release();
  readers = undefined;
  await rm(root, { recursive: true, force: true });
});

/** An import folder with `files` (relative path → content) and the given folders. */
async function folderWith(folder: string, files: Record<string, string>, folders: string[] = []): Promise<string> {
  const dir = path.join(dateDir, folder);
  await mkdir(dir, { recursive: true });
  for (const sub of folders) await mkdir(path.join(dir, sub), { recursive: true });
  for (const [name, text] of Object.entries(files)) await writeFile(path.join(dir, name), text);
  return dir;
}

describe('FolderReaders', () => {
  it('reads a date folder newest first, each import with its verdict and pages, as inspectImportFile sees them', async () => {
    await folderWith('0900-0000000a', { 'import.json': importJson('0900-0000000a'), 'doc-1/pages/page-1.bin': 'x', 'doc-1/pages/.upload-1.tmp': '' }, [
      'doc-1/pages',
      'doc-2',
    ]);
    await folderWith('1000-0000000b', { 'import.json': '{"half' });
    await folderWith('1100-0000000c', { 'import.json': importJson('1100-0000000c', 'globex') });
    await folderWith('1200-0000000d', {}, ['doc-1/pages']);
    const linked = await folderWith('1300-0000000e', {});
    await symlink(path.join(root, 'nowhere.json'), path.join(linked, 'import.json'));
    await writeFile(path.join(dateDir, '.1400-0000000f.3a2b.tmp'), '');

    readers = FolderReaders.acquire();
    const read = await readers.readDate(dateDir, DATE, 'acme', true);

    expect(read.entries).toEqual(['1300-0000000e', '1200-0000000d', '1100-0000000c', '1000-0000000b', '0900-0000000a', '.1400-0000000f.3a2b.tmp']);
    expect(read.imports.map((i) => i.folder)).toEqual(['1300-0000000e', '1200-0000000d', '1100-0000000c', '1000-0000000b', '0900-0000000a']);
    for (const one of read.imports) {
      const expected = await inspectImportFile(path.join(dateDir, one.folder, 'import.json'), `${DATE}_${one.folder}`, 'acme');
      expect(one.found, one.folder).toEqual(expected);
    }
    expect(read.imports.map((i) => i.found.state)).toEqual(['unreadable', 'missing', 'misplaced', 'unreadable', 'ok']);
    const oldest = read.imports[4];
    expect(oldest?.entries.sort()).toEqual(['doc-1', 'doc-2', 'import.json']);
    // doc-2 has no pages folder: fsck's to report, nothing for the sweep to list
    expect(oldest?.pages).toEqual({ 'doc-1': expect.arrayContaining(['page-1.bin', '.upload-1.tmp']), 'doc-2': [] });
    expect(oldest?.pages['doc-1']).toHaveLength(2);

    // after a clean stop: the same reads, the pages folders left unlisted
    const unpaged = await readers.readDate(dateDir, DATE, 'acme', false);
    expect(unpaged.imports.map(({ pages, ...rest }) => rest)).toEqual(read.imports.map(({ pages, ...rest }) => rest));
    expect(unpaged.imports.map((i) => i.pages)).toEqual(read.imports.map(() => ({})));
  });

  it('reads one import folder again, and a folder that is gone as empty', async () => {
    const dir = await folderWith('0900-0000000a', { 'import.json': importJson('0900-0000000a') });
    readers = FolderReaders.acquire();
    const read = await readers.readImport(dir, `${DATE}_0900-0000000a`, 'acme');
    expect(read.found.state).toBe('ok');
    expect(read.entries).toEqual(['import.json']);
    expect(await readers.readImport(path.join(dateDir, '0901-0000000b'), `${DATE}_0901-0000000b`, 'acme')).toEqual({
      folder: '0901-0000000b',
      entries: [],
      found: { state: 'missing' },
      pages: {},
    });
    expect(await readers.readDate(path.join(root, 'acme', '2026-12-01'), '2026-12-01', 'acme', true)).toEqual({ entries: [], imports: [] });
  });

  it('rejects with the errno code of a listing that fails, and serves the next jobs', async () => {
    await writeFile(path.join(root, 'acme', '2026-12-01'), 'a file where a date folder belongs');
    readers = FolderReaders.acquire();
    await expect(readers.readDate(path.join(root, 'acme', '2026-12-01'), '2026-12-01', 'acme', true)).rejects.toMatchObject({ code: 'ENOTDIR' });
    expect((await readers.readDate(dateDir, DATE, 'acme', true)).imports).toEqual([]);
  });

  it('is shared by the passes at once and refuses work once the last one released it', async () => {
    const first = FolderReaders.acquire();
    const second = FolderReaders.acquire();
    expect(second).toBe(first);
    first.release();
    expect((await second.readDate(dateDir, DATE, 'acme', true)).imports).toEqual([]);
    second.release();
    await expect(second.readDate(dateDir, DATE, 'acme', true)).rejects.toThrow(/released/);
    readers = FolderReaders.acquire();
    expect(readers).not.toBe(first);
    expect((await readers.readDate(dateDir, DATE, 'acme', true)).imports).toEqual([]);
  });

  it('reads a small domain inline, as the threads read it; a large one with the threads', async () => {
    await folderWith('0900-0000000a', { 'import.json': importJson('0900-0000000a'), 'doc-1/pages/page-1.bin': 'x' }, ['doc-1/pages']);
    await folderWith('1000-0000000b', { 'import.json': '[]' });
    const inline = folderReaders(1);
    expect(inline).not.toBeInstanceOf(FolderReaders);
    readers = FolderReaders.acquire();
    expect(folderReaders(1000)).toBe(readers);
    readers.release();
    expect(await inline.readDate(dateDir, DATE, 'acme', true)).toEqual(await readers.readDate(dateDir, DATE, 'acme', true));
    await writeFile(path.join(root, 'acme', '2026-12-01'), '');
    await expect(inline.readDate(path.join(root, 'acme', '2026-12-01'), '2026-12-01', 'acme', true)).rejects.toMatchObject({ code: 'ENOTDIR' });
  });
});
