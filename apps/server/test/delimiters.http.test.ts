import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { addPageResponseSchema, documentSchema, type Import, importSchema } from '@toa/api/imports';
import { paths } from '@toa/api/routes';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { reportedMessage } from './support/corpus.js';
import { json, startTestServer, type TestServer, upload } from './support/server.js';

// RFC 2046 §5.1.1: a delimiter line is CRLF "--" boundary, then transport
// padding (*LWSP-char: SP and HTAB) and CRLF; the close delimiter is the same
// with "--" after the boundary. Readers must accept the padding. Expected values
// are those of the corpus README row of 23-transport-padding-delimiter.eml.

const PAD_PDF = { filename: 'pad.pdf', size: 30, sha256: '73c201740d0164d4831d98ca9eeb514f2b521e1ae43079614c450574ff8ada7c' };

let server: TestServer;
let alice: ReturnType<TestServer['as']>;

beforeAll(async () => {
  server = await startTestServer();
  alice = server.as('alice@acme.example');
});
afterAll(() => server.dispose());

const sha256 = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');
const latin1 = (text: string): Buffer => Buffer.from(text, 'latin1');

async function newImport(): Promise<Import> {
  return importSchema.parse(await (await alice(paths.imports('acme'), json('POST', {}))).json());
}

/** Uploads `bytes` as the EML page of a new import, extracts `pad.pdf` from it and returns what HTTP shows of both. */
async function uploadAndExtract(bytes: Buffer) {
  const created = await newImport();
  const added = await alice(paths.pages('acme', created.id, 1), upload(bytes, 'padded.eml', 'message/rfc822'));
  expect(added.status).toBe(201);
  const listed = addPageResponseSchema.parse(await added.json()).meta?.attachments ?? [];
  const pdf = listed.find((attachment) => attachment.filename === PAD_PDF.filename);
  if (pdf === undefined) return { listed, pdf };

  const extracted = await alice(paths.extract('acme', created.id, 1, 1), json('POST', { attachments: [pdf.partId] }));
  expect(extracted.status).toBe(201);
  const sibling = documentSchema.parse(await extracted.json());
  const page = Buffer.from(await (await alice(paths.page('acme', created.id, sibling.n, 1))).arrayBuffer());
  const rewritten = Buffer.from(await (await alice(paths.page('acme', created.id, 1, 1))).arrayBuffer());
  return { listed, pdf, sibling, page, rewritten };
}

/** The message with the `pad.pdf` part taken out: its delimiter (the CRLF in front included), header block and body. */
function withoutPdfPart(message: Buffer): Buffer {
  const text = message.toString('latin1');
  const start = text.indexOf('\r\n--bp', text.indexOf('body text'));
  const end = text.indexOf('\r\n--bp--');
  expect(start).toBeGreaterThan(0);
  expect(end).toBeGreaterThan(start);
  return Buffer.concat([message.subarray(0, start), message.subarray(end)]);
}

