import { createHash } from 'node:crypto';
import { readdir, readFile, readlink, writeFile } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { type Document, type Import, importSchema, sidecarSchema } from '@toa/api/imports';
import { paths } from '@toa/api/routes';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { base64Body, binaryContent, type Multipart, render } from './fixtures/mail/messages.js';
import { identityLines, importDirOf, rawRequest, report, requestHead } from './hostile/support.js';
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

/** What one complete download said about itself, and what arrived. */
interface Download {
  status: number;
  contentLength: number;
  etag: string;
  received: number;
  sha256: string;
}

/** Downloads a page to the end; a connection cut before the declared length ends rejects. */
async function download(pathname: string): Promise<Download> {
  const response = await alice(pathname);
  const body = Buffer.from(await response.arrayBuffer());
  return {
    status: response.status,
    contentLength: Number(response.headers.get('content-length')),
    etag: response.headers.get('etag') ?? '',
    received: body.length,
    sha256: sha256(body),
  };
}

/** The server's open descriptors (it runs in this process) that point into the data root. */
async function openDataFiles(): Promise<string[]> {
  const targets = await Promise.all((await readdir('/proc/self/fd')).map((fd) => readlink(path.join('/proc/self/fd', fd)).catch(() => '')));
  return targets.filter((target) => target.startsWith(server.dataRoot + path.sep));
}

/** Sends a GET, waits for the first bytes of the answer, then closes the connection as a cancelled download does. */
function abortedDownload(pathname: string): Promise<string> {
  const { hostname, port } = new URL(server.url);
  return new Promise((resolve, reject) => {
    const socket = net.connect(Number(port), hostname);
    socket.once('data', (chunk) => {
      socket.destroy();
      resolve(chunk.toString('latin1').split('\r\n')[0] ?? '');
    });
    socket.on('error', reject);
    socket.write(requestHead('GET', pathname, identityLines('alice@acme.example')));
  });
}

/** A whole GET on a connection of its own: the answer's head as text and its body as bytes. */
function rawDownload(pathname: string): Promise<{ head: string; body: Buffer }> {
  const { hostname, port } = new URL(server.url);
  return new Promise((resolve, reject) => {
    const socket = net.connect(Number(port), hostname);
    const chunks: Buffer[] = [];
    socket.on('data', (chunk) => chunks.push(chunk));
    socket.on('error', reject);
    socket.on('close', () => {
      const answer = Buffer.concat(chunks);
      const end = answer.indexOf('\r\n\r\n');
      resolve({ head: answer.subarray(0, end + 2).toString('latin1'), body: answer.subarray(end + 4) });
    });
    socket.write(requestHead('GET', pathname, identityLines('alice@acme.example')));
  });
}

async function eventually(check: () => Promise<boolean>, ms = 5000): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (await check()) return true;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return check();
}

describe('filenames with bidirectional formatting characters', () => {
  const BIDI = /[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]|%E2%80%A[A-E]|%E2%81%A[6-9]|%E2%80%8[EF]/i;

  it('an uploaded "invoice<RLO>fdp.exe" is stored and offered as "invoicefdp.exe"', async () => {
    const created = await newImport();
    const added = await alice(paths.pages('acme', created.id, 1), upload(Buffer.from('MZ'), 'invoice\u202Efdp.exe', 'application/octet-stream'));
    expect(added.status).toBe(201);
    expect(((await added.json()) as { filename: string }).filename).toBe('invoicefdp.exe');
    const download = await alice(paths.page('acme', created.id, 1, 1));
    expect(download.headers.get('content-disposition')).toBe('attachment; filename=invoicefdp.exe');
  });

  it('an attachment named with overrides and isolates (RFC 2231) is extracted and offered without them', async () => {
    const content = Buffer.from('not a screensaver');
    const eml = Buffer.from(
      render(
        {
          headers: ['From: ann@example.com', 'To: alice@acme.example', 'Subject: Photo', 'MIME-Version: 1.0', 'Content-Type: multipart/mixed; boundary="bd"'],
          boundary: 'bd',
          parts: [
            { headers: ['Content-Type: text/plain'], body: 'See the photo.' },
            {
              headers: [
                'Content-Type: application/octet-stream',
                "Content-Disposition: attachment; filename*=UTF-8''photo%E2%81%A6%E2%80%AEgpj%E2%81%A9.scr",
                'Content-Transfer-Encoding: base64',
              ],
              body: base64Body(content),
            },
          ],
        },
        '\r\n',
      ),
    );
    const created = await importWithMessage(eml);
    const extracted = await alice(paths.extract('acme', created.id, 1, 1), json('POST', {}));
    expect(extracted.status).toBe(201);
    const document = (await extracted.json()) as Document;
    expect(document.pages[0]?.filename).toBe('photogpj.scr');
    const download = await alice(paths.page('acme', created.id, document.n, 1));
    expect(download.headers.get('content-disposition')).not.toMatch(BIDI);
    expect(Buffer.from(await download.arrayBuffer())).toEqual(content);
  });
});

