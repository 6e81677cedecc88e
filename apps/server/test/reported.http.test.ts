import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import {
  type AttachmentInfo,
  addPageResponseSchema,
  type Document,
  documentSchema,
  type Import,
  importSchema,
  type Sidecar,
  sidecarSchema,
} from '@toa/api/imports';
import { problemSchema } from '@toa/api/errors';
import { paths } from '@toa/api/routes';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { reportedMessage } from './support/corpus.js';
import { json, startTestServer, type TestServer, upload } from './support/server.js';

/**
 * Every row of the corpus README's table of reported faults (packages/fixtures/corpus/eml/README.md),
 * over real HTTP and real files: the message is uploaded as an EML page, its sidecar read from disk,
 * attachments extracted, pages downloaded. Expected values are the README's (or, where it says
 * "exact bytes" or "bytes unchanged", the part's body as the fixture spells it), never the code's.
 * Row 23 (transport padding) has its own test with the mailsplit fix.
 */

let server: TestServer;
let alice: ReturnType<TestServer['as']>;

beforeAll(async () => {
  // row 22 is a 3 MiB attachment: the page limit must let its message in
  server = await startTestServer({ overrides: { limits: { pageSizeMb: 8 } } });
  alice = server.as('alice@acme.example');
});
afterAll(() => server.dispose());

const sha256 = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');
/** The 101-byte PDF several fixtures attach, as their base64 bodies spell it. */
const PDF_A = Buffer.from(
  'JVBERi0xLjQKMSAwIG9iaiA8PC9UeXBlIC9DYXRhbG9nPj4gZW5kb2JqCiUgaW52b2ljZSBBIGZvciBleGFtcGxlLmNvbQp0cmFpbGVyIDw8L1Jvb3QgMSAwIFI+PgolJUVPRgo=',
  'base64',
);

interface Imported {
  id: string;
  source: Buffer;
  sidecar: Sidecar;
}

function pagesDir(id: string, n: number): string {
  const [date, folder] = id.split('_') as [string, string];
  return path.join(server.dataRoot, 'acme', date, folder, `doc-${n}`, 'pages');
}

/** Creates an import and uploads the fixture as its EML page; returns the sidecar as written on disk. */
async function importMessage(name: string): Promise<Imported> {
  const created = importSchema.parse(await (await alice(paths.imports('acme'), json('POST', {}))).json());
  const source = await readFile(reportedMessage(name));
  const response = await alice(paths.pages('acme', created.id, 1), upload(source, name, 'message/rfc822'));
  expect(response.status, name).toBe(201);
  const page = addPageResponseSchema.parse(await response.json());
  const sidecar = sidecarSchema.parse(JSON.parse(await readFile(path.join(pagesDir(created.id, 1), 'page-1.meta.json'), 'utf8')));
  expect(page.meta).toEqual(sidecar);
  return { id: created.id, source, sidecar };
}

async function extract(id: string, attachments?: string[], n = 1): Promise<Response> {
  return alice(paths.extract('acme', id, n, 1), json('POST', attachments ? { attachments } : {}));
}

async function extracted(id: string, attachments?: string[], n = 1): Promise<Document> {
  const response = await extract(id, attachments, n);
  const body = await response.json();
  expect(response.status, JSON.stringify(body)).toBe(201);
  return documentSchema.parse(body);
}

/** A page as downloaded, checked against what import.json records for it. */
async function download(id: string, n: number, m: number): Promise<{ bytes: Buffer; contentType: string | null }> {
  const response = await alice(paths.page('acme', id, n, m));
  expect(response.status).toBe(200);
  const bytes = Buffer.from(await response.arrayBuffer());
  const stored = importSchema.parse(await (await alice(paths.import('acme', id))).json());
  const page = stored.documents.find((d) => d.n === n)?.pages.find((p) => p.m === m);
  expect(page).toMatchObject({ size: bytes.length, sha256: sha256(bytes) });
  // Buffer.equals: a deep equality over megabytes would take the test's whole time
  expect((await readFile(path.join(pagesDir(id, n), `page-${m}.bin`))).equals(bytes)).toBe(true);
  return { bytes, contentType: response.headers.get('content-type') };
}

async function current(id: string): Promise<Import> {
  return importSchema.parse(await (await alice(paths.import('acme', id))).json());
}

async function problemOf(response: Response): Promise<{ status: number; code: string; detail: string }> {
  const problem = problemSchema.parse(await response.json());
  return { status: response.status, code: problem.code, detail: problem.detail };
}

const names = (attachments: AttachmentInfo[]) => attachments.map((a) => a.filename);
const byName = (sidecar: Sidecar, filename: string) => sidecar.attachments.find((a) => a.filename === filename) as AttachmentInfo;