describe('transport padding on delimiter lines (RFC 2046 §5.1.1)', () => {
  it('lists pad.pdf of 23-transport-padding-delimiter.eml with its exact bytes and keeps the close delimiter line on extraction', async () => {
    const message = await readFile(reportedMessage('23-transport-padding-delimiter.eml'));
    const { listed, pdf, sibling, page, rewritten } = await uploadAndExtract(message);

    expect(listed.map((attachment) => attachment.filename)).toEqual([PAD_PDF.filename]);
    expect(pdf).toMatchObject({ filename: PAD_PDF.filename, contentType: 'application/pdf', size: PAD_PDF.size, inline: false, isMessage: false });
    expect(sibling?.pages).toEqual([expect.objectContaining({ filename: PAD_PDF.filename, size: PAD_PDF.size, sha256: PAD_PDF.sha256, partId: pdf?.partId })]);
    expect(page?.length).toBe(PAD_PDF.size);
    expect(sha256(page ?? Buffer.alloc(0))).toBe(PAD_PDF.sha256);

    expect(rewritten).toEqual(withoutPdfPart(message));
    expect(rewritten?.toString('latin1').endsWith('\r\nbody text\r\n--bp--\r\n')).toBe(true);
  });

  it('keeps a padded close delimiter line and the epilogue byte for byte', async () => {
    const original = await readFile(reportedMessage('23-transport-padding-delimiter.eml'));
    const closeLine = '--bp-- \t \t\r\n';
    const message = Buffer.concat([original.subarray(0, original.lastIndexOf(latin1('--bp--\r\n'))), latin1(`${closeLine}epilogue, not a part\r\n`)]);
    const { pdf, page, rewritten } = await uploadAndExtract(message);

    expect(pdf?.size).toBe(PAD_PDF.size);
    expect(sha256(page ?? Buffer.alloc(0))).toBe(PAD_PDF.sha256);
    expect(rewritten).toEqual(withoutPdfPart(message));
    expect(rewritten?.toString('latin1').endsWith(`\r\nbody text\r\n${closeLine}epilogue, not a part\r\n`)).toBe(true);
  });

  it('accepts padding with LF line ends too', async () => {
    const original = (await readFile(reportedMessage('23-transport-padding-delimiter.eml'))).toString('latin1');
    const message = latin1(original.replaceAll('\r\n', '\n').replace('--bp--\n', '--bp--\t\n'));
    const { pdf, page, rewritten } = await uploadAndExtract(message);

    expect(pdf?.size).toBe(PAD_PDF.size);
    expect(sha256(page ?? Buffer.alloc(0))).toBe(PAD_PDF.sha256);
    expect(rewritten?.toString('latin1').endsWith('\nbody text\n--bp--\t\n')).toBe(true);
  });

  it('does not take a boundary followed by anything but padding for a delimiter', async () => {
    // "--bp -x" and "--bp --" are not delimiters (only SP and HTAB may follow, and "--" only right after the boundary)
    const message = latin1(
      [
        'From: a@example.com',
        'Subject: not delimiters',
        'MIME-Version: 1.0',
        'Content-Type: multipart/mixed; boundary="bp"',
        '',
        '--bp',
        'Content-Type: text/plain; name="lines.txt"',
        'Content-Disposition: attachment; filename="lines.txt"',
        '',
        '--bp -x',
        '--bp --',
        '--bpx',
        '--bp--',
        '',
      ].join('\r\n'),
    );
    const created = await newImport();
    const added = await alice(paths.pages('acme', created.id, 1), upload(message, 'lines.eml', 'message/rfc822'));
    expect(added.status).toBe(201);
    const listed = addPageResponseSchema.parse(await added.json()).meta?.attachments ?? [];
    // the body is the three lines, without the line break that belongs to the close delimiter
    expect(listed).toEqual([expect.objectContaining({ filename: 'lines.txt', size: '--bp -x\r\n--bp --\r\n--bpx'.length })]);
  });
});

describe('a delimiter of an enclosing multipart ends a nested one left open', () => {
  it('lists and extracts the part after a multipart/alternative that has no close delimiter, and keeps the alternative whole', async () => {
    const message = latin1(
      [
        'From: a@example.com',
        'Subject: unclosed alternative',
        'MIME-Version: 1.0',
        'Content-Type: multipart/mixed; boundary="outer"',
        '',
        '--outer',
        'Content-Type: multipart/alternative; boundary="inner"',
        '',
        '--inner',
        'Content-Type: text/plain',
        '',
        'plain body',
        '--inner',
        'Content-Type: text/html',
        '',
        '<p>html body</p>',
        '--outer',
        'Content-Type: application/pdf; name="pad.pdf"',
        'Content-Disposition: attachment; filename="pad.pdf"',
        'Content-Transfer-Encoding: base64',
        '',
        'JVBERi0xLjQKJSBwYWRkaW5nIHRlc3QKJSVFT0YK',
        '--outer--',
        '',
      ].join('\r\n'),
    );
    const { listed, pdf, page, rewritten } = await uploadAndExtract(message);

    expect(listed.map((attachment) => attachment.filename)).toEqual([PAD_PDF.filename]);
    expect(pdf).toMatchObject({ partId: '2', size: PAD_PDF.size });
    expect(sha256(page ?? Buffer.alloc(0))).toBe(PAD_PDF.sha256);
    const text = message.toString('latin1');
    const pdfPart = text.slice(text.indexOf('\r\n--outer\r\nContent-Type: application/pdf'), text.indexOf('\r\n--outer--'));
    expect(rewritten?.toString('latin1')).toBe(text.replace(pdfPart, ''));
  });
});
