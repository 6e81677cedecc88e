import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { makeFoldersDurable, renameDurable, writeFileAtomic, writeFileDurable } from './atomic-fs.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'toa-durable-writers-'));
});
afterEach(() => rm(dir, { recursive: true, force: true }));

describe('the durable writes, run by writer threads', () => {
  it('write a new file and answer its identity as stat(2) gives it', async () => {
    const file = path.join(dir, 'new.json');
    const written = await writeFileDurable(file, 'é'.repeat(70_000));
    const stats = await stat(file, { bigint: true });
    expect(written).toEqual({ ino: stats.ino, size: stats.size, mtimeNs: stats.mtimeNs });
    expect(written.size).toBe(140_000n);
    expect(await readFile(file, 'utf8')).toBe('é'.repeat(70_000));
  });

  it('replace a file atomically: `visible` runs once the new content is at its name, before the answer', async () => {
    const target = path.join(dir, 'import.json');
    await writeFile(target, 'old');
    const seen: string[] = [];
    const answered = writeFileAtomic(target, new Uint8Array(Buffer.from('new')), undefined, {
      visible: () => {
        seen.push('visible');
        void readFile(target, 'utf8').then((text) => seen.push(`then read ${text}`));
      },
    });
    const written = await answered;
    seen.push('answered');
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(seen[0]).toBe('visible');
    expect(seen).toContain('then read new');
    expect(seen.indexOf('visible')).toBeLessThan(seen.indexOf('answered'));
    expect(written.size).toBe(3n);
    // no temporary left beside it
    expect(await readdir(dir)).toEqual(['import.json']);
  });

  it('answer errno errors with their code, and remove the temporary of a replace that failed', async () => {
    const taken = path.join(dir, 'taken');
    await writeFile(taken, 'x');
    await expect(writeFileDurable(taken, 'y')).rejects.toMatchObject({ code: 'EEXIST', syscall: 'open' });
    await expect(writeFileAtomic(path.join(dir, 'missing', 'a.json'), 'z')).rejects.toMatchObject({ code: 'ENOENT' });
    // the target is a folder with an entry: the rename fails after the temporary was written
    await mkdir(path.join(dir, 'folder'));
    await writeFile(path.join(dir, 'folder', 'inside'), '');
    const tmp = path.join(dir, '.folder.tmp');
    await expect(writeFileAtomic(path.join(dir, 'folder'), 'w', tmp)).rejects.toMatchObject({ code: expect.stringMatching(/^(EISDIR|ENOTEMPTY|EEXIST)$/) });
    expect((await readdir(dir)).sort()).toEqual(['folder', 'taken']);
    await expect(makeFoldersDurable([path.join(dir, 'folder')], [])).rejects.toMatchObject({ code: 'EEXIST' });
    await expect(renameDurable(path.join(dir, 'none'), path.join(dir, 'other'))).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('make folders in order and rename into them', async () => {
    const doc = path.join(dir, 'doc-1');
    const pages = path.join(doc, 'pages');
    await makeFoldersDurable([doc, pages], [doc]);
    await writeFile(path.join(dir, 'upload.tmp'), 'page');
    await renameDurable(path.join(dir, 'upload.tmp'), path.join(pages, 'page-1.bin'));
    expect(await readFile(path.join(pages, 'page-1.bin'), 'utf8')).toBe('page');
  });

  it('run many jobs at once, each with its own answer', async () => {
    const names = Array.from({ length: 64 }, (_, i) => `f${i}.json`);
    const written = await Promise.all(names.map((name, i) => writeFileAtomic(path.join(dir, name), `${name}:`.repeat(i + 1))));
    expect(written.map((file) => Number(file.size))).toEqual(names.map((name, i) => (name.length + 1) * (i + 1)));
    for (const [i, name] of names.entries()) expect(await readFile(path.join(dir, name), 'utf8')).toBe(`${name}:`.repeat(i + 1));
  });
});
