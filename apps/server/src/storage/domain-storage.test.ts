import { createHash } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { text } from 'node:stream/consumers';
import { importSchema } from '@toa/api/imports';
import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { AppError } from '../errors.js';
import { KeyedLock } from '../fs/keyed-lock.js';
import { extractParts } from '../mail/extract-parts.js';
import { mailWorkers } from '../mail/mail-worker-pool.js';
import { summarizeMessage } from '../mail/summarize-message.js';
import { ZonedTime } from '../zoned-time.js';
import { DomainStorage, type StagedPage } from './domain-storage.js';
import { Layout } from './layout.js';

const owner = { userId: 'u-1', userName: 'Alice', userEmail: 'alice@acme.example' };
const other = { userId: 'u-2', userName: 'Bob', userEmail: 'bob@acme.example' };
const anyone = () => {};
/** 2026-11-21 23:30 UTC is already 2026-11-22 00:30 in Prague: the folder follows the configured zone. */
const NOW = new Date('2026-11-21T23:30:00Z');

const MESSAGE = [
  'From: Alice <alice@acme.example>',
  'To: Bob <bob@acme.example>',
  'Subject: Invoice 42',
  'Date: Fri, 20 Nov 2026 10:00:00 +0100',
  'Message-ID: <invoice-42@acme.example>',
  'MIME-Version: 1.0',
  'Content-Type: text/plain; charset=utf-8',
  '',
  'Please find the invoice below.',
  '',
].join('\r\n');

/** A text body and one 7-byte PDF attachment (part 2). */
const WITH_ATTACHMENT = [
  'From: Alice <alice@acme.example>',
  'Subject: Invoice 42',
  'MIME-Version: 1.0',
  'Content-Type: multipart/mixed; boundary="b"',
  '',
  '--b',
  'Content-Type: text/plain',
  '',
  'The invoice is attached.',
  '--b',
  'Content-Type: application/pdf',
  'Content-Disposition: attachment; filename="invoice.pdf"',
  'Content-Transfer-Encoding: base64',
  '',
  Buffer.from('%PDF-42').toString('base64'),
  '--b--',
  '',
].join('\r\n');

let dir: string;
let storage: DomainStorage;

beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'toa-domain-storage-'));
  storage = new DomainStorage({
    layout: new Layout(dir),
    domain: 'acme',
    clock: { now: () => NOW },
    time: new ZonedTime('Europe/Prague'),
    locks: new KeyedLock(),
    mail: { summarizeMessage, extractParts },
    logger: pino({ level: 'silent' }),
  });
});
afterEach(() => rm(dir, { recursive: true, force: true }));

const sha256 = (bytes: string | Uint8Array) => createHash('sha256').update(bytes).digest('hex');
const body = (bytes: string | Uint8Array) => Readable.from([Buffer.from(bytes)]);

/** Every file and folder under the data root, relative to it, sorted. */
async function tree(): Promise<string[]> {
  return ((await readdir(dir, { recursive: true })) as string[]).map((entry) => entry.split(path.sep).join('/')).sort();
}

const temporaries = async () => (await tree()).filter((entry) => path.posix.basename(entry).endsWith('.tmp'));