/** Rows whose expected values are a list of (filename, size): every attachment listed so and extracted so. */
const LISTED: Array<[file: string, expected: Array<[filename: string, size: number]>]> = [
  ['01-rfc2231-continuation-split-encoded-word.eml', [['Přehled faktur – září.txt', 21]]],
  ['02-rfc2231-iso2022jp-continuation.eml', [['かきくけこさしすせそ.png', 70]]],
  ['03-rfc2231-utf8-nfd-continuation.eml', [['Übersicht Straße äöü.pdf', 101]]],
  ['05-missing-close-boundary.eml', [['invoice-2025-11.pdf', 101]]],
  [
    '10-zero-byte-attachments.eml',
    [
      ['empty.txt', 0],
      ['empty.bin', 0],
      ['real.pdf', 101],
    ],
  ],
  [
    '15-cte-trailing-space.eml',
    [
      ['a.pdf', 101],
      ['b.pdf', 337],
      ['c.pdf', 101],
    ],
  ],
  [
    '16-bare-cr-and-nul.eml',
    [
      ['cr-folded.pdf', 101],
      ['notes.txt', 38],
    ],
  ],
  [
    '21-fake-close-delimiter.eml',
    [
      ['data.txt', 32],
      ['last.pdf', 101],
    ],
  ],
  ['22-long-line-base64.eml', [['big.bin', 3_145_728]]],
  ['27-base64-concatenated-runs.eml', [['minutes.txt', 112]]],
];

describe('reported faults: attachments listed and extracted with the expected names and sizes', () => {
  for (const [file, expected] of LISTED) {
    it(file, async () => {
      const { id, sidecar } = await importMessage(file);
      expect(sidecar.attachments.map((a) => [a.filename, a.size])).toEqual(expected);
      const document = await extracted(id);
      expect(document.pages.map((p) => [p.filename, p.size])).toEqual(expected);
      for (const page of document.pages) {
        const { bytes } = await download(id, document.n, page.m);
        expect(bytes.length).toBe(page.size);
      }
      // nothing is left to take out, and the rewritten message is still one
      expect((await problemOf(await extract(id))).code).toBe('NOTHING_TO_EXTRACT');
    });
  }

  it('17 keeps a raw UTF-8 filename and 18 a quoted one with ";" and \'"\'', async () => {
    expect(names((await importMessage('17-raw-utf8-filename.eml')).sidecar.attachments)).toEqual(['Výkaz práce – říjen.xls']);
    const offer = await importMessage('18-semicolon-in-quoted-filename.eml');
    expect(names(offer.sidecar.attachments)).toEqual(['Offer; final "v2".pdf']);
    const document = await extracted(offer.id);
    expect(document.pages[0]?.filename).toBe('Offer; final "v2".pdf');
  });

  it('06 and 20 take out report.pdf / after.pdf with their exact bytes', async () => {
    for (const [file, filename] of [
      ['06-boundary-prefix-nested.eml', 'report.pdf'],
      ['20-nested-same-boundary.eml', 'after.pdf'],
    ] as const) {
      const { id, sidecar } = await importMessage(file);
      expect(names(sidecar.attachments)).toEqual([filename]);
      const document = await extracted(id);
      expect(document.pages.map((p) => p.filename)).toEqual([filename]);
      expect((await download(id, document.n, 1)).bytes).toEqual(PDF_A);
    }
  });

  it('11 lists two scan.pdf and two attached messages with the same subject as four distinct attachments', async () => {
    const { id, sidecar } = await importMessage('11-identical-filenames-and-nested-messages.eml');
    expect(sidecar.attachments).toHaveLength(4);
    expect(new Set(sidecar.attachments.map((a) => a.partId)).size).toBe(4);
    const document = await extracted(id);
    expect(document.pages).toHaveLength(4);
    const digests = await Promise.all(document.pages.map(async (p) => sha256((await download(id, document.n, p.m)).bytes)));
    expect(new Set(digests).size).toBe(4);
    expect(document.pages.filter((p) => p.contentType === 'message/rfc822' && p.sidecar !== undefined)).toHaveLength(2);
  });

  it('14 lists winmail.dat, 52 bytes, and extracts it unchanged', async () => {
    const { id, sidecar } = await importMessage('14-tnef-winmail-dat.eml');
    expect(sidecar.attachments.map((a) => [a.filename, a.size, a.contentType])).toEqual([['winmail.dat', 52, 'application/ms-tnef']]);
    const document = await extracted(id);
    const { bytes, contentType } = await download(id, document.n, 1);
    expect(bytes).toEqual(Buffer.from('eJ8+IgEGkAgABAAAAAAAAQABAGV4YW1wbGUgdG5lZiBzdHViAAAAAAAAAAAAAAAAAAAAAA==', 'base64'));
    expect(contentType).toBe('application/ms-tnef');
  });

  it('19 keeps both parts of an LF-only message and LF line ends in the rewrite', async () => {
    const { id, sidecar } = await importMessage('19-lf-only-line-endings.eml');
    expect(names(sidecar.attachments)).toEqual(['lf.pdf', 'rows.csv']);
    const first = await extracted(id, [byName(sidecar, 'rows.csv').partId]);
    expect(first.pages.map((p) => p.filename)).toEqual(['rows.csv']);
    const rewritten = (await download(id, 1, 1)).bytes;
    expect(rewritten.includes('\r')).toBe(false);
    const after = sidecarSchema.parse(await (await alice(paths.pageMeta('acme', id, 1, 1))).json());
    expect(names(after.attachments)).toEqual(['lf.pdf']);
    expect((await extracted(id)).pages.map((p) => p.filename)).toEqual(['lf.pdf']);
    expect((await download(id, 1, 1)).bytes.includes('\r')).toBe(false);
  });
});