describe('downloads while the page changes or the client goes away', () => {
  it('a download overlapping an extract of the same page is whole: Content-Length, ETag and body agree', async () => {
    const attachments = Array.from({ length: 8 }, (_, i) => ({
      filename: `part-${i + 1}.pdf`,
      contentType: 'application/pdf',
      content: binaryContent(96 * 1024, i),
    }));
    const created = await importWithMessage(messageWith(attachments));
    const page = paths.page('acme', created.id, 1, 1);

    let extracting = true;
    const extracts = (async () => {
      try {
        for (;;) {
          const meta = sidecarSchema.parse(await (await alice(paths.pageMeta('acme', created.id, 1, 1))).json());
          const next = meta.attachments[0];
          if (next === undefined) return;
          const extracted = await alice(paths.extract('acme', created.id, 1, 1), json('POST', { attachments: [next.partId] }));
          expect(extracted.status).toBe(201);
        }
      } finally {
        extracting = false;
      }
    })();
    const downloads: Array<Download | string> = [];
    const downloader = async () => {
      while (extracting) downloads.push(await download(page).catch((error: unknown) => `aborted: ${String(error)}`));
    };
    await Promise.all([extracts, downloader(), downloader(), downloader(), downloader()]);

    const inconsistent = downloads.filter((d) => typeof d === 'string' || d.status !== 200 || d.received !== d.contentLength || d.etag !== `"${d.sha256}"`);
    report('downloads overlapping extracts', [{ extracts: attachments.length, downloads: downloads.length, inconsistent: inconsistent.length }]);
    expect(downloads.length).toBeGreaterThan(attachments.length);
    expect(inconsistent).toEqual([]);
  });

  it('an aborted download releases the page file at once', async () => {
    const created = await newImport();
    const big = Buffer.alloc(8 * 1024 * 1024, binaryContent(4096));
    // on a connection of its own: a pooled one may reach the server's keep-alive timeout just as 8 MB start to flow
    const body = Buffer.concat([
      Buffer.from('--big\r\nContent-Disposition: form-data; name="file"; filename="big.bin"\r\nContent-Type: application/octet-stream\r\n\r\n'),
      big,
      Buffer.from('\r\n--big--\r\n'),
    ]);
    const head = requestHead('POST', paths.pages('acme', created.id, 1), [
      ...identityLines('alice@acme.example'),
      'Content-Type: multipart/form-data; boundary=big',
      `Content-Length: ${body.length}`,
    ]);
    expect((await rawRequest(server.url, head, body)).status).toBe(201);
    const page = paths.page('acme', created.id, 1, 1);
    expect(await openDataFiles()).toEqual([]);

    // a descriptor left to the garbage collector is a leak even when the collector happens to run in time
    const closedByGc: string[] = [];
    const onWarning = (warning: Error) => {
      if (/on garbage collection/.test(warning.message)) closedByGc.push(warning.message);
    };
    process.on('warning', onWarning);
    const aborts = 20;
    let lingering = 0;
    try {
      for (let i = 0; i < aborts; i += 1) {
        expect(await abortedDownload(page)).toBe('HTTP/1.1 200 OK');
        if (!(await eventually(async () => (await openDataFiles()).length === 0, 1000))) lingering += 1;
      }
    } finally {
      process.off('warning', onWarning);
    }
    report('aborted downloads', [{ aborts, stillOpenAfter1s: lingering, closedByGc: closedByGc.length }]);
    expect({ lingering, closedByGc }).toEqual({ lingering: 0, closedByGc: [] });

    // and the server still serves the whole page (on a fresh connection, as above)
    const whole = await rawDownload(page);
    expect(whole.head).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
    expect(whole.head).toContain(`\r\nContent-Length: ${big.length}\r\n`);
    expect(sha256(whole.body)).toBe(sha256(big));
  });
});
