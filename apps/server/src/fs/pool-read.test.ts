import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { listFolder, readText } from './pool-read.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'toa-pool-read-'));
});
afterEach(() => rm(dir, { recursive: true, force: true }));

describe('readText', () => {
  // 16 KiB is one read; sizes around it and around two reads, with 2-, 3- and 4-byte characters cut by the reads
  it.each([0, 1, 16_383, 16_384, 16_385, 32_768, 40_000, 200_001])('reads a file of %i bytes as readFile does', async (size) => {
    const unit = 'aé€𝄞';
    const text = unit.repeat(Math.ceil(size / Buffer.byteLength(unit))).slice(0, size);
    const file = path.join(dir, 'f.json');
    await writeFile(file, Buffer.from(text, 'utf8').subarray(0, size));
    expect(await readText(file)).toBe(await readFile(file, 'utf8'));
  });

  it('reads many files at once, each its own', async () => {
    const names = Array.from({ length: 200 }, (_, i) => `f${i}`);
    await Promise.all(names.map((name, i) => writeFile(path.join(dir, name), `${name}:`.repeat(i * 50))));
    const texts = await Promise.all(names.map((name) => readText(path.join(dir, name))));
    expect(texts).toEqual(names.map((name, i) => `${name}:`.repeat(i * 50)));
  });

  it('rejects with the errno code of what cannot be read', async () => {
    await expect(readText(path.join(dir, 'none'))).rejects.toMatchObject({ code: 'ENOENT' });
    await mkdir(path.join(dir, 'folder'));
    await expect(readText(path.join(dir, 'folder'))).rejects.toMatchObject({ code: 'EISDIR' });
  });
});

describe('listFolder', () => {
  it('lists the names in a folder, and rejects with ENOENT or ENOTDIR', async () => {
    await writeFile(path.join(dir, 'a'), '');
    await mkdir(path.join(dir, 'b'));
    expect((await listFolder(dir)).sort()).toEqual(['a', 'b']);
    await expect(listFolder(path.join(dir, 'none'))).rejects.toMatchObject({ code: 'ENOENT' });
    await expect(listFolder(path.join(dir, 'a'))).rejects.toMatchObject({ code: 'ENOTDIR' });
  });
});
