import { readdir, readFile } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { problemSchema } from '@toa/api/errors';
import { type Import, importSchema } from '@toa/api/imports';
import { paths } from '@toa/api/routes';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { binaryContent } from './fixtures/mail/messages.js';
import { identityLines, importDirOf, requestHead } from './hostile/support.js';
import { corpusDir } from './support/corpus.js';
import { json, startTestServer, type TestServer } from './support/server.js';

let server: TestServer;
let alice: ReturnType<TestServer['as']>;

beforeAll(async () => {
  server = await startTestServer();
  alice = server.as('alice@acme.example');
});
afterAll(() => server.dispose());

async function newImport(): Promise<Import> {
  return importSchema.parse(await (await alice(paths.imports('acme'), json('POST', {}))).json());
}

const BOUNDARY = 'toa-delete-race';

/** The multipart body of one file, split where the file's own bytes begin. */
function multipart(filename: string, contentType: string, content: Buffer): { partHead: Buffer; rest: Buffer } {
  return {
    partHead: Buffer.from(`--${BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="${filename}"\r\nContent-Type: ${contentType}\r\n\r\n`),
    rest: Buffer.concat([content, Buffer.from(`\r\n--${BOUNDARY}--\r\n`)]),
  };
}

/**
 * An upload whose body the test releases in steps: the request head goes out
 * at once, each `send` writes more, and `answer` is the status and problem
 * code the server gave.
 */
function stagedUpload(pathname: string, length: number) {
  const { hostname, port } = new URL(server.url);
  const socket = net.connect(Number(port), hostname);
  const chunks: Buffer[] = [];
  socket.on('data', (chunk) => chunks.push(chunk));
  const answer = new Promise<{ status: number; code: string | undefined }>((resolve) => {
    const done = () => {
      const text = Buffer.concat(chunks).toString('utf8');
      const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1] ?? 0);
      const body = text.slice(text.indexOf('\r\n\r\n') + 4);
      resolve({ status, code: body.startsWith('{') ? problemSchema.safeParse(JSON.parse(body)).data?.code : undefined });
    };
    socket.on('close', done);
    socket.on('error', () => socket.destroy());
  });
  socket.write(
    requestHead('POST', pathname, [
      ...identityLines('alice@acme.example'),
      `Content-Type: multipart/form-data; boundary=${BOUNDARY}`,
      `Content-Length: ${length}`,
    ]),
  );
  return { send: (bytes: Buffer) => new Promise<void>((resolve) => socket.write(bytes, () => resolve())), answer };
}

/** Temporaries of uploads under the data root (a removed import takes its own with it). */
async function uploadTemporaries(): Promise<string[]> {
  return (await readdir(server.dataRoot, { recursive: true })).filter((name) => path.basename(name).startsWith('.upload-'));
}

async function until(check: () => Promise<boolean>): Promise<void> {
  for (let i = 0; i < 200 && !(await check()); i += 1) await new Promise((resolve) => setTimeout(resolve, 25));
}

const eml = () => readFile(path.join(corpusDir, 'mikel-mail', 'attachment_emails', 'attachment_pdf.eml'));

describe('an import deleted while an upload to it is under way', () => {
  it('answers 404 when the delete comes after the checks, before the body is stored', async () => {
    const created = await newImport();
    const { partHead, rest } = multipart('scan.pdf', 'application/pdf', binaryContent(64 * 1024));
    const upload = stagedUpload(paths.pages('acme', created.id, 1), partHead.length + rest.length);
    // the server has read the head and passed its checks by now; the body has not begun
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect((await alice(paths.import('acme', created.id), { method: 'DELETE' })).status).toBe(204);
    await upload.send(partHead);
    await upload.send(rest);
    expect(await upload.answer).toEqual({ status: 404, code: 'IMPORT_NOT_FOUND' });
    expect(await uploadTemporaries()).toEqual([]);
  });

  it('answers 404 when the delete comes while the body of a message streams in', async () => {
    const created = await newImport();
    const bytes = await eml();
    const { partHead, rest } = multipart('message.eml', 'message/rfc822', bytes);
    const upload = stagedUpload(paths.pages('acme', created.id, 1), partHead.length + rest.length);
    await upload.send(Buffer.concat([partHead, rest.subarray(0, 100)]));
    await until(async () => (await uploadTemporaries()).length > 0);
    expect(await uploadTemporaries()).toHaveLength(1);
    expect((await alice(paths.import('acme', created.id), { method: 'DELETE' })).status).toBe(204);
    await upload.send(rest.subarray(100));
    expect(await upload.answer).toEqual({ status: 404, code: 'IMPORT_NOT_FOUND' });
  });

  it('answers 404 when the document is deleted while the body streams in', async () => {
    const created = await newImport();
    // a second document to delete: extract the attachment of a message
    const bytes = await eml();
    const form = new FormData();
    form.append('file', new Blob([bytes], { type: 'message/rfc822' }), 'message.eml');
    expect((await alice(paths.pages('acme', created.id, 1), { method: 'POST', body: form })).status).toBe(201);
    expect((await alice(paths.extract('acme', created.id, 1, 1), json('POST', {}))).status).toBe(201);

    const { partHead, rest } = multipart('scan.pdf', 'application/pdf', binaryContent(64 * 1024));
    const upload = stagedUpload(paths.pages('acme', created.id, 2), partHead.length + rest.length);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect((await alice(paths.document('acme', created.id, 2), { method: 'DELETE' })).status).toBe(204);
    await upload.send(partHead);
    await upload.send(rest);
    expect(await upload.answer).toEqual({ status: 404, code: 'DOCUMENT_NOT_FOUND' });
    expect(await readdir(importDirOf(server.dataRoot, 'acme', created.id))).not.toContain('doc-2');
  });
});
