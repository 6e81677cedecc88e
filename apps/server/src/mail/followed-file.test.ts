import { open, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { text } from 'node:stream/consumers';
import { describe, expect, it } from 'vitest';
import { withTempDir } from '../../test/fixtures/mail/messages.js';
import { FollowedFile } from './followed-file.js';

describe('FollowedFile', () => {
  it('reads a file while it is written, in slices with pauses, and ends at the size the writer announces', async () => {
    await withTempDir(async (dir) => {
      const file = path.join(dir, 'growing.eml');
      const slices = Array.from({ length: 40 }, (_, index) => `line ${index} ${'x'.repeat(index * 97)}\r\n`);
      const handle = await open(file, 'wx');
      const reader = new FollowedFile(file);
      const reading = text(reader);
      let size = 0;
      for (const slice of slices) {
        await handle.write(slice);
        size += Buffer.byteLength(slice);
        await sleep(2);
      }
      await handle.close();
      reader.complete(size);
      expect(await reading).toBe(slices.join(''));
    });
  });

  it('ends at the announced size, not at the end of what is there (an empty body; a file read in one go)', async () => {
    await withTempDir(async (dir) => {
      const file = path.join(dir, 'whole.eml');
      await writeFile(file, 'Subject: whole\r\n\r\nbody\r\n');
      const reader = new FollowedFile(file);
      reader.complete((await readFile(file)).length);
      expect(await text(reader)).toBe('Subject: whole\r\n\r\nbody\r\n');
      const empty = path.join(dir, 'empty.eml');
      await writeFile(empty, '');
      const none = new FollowedFile(empty);
      none.complete(0);
      expect(await text(none)).toBe('');
    });
  });

  it('fails when the writer breaks off, and when the file holds fewer bytes than announced', async () => {
    await withTempDir(async (dir) => {
      const file = path.join(dir, 'cut.eml');
      await writeFile(file, 'Subject: cut\r\n');
      const broken = new FollowedFile(file);
      const reading = text(broken);
      await sleep(20);
      broken.fail('the upload broke off');
      await expect(reading).rejects.toThrow('the upload broke off');
      const short = new FollowedFile(file);
      short.complete(1000);
      await expect(text(short)).rejects.toThrow('the file ended after 14 of its 1000 bytes');
    });
  });
});
