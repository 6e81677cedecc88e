import { readdir, stat } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { importSchema } from '@toa/api/imports';
import { paths } from '@toa/api/routes';
import { afterEach, describe, expect, it } from 'vitest';
import { foldedHeader } from './hostile/hostile-messages.js';
import { identityLines, importDirOf, requestHead } from './hostile/support.js';
import { json, startTestServer, type TestServer } from './support/server.js';

/**
 * Every way a page upload can end removes its temporary (`.upload-*.tmp`
 * beside the pages): a client gone at any point of its body or while its
 * message is parsed, a parse refused by the queue, and a server stopped
 * meanwhile, whose close() waits for the uploads in flight.
 */

const started: TestServer[] = [];
afterEach(async () => {
  for (const s of started.splice(0)) await s.dispose();
});

const BOUNDARY = 'toa-upload-temporaries';
const UPLOAD_TMP = /^\.upload-[0-9a-f]+\.tmp$/;
/** a message whose parse takes a while (hundreds of ms), so that a client can leave during it */
const HEAVY = foldedHeader(100_000);
const PART_HEAD = Buffer.from(`--${BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="heavy.eml"\r\nContent-Type: message/rfc822\r\n\r\n`);
const BODY = Buffer.concat([PART_HEAD, HEAVY, Buffer.from(`\r\n--${BOUNDARY}--\r\n`)]);

/** Every page upload's temporary under `dir`, with its size (-1: removed while looked at). */
async function uploadTemporaries(dir: string): Promise<Array<{ file: string; size: number }>> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  const found = entries.filter((e) => e.isFile() && UPLOAD_TMP.test(e.name)).map((e) => path.join(e.parentPath, e.name));
  return Promise.all(found.map(async (file) => ({ file, size: (await stat(file).catch(() => ({ size: -1 }))).size })));
}

async function until(condition: () => Promise<boolean>, what: string): Promise<void> {
  for (let i = 0; i < 6000; i += 1) {
    if (await condition()) return;
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  throw new Error(`never happened: ${what}`);
}

async function serverWithImport(limits: Record<string, unknown> = {}): Promise<{ server: TestServer; id: string; dir: string }> {
  const server = await startTestServer({ overrides: { limits: { parseWorkers: 1, ...limits } } });
  started.push(server);
  const alice = server.as('alice@acme.example');
  const { id } = importSchema.parse(await (await alice(paths.imports('acme'), json('POST', {}))).json());
  return { server, id, dir: importDirOf(server.dataRoot, 'acme', id) };
}

/** How much of `sent` body bytes reaches the file at least: busboy keeps back what could be the start of the boundary. */
function staged(sent: number): number {
  return sent - PART_HEAD.length - BOUNDARY.length - 8;
}

/** A raw upload of the heavy message that sends the first `sent` bytes of its body (of a declared whole). */
function upload(server: TestServer, id: string, sent: number): net.Socket {
  const { hostname, port } = new URL(server.url);
  const socket = net.connect(Number(port), hostname);
  socket.on('error', () => {});
  const head = requestHead('POST', paths.pages('acme', id, 1), [
    ...identityLines('alice@acme.example'),
    `Content-Type: multipart/form-data; boundary=${BOUNDARY}`,
    `Content-Length: ${BODY.length}`,
  ]);
  socket.write(Buffer.concat([Buffer.from(head), BODY.subarray(0, sent)]));
  return socket;
}

describe('page upload temporaries', () => {
  it('a client gone while its message is parsed, the server stopped at once: close() waits for the upload, its temporary is removed', async () => {
    const { server, id, dir } = await serverWithImport();
    const socket = upload(server, id, BODY.length);
    await until(async () => (await uploadTemporaries(dir)).some((t) => t.size === HEAVY.length), 'the whole body staged');

    // the user cancels, and the server is stopped (SIGTERM) right after
    socket.destroy();
    await server.close();

    expect(await uploadTemporaries(server.dataRoot)).toEqual([]);
  }, 60_000);

  it.each([
    ['in the file part', PART_HEAD.length + 1024],
    ['half-way through the message', PART_HEAD.length + Math.floor(HEAVY.length / 2)],
    ['before the closing boundary', PART_HEAD.length + HEAVY.length],
  ])(
    'a client gone %s: the temporary is removed, and close() leaves none',
    async (_where, sent) => {
      const { server, id, dir } = await serverWithImport();
      const socket = upload(server, id, sent);
      await until(async () => (await uploadTemporaries(dir)).some((t) => t.size >= staged(sent)), 'the bytes sent staged');
      socket.destroy();
      await until(async () => (await uploadTemporaries(dir)).length === 0, 'the temporary removed while the server runs');

      const again = upload(server, id, sent);
      await until(async () => (await uploadTemporaries(dir)).some((t) => t.size >= staged(sent)), 'the bytes sent staged');
      again.destroy();
      await server.close();
      expect(await uploadTemporaries(server.dataRoot)).toEqual([]);
    },
    60_000,
  );

  it('messages refused by a full parse queue (429, 503) and those parsed leave no temporary', async () => {
    const { server, id, dir } = await serverWithImport({ parseQueuePerUser: 1, parseQueueLength: 1 });
    const alice = server.as('alice@acme.example');
    const send = async (): Promise<number> => {
      const form = new FormData();
      form.append('file', new Blob([HEAVY], { type: 'message/rfc822' }), 'heavy.eml');
      const response = await alice(paths.pages('acme', id, 1), { method: 'POST', body: form });
      await response.arrayBuffer();
      return response.status;
    };
    const statuses = await Promise.all(Array.from({ length: 6 }, send));

    expect(statuses.some((s) => s === 429 || s === 503)).toBe(true);
    expect(statuses.every((s) => s === 201 || s === 429 || s === 503)).toBe(true);
    expect(await uploadTemporaries(dir)).toEqual([]);
  }, 60_000);
});
