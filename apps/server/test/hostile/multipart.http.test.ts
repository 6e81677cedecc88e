import { type Import, importSchema } from '@toa/api/imports';
import { paths } from '@toa/api/routes';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { json, startTestServer, type TestServer } from '../support/server.js';
import { identityLines, importDirOf, rawRequest, report, requestHead, snapshot, timed } from './support.js';

let server: TestServer;
let alice: ReturnType<TestServer['as']>;

beforeAll(async () => {
  server = await startTestServer({ overrides: { limits: { pageSizeMb: 1 } } });
  alice = server.as('alice@acme.example');
});
afterAll(() => server.dispose());

async function newImport(): Promise<Import> {
  return importSchema.parse(await (await alice(paths.imports('acme'), json('POST', {}))).json());
}

const CRLF = '\r\n';
const filePart = (boundary: string, content = 'abc', extraHeaders: string[] = []): string =>
  [`--${boundary}`, 'Content-Disposition: form-data; name="file"; filename="a.txt"', 'Content-Type: text/plain', ...extraHeaders, '', content].join(CRLF);
const closed = (boundary: string, ...parts: string[]): string => `${parts.join(CRLF)}${CRLF}--${boundary}--${CRLF}`;

/** A malformed or hostile multipart body: the Content-Type it is sent with and its bytes. */
interface Shape {
  name: string;
  contentType: string;
  body: string;
}

const long = (length: number): string => 'b'.repeat(length);

const SHAPES: Shape[] = [
  { name: 'no boundary parameter', contentType: 'multipart/form-data', body: closed('b', filePart('b')) },
  { name: 'an empty boundary parameter', contentType: 'multipart/form-data; boundary=', body: closed('', filePart('')) },
  { name: 'a boundary the body never uses', contentType: 'multipart/form-data; boundary=abc', body: closed('xyz', filePart('xyz')) },
  { name: 'garbage instead of a body', contentType: 'multipart/form-data; boundary=b', body: '\u0000\u00ff garbage \r\n\r\n--' },
  { name: 'a boundary only', contentType: 'multipart/form-data; boundary=b', body: `--b--${CRLF}` },
  { name: 'an empty body', contentType: 'multipart/form-data; boundary=b', body: '' },
  { name: 'no final boundary', contentType: 'multipart/form-data; boundary=b', body: filePart('b') },
  { name: 'a part without headers', contentType: 'multipart/form-data; boundary=b', body: `--b${CRLF}${CRLF}abc${CRLF}--b--${CRLF}` },
  {
    name: 'a part header without a colon',
    contentType: 'multipart/form-data; boundary=b',
    body: `--b${CRLF}no colon here${CRLF}${CRLF}abc${CRLF}--b--${CRLF}`,
  },
  {
    name: 'a 100 kB part header line',
    contentType: 'multipart/form-data; boundary=b',
    body: closed('b', filePart('b', 'abc', [`X-Long: ${'x'.repeat(100_000)}`])),
  },
  {
    name: '200 part header lines',
    contentType: 'multipart/form-data; boundary=b',
    body: closed(
      'b',
      filePart(
        'b',
        'abc',
        Array.from({ length: 200 }, (_, i) => `X-H${i}: v`),
      ),
    ),
  },
  {
    name: '10 000 parts',
    contentType: 'multipart/form-data; boundary=b',
    body: closed('b', ...Array.from({ length: 10_000 }, (_, i) => `--b${CRLF}Content-Disposition: form-data; name="f${i}"${CRLF}${CRLF}v`)),
  },
  {
    name: 'an empty field name on the file',
    contentType: 'multipart/form-data; boundary=b',
    body: closed('b', `--b${CRLF}Content-Disposition: form-data; name=""; filename="a.txt"${CRLF}${CRLF}abc`),
  },
  {
    name: 'a field without a name',
    contentType: 'multipart/form-data; boundary=b',
    body: closed('b', `--b${CRLF}Content-Disposition: form-data${CRLF}${CRLF}v`, filePart('b')),
  },
  {
    name: 'a 5 000-deep nested field name',
    contentType: 'multipart/form-data; boundary=b',
    body: closed('b', `--b${CRLF}Content-Disposition: form-data; name="a${'[b]'.repeat(5000)}"${CRLF}${CRLF}v`, filePart('b')),
  },
  {
    name: 'a nested field name within the length limit',
    contentType: 'multipart/form-data; boundary=b',
    body: closed('b', `--b${CRLF}Content-Disposition: form-data; name="a${'[b]'.repeat(30)}"${CRLF}${CRLF}v`, filePart('b')),
  },
  {
    name: 'a field value over the limit',
    contentType: 'multipart/form-data; boundary=b',
    body: closed('b', `--b${CRLF}Content-Disposition: form-data; name="note"${CRLF}${CRLF}${'v'.repeat(20_000)}`, filePart('b')),
  },
  { name: 'the file field twice', contentType: 'multipart/form-data; boundary=b', body: closed('b', filePart('b'), filePart('b')) },
  {
    name: 'a 71-character boundary (RFC 2046 allows 70)',
    contentType: `multipart/form-data; boundary=${long(71)}`,
    body: closed(long(71), filePart(long(71))),
  },
  { name: 'a 10 000-character boundary', contentType: `multipart/form-data; boundary=${long(10_000)}`, body: closed(long(10_000), filePart(long(10_000))) },
];