describe('reported faults that failed before', () => {
  it('04 keeps the declared content type; the one guessed from the filename is only beside it', async () => {
    const { id, sidecar } = await importMessage('04-rfc2047-base64-split-multibyte.eml');
    // two encoded words that split one UTF-8 character decode as one byte sequence
    const filename = Buffer.concat([Buffer.from('esOhcGlzX2plZG7DoW7DrV92w71ib3J1X8SNN1/m', 'base64'), Buffer.from('sYfmgLsuanNvbg==', 'base64')]).toString(
      'utf8',
    );
    expect(sidecar.attachments).toMatchObject([{ filename, size: 45, contentType: 'application/octet-stream', typeFromFilename: 'application/json' }]);
    const document = await extracted(id);
    expect(document.pages[0]).toMatchObject({ filename, size: 45, contentType: 'application/octet-stream' });
    expect((await download(id, document.n, 1)).contentType).toBe('application/octet-stream');
  });

  it('07 copies the attachment of an S/MIME signed message and keeps the message byte for byte', async () => {
    const { id, source, sidecar } = await importMessage('07-smime-multipart-signed.eml');
    expect(sidecar.protection).toEqual({ kind: 'smime-signed' });
    // the signature is evidence about the message, not a document of its own
    expect(names(sidecar.attachments)).toEqual(['signed-invoice.pdf']);
    expect(await problemOf(await extract(id, ['2']))).toMatchObject({ status: 404, code: 'ATTACHMENT_NOT_FOUND' });

    const byDefault = await extracted(id);
    expect(byDefault.pages.map((p) => [p.filename, p.contentType])).toEqual([['signed-invoice.pdf', 'application/pdf']]);
    expect((await download(id, byDefault.n, 1)).bytes).toEqual(PDF_A);
    const afterDefault = await download(id, 1, 1);
    expect(afterDefault.bytes).toEqual(source);

    // the message still lists it (it was copied), so it can be chosen by part id as well
    const meta = sidecarSchema.parse(await (await alice(paths.pageMeta('acme', id, 1, 1))).json());
    expect(meta).toEqual(sidecar);
    const byId = await extracted(id, [byName(meta, 'signed-invoice.pdf').partId]);
    expect((await download(id, byId.n, 1)).bytes).toEqual(PDF_A);
    expect((await download(id, 1, 1)).bytes).toEqual(source);
    expect((await current(id)).documents.map((d) => d.n)).toEqual([1, 2, 3]);
  });

  it.skipIf(openssl === undefined)('07 still verifies with openssl smime -verify after every extract', async () => {
    const { id, sidecar } = await importMessage('07-smime-multipart-signed.eml');
    const page = path.join(pagesDir(id, 1), 'page-1.bin');
    await expectSignatureVerifies(page);
    await extracted(id);
    await expectSignatureVerifies(page);
    await extracted(id, [byName(sidecar, 'signed-invoice.pdf').partId]);
    await expectSignatureVerifies(page);

    // the check has teeth: one signed byte changed and openssl refuses
    const tampered = path.join(server.dir, 'tampered.eml');
    await writeFile(tampered, (await readFile(page, 'latin1')).replace('Signed invoice attached.', 'Signed invoice attached!'), 'latin1');
    await expect(run(openssl as string, ['smime', '-verify', '-noverify', '-in', tampered, '-out', `${tampered}.out`])).rejects.toThrow();
  });

  it('08 calls both Apple Mail PDFs attachments and takes both out by default', async () => {
    const { id, sidecar } = await importMessage('08-apple-mail-inline-pdf.eml');
    expect(sidecar.attachments.map((a) => [a.filename, a.inline])).toEqual([
      ['invoice-a.pdf', false],
      ['invoice-b.pdf', false],
    ]);
    const document = await extracted(id);
    expect(document.pages.map((p) => p.filename)).toEqual(['invoice-a.pdf', 'invoice-b.pdf']);
  });

  it('09 lists only invite.ics; the calendar alternative of the body stays in the message', async () => {
    const { id, sidecar } = await importMessage('09-calendar-invite-alternative.eml');
    expect(sidecar.attachments.map((a) => [a.filename, a.contentType])).toEqual([['invite.ics', 'application/ics']]);
    const document = await extracted(id);
    expect(document.pages.map((p) => p.filename)).toEqual(['invite.ics']);
    const rewritten = (await download(id, 1, 1)).bytes.toString('latin1');
    expect(rewritten).toContain('Content-Type: text/calendar; charset=utf-8; method=REQUEST');
    expect(rewritten).not.toContain('invite.ics');
  });

  it('10 keeps the empty attachments listed when a sibling is taken out', async () => {
    const { id, sidecar } = await importMessage('10-zero-byte-attachments.eml');
    await extracted(id, [byName(sidecar, 'real.pdf').partId]);
    const after = sidecarSchema.parse(await (await alice(paths.pageMeta('acme', id, 1, 1))).json());
    expect(after.attachments.map((a) => [a.filename, a.size])).toEqual([
      ['empty.txt', 0],
      ['empty.bin', 0],
    ]);
    const rest = await extracted(id);
    expect(rest.pages.map((p) => [p.filename, p.size])).toEqual([
      ['empty.txt', 0],
      ['empty.bin', 0],
    ]);
  });

  it('12 extracts an attached message that is not readable as e-mail as a plain page, alone and with the others', async () => {
    const alone = await importMessage('12-rfc822-base64-and-headerless.eml');
    expect(alone.sidecar.attachments.map((a) => a.partId)).toEqual(['2', '3']);
    const third = await extracted(alone.id, ['3']);
    expect(third.pages).toHaveLength(1);
    expect(third.pages[0]?.sidecar).toBeUndefined();
    expect(third.pages[0]?.contentType).not.toBe('message/rfc822');
    expect((await download(alone.id, third.n, 1)).bytes.toString('latin1')).toContain('body of the second one');

    const all = await importMessage('12-rfc822-base64-and-headerless.eml');
    const document = await extracted(all.id);
    expect(document.pages.map((p) => p.partId)).toEqual(['2', '3']);
    expect(document.pages[0]).toMatchObject({ filename: 'original.eml', contentType: 'message/rfc822', sidecar: 'page-1.meta.json' });
    const inner = sidecarSchema.parse(await (await alice(paths.pageMeta('acme', all.id, document.n, 1))).json());
    expect(inner.subject).toBe('Forwarded original');
    expect(names(inner.attachments)).toEqual(['scan.pdf']);
    expect(document.pages[1]?.sidecar).toBeUndefined();
  });

  it('13 decodes x-uuencode: 105 bytes with the expected sha256', async () => {
    const { id, sidecar } = await importMessage('13-x-uuencode-part.eml');
    expect(sidecar.attachments.map((a) => [a.filename, a.size])).toEqual([['legacy.dat', 105]]);
    const document = await extracted(id);
    const { bytes } = await download(id, document.n, 1);
    expect(bytes.length).toBe(105);
    expect(sha256(bytes)).toBe('fe25443d2ecd2e18c43761ed106fcbddc0fa2613431a6b00573ec8df889fd257');
  });

  it('25 is one opaque S/MIME message with nothing to extract', async () => {
    const { id, source, sidecar } = await importMessage('25-smime-opaque-p7m.eml');
    expect(sidecar.attachments).toEqual([]);
    expect(sidecar.protection).toEqual({ kind: 'smime-signed' });
    const refused = await problemOf(await extract(id));
    expect(refused).toMatchObject({ status: 422, code: 'NOTHING_TO_EXTRACT' });
    expect((await download(id, 1, 1)).bytes).toEqual(source);
  });
});

const run = promisify(execFile);

/** openssl on the PATH, where installed (CI installs it; .ci/run). */
const openssl = (process.env.PATH ?? '')
  .split(path.delimiter)
  .map((dir) => path.join(dir, 'openssl'))
  .find((candidate) => existsSync(candidate));

/** `openssl smime -verify -noverify`: the signature still matches the signed bytes (the signer's certificate is not judged). */
async function expectSignatureVerifies(file: string): Promise<void> {
  const { stderr } = await run(openssl as string, ['smime', '-verify', '-noverify', '-in', file, '-out', path.join(path.dirname(file), '.verified.tmp')]);
  expect(stderr).toContain('Verification successful');
  await rm(path.join(path.dirname(file), '.verified.tmp'));
}