describe('DomainStorage', () => {
  it('creates an import in the date folder of the configured zone, listed as a DRAFT with one empty document', async () => {
    const created = await storage.create(owner, { subject: 'Invoice 42' });
    expect(created.id).toMatch(/^2026-11-22_0030-[0-9a-f]{8}$/);
    const onDisk = importSchema.parse(JSON.parse(await readFile(path.join(storage.paths(created.id).dir, 'import.json'), 'utf8')));
    expect(onDisk).toEqual(created);
    expect(onDisk).toMatchObject({ status: 'DRAFT', domain: 'acme', userId: 'u-1', documents: [{ n: 1, templateId: null, pages: [] }] });
    expect(await tree()).toContain(`acme/2026-11-22/${created.id.slice(11)}/doc-1/pages`);
  });

  it('stages a body into a temporary it owns, then lists it as the next page; no temporary is left', async () => {
    const { id } = await storage.create(owner, {});
    const bytes = 'not a message, just bytes';
    const staged = await storage.stagePage(id, 1, body(bytes), { filename: 'scan.pdf', contentType: 'application/pdf' });
    expect(staged).toMatchObject({ filename: 'scan.pdf', contentType: 'application/pdf', size: bytes.length, sha256: sha256(bytes) });
    // the staged page carries no path: only storage knows where it lies
    expect(Object.keys(staged).sort()).toEqual(['contentType', 'discard', 'filename', 'sha256', 'size']);
    expect(JSON.stringify(staged)).not.toContain(dir);
    expect(await temporaries()).toHaveLength(1);

    const first = await storage.addPage(id, 1, staged, await storage.summarizeUpload(staged, owner.userId), anyone);
    const second = await storage.addPage(
      id,
      1,
      await storage.stagePage(id, 1, body('two'), { filename: 'b.bin', contentType: 'application/octet-stream' }),
      undefined,
      anyone,
    );
    expect([first.page.m, second.page.m]).toEqual([1, 2]);
    expect(await (await storage.pageBytes(id, 1, 1)).text()).toBe(bytes);
    expect((await storage.read(id)).documents[0]?.pages.map((p) => [p.m, p.size, p.sha256])).toEqual([
      [1, bytes.length, sha256(bytes)],
      [2, 3, sha256('two')],
    ]);
    expect(await temporaries()).toEqual([]);
  });

  it('summarizes a staged message into a sidecar written beside its page', async () => {
    const { id } = await storage.create(owner, {});
    const staged = await storage.stagePage(id, 1, body(MESSAGE), { filename: 'invoice.eml', contentType: 'message/rfc822' });
    const sidecar = await storage.summarizeUpload(staged, owner.userId);
    expect(sidecar).toMatchObject({ subject: 'Invoice 42', size: Buffer.byteLength(MESSAGE), sha256: sha256(MESSAGE) });
    const { page } = await storage.addPage(id, 1, staged, sidecar, anyone);
    expect(page.sidecar).toBe('page-1.meta.json');
    expect(JSON.parse(await readFile(path.join(storage.paths(id).pagesDir(1), 'page-1.meta.json'), 'utf8'))).toEqual(sidecar);
  });

  it('extracts with the listing its sidecar holds: the message is read once, by the cut, then only the rewritten one is summarized', async () => {
    // the real pool, observed: which passes over which file each extraction asks for
    const passes: string[] = [];
    const pool = mailWorkers();
    const run = pool.run.bind(pool);
    const observed = vi.spyOn(pool, 'run').mockImplementation((job, jobOwner) => {
      passes.push(job.kind === 'cut' ? `cut ${path.basename(job.args.source)}` : `${job.kind} ${path.basename(job.file)}`);
      return run(job, jobOwner);
    });
    try {
      const { id } = await storage.create(owner, {});
      const staged = await storage.stagePage(id, 1, body(WITH_ATTACHMENT), { filename: 'invoice.eml', contentType: 'message/rfc822' });
      await storage.addPage(id, 1, staged, await storage.summarizeUpload(staged, owner.userId), anyone);
      passes.length = 0;
      const { document } = await storage.extract(id, 1, 1, undefined, anyone);
      expect(document.pages).toMatchObject([{ filename: 'invoice.pdf', contentType: 'application/pdf', size: 7, partId: '2' }]);
      expect(passes).toEqual(['cut page-1.bin', expect.stringMatching(/^summarize \.page-1\.bin\..*\.tmp$/)]);

      // a sidecar that does not fit the page (here: gone) is rebuilt from the page first
      const { id: second } = await storage.create(owner, {});
      const again = await storage.stagePage(second, 1, body(WITH_ATTACHMENT), { filename: 'invoice.eml', contentType: 'message/rfc822' });
      await storage.addPage(second, 1, again, await storage.summarizeUpload(again, owner.userId), anyone);
      await rm(storage.paths(second).sidecarFile(1, 1));
      passes.length = 0;
      await storage.extract(second, 1, 1, ['2'], anyone);
      expect(passes.slice(0, 2)).toEqual(['summarize page-1.bin', 'cut page-1.bin']);
      expect(passes).toHaveLength(3);
    } finally {
      observed.mockRestore();
    }
  });

  it('leaves nothing behind when the body breaks off, when the caller discards, or when the guard refuses', async () => {
    const { id } = await storage.create(owner, {});
    const broken = new Readable({
      read() {
        this.push(Buffer.from('half a page'));
        this.destroy(new Error('the client went away'));
      },
    });
    await expect(storage.stagePage(id, 1, broken, { filename: 'a.bin', contentType: 'application/octet-stream' })).rejects.toThrow('the client went away');
    expect(await temporaries()).toEqual([]);

    const discarded = await storage.stagePage(id, 1, body('x'), { filename: 'a.bin', contentType: 'application/octet-stream' });
    await discarded.discard();
    await discarded.discard(); // harmless twice
    expect(await temporaries()).toEqual([]);

    const refused = await storage.stagePage(id, 1, body('y'), { filename: 'a.bin', contentType: 'application/octet-stream' });
    const guard = () => {
      throw new AppError('IMPORT_NOT_EDITABLE', 'submitted meanwhile');
    };
    await expect(storage.addPage(id, 1, refused, undefined, guard)).rejects.toMatchObject({ code: 'IMPORT_NOT_EDITABLE' });
    expect(await temporaries()).toEqual([]);
    expect((await storage.read(id)).documents[0]?.pages).toEqual([]);
  });

  it('refuses an unreadable message before the lock, and discards it', async () => {
    const { id } = await storage.create(owner, {});
    const staged = await storage.stagePage(id, 1, body(Buffer.alloc(64, 0)), { filename: 'x.eml', contentType: 'message/rfc822' });
    await expect(storage.summarizeUpload(staged, owner.userId)).rejects.toMatchObject({ code: 'MESSAGE_UNPARSEABLE' });
    expect(await temporaries()).toEqual([]);
  });

  it('takes only pages it staged itself', async () => {
    const { id } = await storage.create(owner, {});
    const forged: StagedPage = { filename: 'a', contentType: 'application/pdf', size: 1, sha256: sha256('a'), discard: async () => {} };
    await expect(storage.addPage(id, 1, forged, undefined, anyone)).rejects.toThrow('not staged by DomainStorage.stagePage');
    expect((await storage.read(id)).documents[0]?.pages).toEqual([]);
  });

  it('answers a stage for a deleted import with the file system’s ENOENT, which the service reads as a 404', async () => {
    const { id } = await storage.create(owner, {});
    await storage.deleteImport(id, anyone);
    await expect(storage.stagePage(id, 1, body('late'), { filename: 'a', contentType: 'application/pdf' })).rejects.toMatchObject({ code: 'ENOENT' });
    await expect(storage.read(id)).rejects.toMatchObject({ code: 'IMPORT_NOT_FOUND' });
  });

  it('keeps import.json as it was when a guard or a change throws', async () => {
    const { id } = await storage.create(owner, {});
    const before = await readFile(path.join(storage.paths(id).dir, 'import.json'), 'utf8');
    await expect(
      storage.update(
        id,
        () => {
          throw new AppError('IMPORT_NOT_FOUND', 'not yours');
        },
        () => {},
      ),
    ).rejects.toMatchObject({ code: 'IMPORT_NOT_FOUND' });
    await expect(
      storage.update(id, anyone, (draft) => {
        draft.status = 'FAILED';
        throw new Error('half-way');
      }),
    ).rejects.toThrow('half-way');
    expect(await readFile(path.join(storage.paths(id).dir, 'import.json'), 'utf8')).toBe(before);
  });

  it('serves a page as listed, and lists only the owner’s imports, newest first', async () => {
    const first = await storage.create(owner, {});
    await storage.create(other, {});
    const second = await storage.create(owner, {});
    await storage.addPage(
      first.id,
      1,
      await storage.stagePage(first.id, 1, body('page bytes'), { filename: 'p.bin', contentType: 'application/pdf' }),
      undefined,
      anyone,
    );
    const opened = await storage.openPage(first.id, 1, 1, anyone);
    expect(opened.size).toBe(10);
    expect(await text(opened.body)).toBe('page bytes');
    const listed = await storage.listOwned(owner.userId, { offset: 0, limit: 10 });
    expect(listed.total).toBe(2);
    const ids = listed.items.map((json) => (JSON.parse(json) as { id: string }).id);
    expect([...ids].sort()).toEqual([first.id, second.id].sort());
    expect(ids).toEqual([...ids].sort().reverse());
  });

  it('deletes an import whole: its id answers 404 at once and no folder or temporary remains', async () => {
    const { id } = await storage.create(owner, {});
    await storage.addPage(id, 1, await storage.stagePage(id, 1, body('x'), { filename: 'p.bin', contentType: 'application/pdf' }), undefined, anyone);
    await storage.deleteImport(id, anyone);
    await expect(storage.read(id)).rejects.toMatchObject({ code: 'IMPORT_NOT_FOUND' });
    expect(await tree()).toEqual(['acme', 'acme/2026-11-22']);
  });

  it('rejects a document number that is not a positive integer before building any path', async () => {
    const { id } = await storage.create(owner, {});
    await expect(storage.stagePage(id, 0, body('x'), { filename: 'a', contentType: 'application/pdf' })).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
    expect(() => storage.paths('../../etc_passwd')).toThrow(AppError);
  });
});