/** Shapes a lenient parser may accept as the one valid file they still carry; everything else must be a 4xx. */
const MAY_BE_ACCEPTED = new Set([
  'a nested field name within the length limit',
  'a 71-character boundary (RFC 2046 allows 70)',
  'a 10 000-character boundary',
  '200 part header lines',
]);

describe('hostile multipart bodies over raw sockets', () => {
  it('answers each with a clean 4xx (or keeps the one valid file), leaves nothing behind and keeps serving', async () => {
    const rows: Array<Record<string, string | number>> = [];
    for (const shape of SHAPES) {
      const created = await newImport();
      const dir = importDirOf(server.dataRoot, 'acme', created.id);
      const before = await snapshot(dir);
      const body = Buffer.from(shape.body, 'latin1');
      const head = requestHead('POST', paths.pages('acme', created.id, 1), [
        ...identityLines('alice@acme.example'),
        `Content-Type: ${shape.contentType}`,
        `Content-Length: ${body.length}`,
      ]);
      const { value: answer, ms } = await timed(() => rawRequest(server.url, head, body));
      const code = /"code":"([A-Z_]+)"/.exec(answer.text)?.[1] ?? '';
      rows.push({ shape: shape.name, status: answer.status ?? 'closed', code, ms });
      expect(answer.status, shape.name).toBeDefined();
      const status = answer.status as number;
      if (status === 201) {
        expect(MAY_BE_ACCEPTED.has(shape.name), `${shape.name} was accepted`).toBe(true);
        const stored = importSchema.parse(await (await alice(paths.import('acme', created.id))).json());
        expect(stored.documents[0]?.pages.map((page) => page.size)).toEqual([3]);
      } else {
        expect(status, shape.name).toBeGreaterThanOrEqual(400);
        expect(status, shape.name).toBeLessThan(500);
        expect(await snapshot(dir), shape.name).toEqual(before);
      }
      expect((await fetch(`${server.url}${paths.health()}`)).status).toBe(200);
    }
    report('hostile multipart bodies', rows);
  });

  it('leaves nothing behind when the client goes away mid-upload, and keeps serving', async () => {
    const rows: Array<Record<string, string | number>> = [];
    const folders: Array<{ dir: string; before: Map<string, string> }> = [];
    for (const sent of [0, 1, 100, 64 * 1024, 512 * 1024]) {
      const created = await newImport();
      const dir = importDirOf(server.dataRoot, 'acme', created.id);
      folders.push({ dir, before: await snapshot(dir) });
      const declared = 1024 * 1024 - 1024;
      const start = `--b${CRLF}Content-Disposition: form-data; name="file"; filename="a.bin"${CRLF}Content-Type: application/octet-stream${CRLF}${CRLF}`;
      const body = Buffer.concat([Buffer.from(start), Buffer.alloc(declared - start.length, 0x41)]).subarray(0, sent);
      const head = requestHead('POST', paths.pages('acme', created.id, 1), [
        ...identityLines('alice@acme.example'),
        'Content-Type: multipart/form-data; boundary=b',
        `Content-Length: ${declared}`,
      ]);
      const answer = await rawRequest(server.url, head, body, { abortAfterBody: true });
      rows.push({ bytesSentOfDeclared: `${sent} of ${declared}`, answer: answer.status ?? 'closed' });
      expect((await fetch(`${server.url}${paths.health()}`)).status).toBe(200);
    }
    // the server learns of an abort asynchronously: wait for its cleanup, then for every folder to be as it was
    await expect.poll(() => Promise.all(folders.map(({ dir }) => snapshot(dir))), { timeout: 10_000 }).toEqual(folders.map(({ before }) => before));
    report('aborted uploads', rows);
  });
});
