import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { anImport } from '../../test/support/an-import.js';
import { ImportFiles } from './import-files.js';

const ID = anImport().id;

let dir: string;
let file: string;
beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'toa-import-files-'));
  file = path.join(dir, 'import.json');
});
afterEach(() => rm(dir, { recursive: true, force: true }));

describe('ImportFiles', () => {
  it('reads back what it wrote, frozen, as the file holds it', async () => {
    const files = new ImportFiles();
    const stored = await files.write(file, anImport());
    const read = await files.read(file, ID, 'acme');
    expect(read).toEqual(JSON.parse(await readFile(file, 'utf8')));
    expect(read).toEqual(stored);
    expect(Object.isFrozen(read.documents[0]?.attributes)).toBe(true);
    expect(() => {
      (read.source as { subject?: string }).subject = 'changed';
    }).toThrow(TypeError);
  });

  it('sees a file replaced by hand after its own write, even one of the same size', async () => {
    const files = new ImportFiles();
    await files.write(file, anImport({ status: 'DRAFT' }));
    const before = await readFile(file, 'utf8');
    // FAILED is as long as DRAFT plus one letter: keep the size with one letter less in the subject
    const edited = before.replace('"DRAFT"', '"FAILED"').replace('"Invoice"', '"Invoic"');
    expect(edited.length).toBe(before.length);
    await writeFile(file, edited);
    expect((await files.read(file, ID, 'acme')).status).toBe('FAILED');
  });

  it('validates a file broken by hand after its own write, and answers a removed one as missing', async () => {
    const files = new ImportFiles();
    await files.write(file, anImport());
    await writeFile(file, '{"schemaVersion": 1, "id": "not an import"}');
    await expect(files.read(file, ID, 'acme')).rejects.toMatchObject({ code: 'IMPORT_UNREADABLE' });
    await files.write(file, anImport());
    await rm(file);
    await expect(files.read(file, ID, 'acme')).rejects.toMatchObject({ code: 'IMPORT_NOT_FOUND' });
  });

  it('an unchecked read hands out its own last write without the file; a checked read still finds the hand edit', async () => {
    const files = new ImportFiles();
    const stored = await files.write(file, anImport());
    await rm(file);
    // the check before a body: what this server wrote last, not looked at again
    expect(await files.read(file, ID, 'acme', true)).toBe(stored);
    // the check under the lock looks at the file
    await expect(files.read(file, ID, 'acme')).rejects.toMatchObject({ code: 'IMPORT_NOT_FOUND' });
    // nothing written by this server is remembered any more: an unchecked read reads the file too
    await expect(files.read(file, ID, 'acme', true)).rejects.toMatchObject({ code: 'IMPORT_NOT_FOUND' });
  });

  it('hands a writer a copy it may change, of its own last write or of a file read afresh', async () => {
    const files = new ImportFiles();
    const stored = await files.write(file, anImport({ status: 'DRAFT' }));
    // its own last write is parsed from the text it wrote, not cloned
    const clone = vi.spyOn(globalThis, 'structuredClone');
    const draft = files.draftOf(file, stored);
    expect(clone).not.toHaveBeenCalled();
    clone.mockRestore();
    expect(draft).toEqual(stored);
    expect(draft).not.toBe(stored);
    draft.status = 'FAILED';
    (draft.documents[0] as { attributes: Record<string, unknown> }).attributes.supplier = 'changed';
    expect(stored.status).toBe('DRAFT');
    expect(await files.read(file, ID, 'acme', true)).toBe(stored);
    // a file edited by hand is read afresh: its copy is of that value, not of the text last written
    await writeFile(file, (await readFile(file, 'utf8')).replace('"Invoice"', '"Invoice edited by hand"'));
    const fromDisk = await files.read(file, ID, 'acme');
    const copy = files.draftOf(file, fromDisk);
    expect(copy).toEqual(fromDisk);
    expect(copy.source.subject).toBe('Invoice edited by hand');
  });
});
