import { createHash } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { type Document, type Import, importSchema } from '@toa/api/imports';
import { paths } from '@toa/api/routes';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { base64Body, binaryContent, type Multipart, render } from './fixtures/mail/messages.js';
import { importDirOf } from './hostile/support.js';
import { json, startTestServer, type TestServer, upload } from './support/server.js';

let server: TestServer;
let alice: ReturnType<TestServer['as']>;

beforeAll(async () => {
  server = await startTestServer({ overrides: { limits: { pageSizeMb: 16, requestsPerMinute: 100_000 } } });
  alice = server.as('alice@acme.example');
});
afterAll(() => server.dispose());

const sha256 = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');

async function newImport(): Promise<Import> {
  return importSchema.parse(await (await alice(paths.imports('acme'), json('POST', {}))).json());
}

/** A message with a text body and one base64 attachment per entry, each declared with the given Content-Type header value. */
function messageWith(attachments: ReadonlyArray<{ filename: string; contentType: string; content: Buffer }>): Buffer {
  const message: Multipart = {
    headers: [
      'From: "Ann Example" <ann@example.com>',
      'To: alice@acme.example',
      'Subject: Downloads',
      'Date: Sat, 21 Nov 2026 09:42:00 +0100',
      'Message-ID: <downloads@example.com>',
      'MIME-Version: 1.0',
      'Content-Type: multipart/mixed; boundary="dl"',
    ],
    boundary: 'dl',
    parts: [
      { headers: ['Content-Type: text/plain; charset=utf-8'], body: 'Attached.' },
      ...attachments.map(({ filename, contentType, content }) => ({
        headers: [`Content-Type: ${contentType}`, `Content-Disposition: attachment; filename="${filename}"`, 'Content-Transfer-Encoding: base64'],
        body: base64Body(content),
      })),
    ],
  };
  return Buffer.from(render(message, '\r\n'), 'utf8');
}

/** Uploads `eml` as page 1 of document 1 of a new import. */
async function importWithMessage(eml: Buffer): Promise<Import> {
  const created = await newImport();
  const added = await alice(paths.pages('acme', created.id, 1), upload(eml, 'message.eml', 'message/rfc822'));
  expect(added.status).toBe(201);
  return created;
}

describe('downloaded pages', () => {
  it('an extracted attachment declared "text/h€ml" downloads as application/octet-stream with its bytes', async () => {
    const content = Buffer.from('<p>not quite html</p>');
    const created = await importWithMessage(messageWith([{ filename: 'page.html', contentType: 'text/h\u20acml; name="page.html"', content }]));
    const extracted = await alice(paths.extract('acme', created.id, 1, 1), json('POST', {}));
    expect(extracted.status).toBe(201);
    const document = (await extracted.json()) as Document;
    expect(document.pages[0]?.contentType).toBe('application/octet-stream');

    const download = await alice(paths.page('acme', created.id, document.n, 1));
    expect(download.status).toBe(200);
    expect(download.headers.get('content-type')).toBe('application/octet-stream');
    expect(Buffer.from(await download.arrayBuffer())).toEqual(content);
  });

  it('a type stored before it was cleaned (or edited by hand) is cleaned on the way out', async () => {
    const created = await newImport();
    const pdf = binaryContent(2048);
    expect((await alice(paths.pages('acme', created.id, 1), upload(pdf, 'scan.pdf', 'application/pdf'))).status).toBe(201);
    const importFile = path.join(importDirOf(server.dataRoot, 'acme', created.id), 'import.json');
    for (const stored of ['text/h\u20acml', 'text/html\r\nSet-Cookie: a=b']) {
      const current = importSchema.parse(JSON.parse(await readFile(importFile, 'utf8')));
      (current.documents[0]?.pages[0] as { contentType: string }).contentType = stored;
      await writeFile(importFile, JSON.stringify(current));

      const download = await alice(paths.page('acme', created.id, 1, 1));
      expect(download.status, JSON.stringify(stored)).toBe(200);
      expect(download.headers.get('content-type')).toBe('application/octet-stream');
      expect(download.headers.get('set-cookie')).toBeNull();
      expect(sha256(Buffer.from(await download.arrayBuffer()))).toBe(sha256(pdf));
    }
  });
});
