import net from 'node:net';
import { problemSchema } from '@toa/api/errors';
import { type Import, importSchema } from '@toa/api/imports';
import { paths } from '@toa/api/routes';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { identityLines, requestHead } from './hostile/support.js';
import { json, startTestServer, type TestServer, upload } from './support/server.js';

const UPLOADS_PER_USER = 2;
const BODY_IDLE_SECONDS = 1;
const BOUNDARY = 'toa-trickle';

let server: TestServer;

beforeAll(async () => {
  server = await startTestServer({ overrides: { limits: { uploadsPerUser: UPLOADS_PER_USER, bodyIdleSeconds: BODY_IDLE_SECONDS } } });
});
afterAll(() => server.dispose());

async function newImport(email: string): Promise<Import> {
  return importSchema.parse(await (await server.as(email)(paths.imports('acme'), json('POST', {}))).json());
}

interface Answer {
  status: number;
  headers: string;
  code: string | undefined;
  closedAfterMs: number;
}

/**
 * A client that sends the request head and the first bytes of a large page,
 * then nothing more: what a slow or greedy uploader looks like to the server.
 * `answer` settles when the server answers or closes the connection.
 */
function trickle(email: string, pathname: string): { socket: net.Socket; answer: Promise<Answer> } {
  const { hostname, port } = new URL(server.url);
  const socket = net.connect(Number(port), hostname);
  const started = Date.now();
  const chunks: Buffer[] = [];
  const answer = new Promise<Answer>((resolve) => {
    const done = () => {
      const text = Buffer.concat(chunks).toString('utf8');
      const head = text.slice(0, Math.max(0, text.indexOf('\r\n\r\n')));
      const body = text.slice(text.indexOf('\r\n\r\n') + 4);
      const code = body.startsWith('{') ? problemSchema.safeParse(JSON.parse(body)).data?.code : undefined;
      resolve({ status: Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1] ?? 0), headers: head, code, closedAfterMs: Date.now() - started });
    };
    socket.on('data', (chunk) => {
      chunks.push(chunk);
      // a complete problem answer is enough; the server need not close a refused upload's connection
      if (/\r\n\r\n\{.*\}$/s.test(Buffer.concat(chunks).toString('utf8'))) done();
    });
    socket.on('close', done);
    socket.on('error', () => socket.destroy());
  });
  socket.write(
    requestHead('POST', pathname, [...identityLines(email), `Content-Type: multipart/form-data; boundary=${BOUNDARY}`, `Content-Length: ${1024 * 1024}`]) +
      `--${BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="slow.pdf"\r\nContent-Type: application/pdf\r\n\r\n%PDF-1.7\n`,
  );
  return { socket, answer };
}

describe('greedy and slow uploaders', () => {
  it('refuses a user one upload past the cap with 429 and Retry-After, while another user uploads', async () => {
    const greedy = await newImport('mallory@acme.example');
    const pathname = paths.pages('acme', greedy.id, 1);
    const held = Array.from({ length: UPLOADS_PER_USER }, () => trickle('mallory@acme.example', pathname));
    // the held uploads are counted once the server has their heads; until then the extra one may slip in
    await new Promise((resolve) => setTimeout(resolve, 200));
    const extra = await trickle('mallory@acme.example', pathname).answer;
    expect(extra.status).toBe(429);
    expect(extra.code).toBe('UPLOADS_IN_PROGRESS');
    expect(Number(/^retry-after: (\d+)$/im.exec(extra.headers)?.[1])).toBeGreaterThan(0);

    const honest = await newImport('alice@acme.example');
    const alice = server.as('alice@acme.example');
    const stored = await alice(paths.pages('acme', honest.id, 1), upload(Buffer.from('%PDF-1.7\nhonest\n'), 'scan.pdf', 'application/pdf'));
    expect(stored.status).toBe(201);
    for (const { socket } of held) socket.destroy();
  });

  it('ends a body that sends nothing for the configured idle time, and frees its slot', async () => {
    const created = await newImport('sloth@acme.example');
    const pathname = paths.pages('acme', created.id, 1);
    const stalled = await Promise.all(Array.from({ length: UPLOADS_PER_USER }, () => trickle('sloth@acme.example', pathname).answer));
    for (const ended of stalled) {
      expect(ended.status === 0 || ended.status === 408).toBe(true);
      expect(ended.closedAfterMs).toBeGreaterThanOrEqual(BODY_IDLE_SECONDS * 1000 - 100);
      expect(ended.closedAfterMs).toBeLessThan(BODY_IDLE_SECONDS * 1000 + 10_000);
    }
    // the stalled uploads give their slots back once their temporaries are removed, and leave no page behind
    const sloth = server.as('sloth@acme.example');
    let stored = await sloth(pathname, upload(Buffer.from('%PDF-1.7\nlater\n'), 'scan.pdf', 'application/pdf'));
    for (let i = 0; i < 40 && stored.status === 429; i += 1) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      stored = await sloth(pathname, upload(Buffer.from('%PDF-1.7\nlater\n'), 'scan.pdf', 'application/pdf'));
    }
    expect(stored.status).toBe(201);
    const after = importSchema.parse(await (await server.as('sloth@acme.example')(paths.import('acme', created.id))).json());
    expect(after.documents[0]?.pages).toHaveLength(1);
  });
});
