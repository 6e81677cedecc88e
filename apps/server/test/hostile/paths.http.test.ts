import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { addPageResponseSchema, type Import, importSchema } from '@toa/api/imports';
import { pathTo, paths, ROUTES } from '@toa/api/routes';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { nestedMixed, render } from '../fixtures/mail/messages.js';
import { json, startTestServer, type TestServer, upload } from '../support/server.js';
import { PROCESS_LOCK_FILE } from '../../src/storage/layout.js';
import { identityLines, importDirOf, rawRequest, report, requestHead, snapshot, timed } from './support.js';

let server: TestServer;
let alice: ReturnType<TestServer['as']>;
let created: Import;

beforeAll(async () => {
  server = await startTestServer({ overrides: { limits: { requestsPerMinute: 1_000_000 } } });
  alice = server.as('alice@acme.example');
  created = importSchema.parse(await (await alice(paths.imports('acme'), json('POST', {}))).json());
  const page = await alice(paths.pages('acme', created.id, 1), upload(Buffer.from(render(nestedMixed, '\r\n')), 'm.eml', 'message/rfc822'));
  expect(page.status).toBe(201);
});
afterAll(() => server.dispose());

/** Path segments as they go on the wire (already percent-encoded where they are encoded). */
const HOSTILE_SEGMENTS: Record<string, string> = {
  'dot-dot': '..',
  dot: '.',
  'encoded dot-dot': '%2e%2e',
  'encoded dot-dot, upper case': '%2E%2E',
  'half-encoded dot-dot': '.%2e',
  'encoded ../../etc': '%2e%2e%2f%2e%2e%2fetc',
  '..%2f traversal': '..%2f..%2f..%2fetc%2fpasswd',
  'encoded slash': '%2f',
  'encoded absolute path': '%2fetc%2fpasswd',
  'encoded backslash': '%5c',
  '..%5c traversal': '..%5c..%5cwindows',
  NUL: '%00',
  'NUL after a valid domain': 'acme%00',
  'NUL after a number': '1%00',
  'NUL after a valid-looking id': '2026-11-21_0942-3fa85f64%00',
  'overlong UTF-8 dot-dot': '%C0%AE%C0%AE',
  'fullwidth dot-dot': '%EF%BC%8E%EF%BC%8E',
  'one-dot leaders': '%E2%80%A4%E2%80%A4',
  'division slash': '%E2%88%95etc',
  'fullwidth "acme"': '%EF%BD%81%EF%BD%83%EF%BD%8D%EF%BD%85',
  'upper-case domain': 'ACME',
  'trailing blank': 'acme%20',
  'malformed escape': '%zz',
  'negative number': '-1',
  zero: '0',
  fraction: '1.5',
  exponent: '1e3',
  'a huge number': '9'.repeat(400),
  '10 000 characters': 'a'.repeat(10_000),
};

type Route = { method: string; template: string; body?: string; contentType?: string; as?: string };

const ROUTE_CALLS: Route[] = [
  { method: 'GET', template: ROUTES.templates },
  { method: 'POST', template: ROUTES.imports, body: '{}', contentType: 'application/json' },
  { method: 'GET', template: ROUTES.imports },
  { method: 'GET', template: ROUTES.import },
  { method: 'DELETE', template: ROUTES.import },
  { method: 'POST', template: ROUTES.submit },
  {
    method: 'PUT',
    template: ROUTES.document,
    // valid in itself, so that only the path can be what is refused
    body: '{"templateId":"invoice","attributes":{"supplier":"Mallory","invoiceDate":"2026-11-21","department":"FIN"}}',
    contentType: 'application/json',
  },
  { method: 'DELETE', template: ROUTES.document },
  {
    method: 'POST',
    template: ROUTES.pages,
    body: '--b\r\nContent-Disposition: form-data; name="file"; filename="a.txt"\r\n\r\nabc\r\n--b--\r\n',
    contentType: 'multipart/form-data; boundary=b',
  },
  { method: 'GET', template: ROUTES.page },
  { method: 'GET', template: ROUTES.pageMeta },
  { method: 'POST', template: ROUTES.extract, body: '{}', contentType: 'application/json' },
  { method: 'GET', template: ROUTES.audit, as: 'admin@acme.example' },
];

/** The process lock is the running server's own business (it may rewrite it at any time). */
const isProcessLock = (relative: string): boolean => path.basename(relative) === PROCESS_LOCK_FILE;

/** The hostile segments are already as they go on the wire: filled in as they are. */
function fill(template: string, values: Record<string, string>): string {
  return pathTo(template, values, (segment) => segment);
}

describe('hostile path parameters', () => {
  it('refuses every hostile value in every parameter of every route with 400 or 404, and nothing changes on disk', async () => {
    const before = await snapshot(server.dir, isProcessLock);
    const valid: Record<string, string> = { domain: 'acme', id: created.id, n: '1', m: '1' };
    const counts = new Map<number, number>();
    let worst = { ms: 0, request: '' };
    for (const call of ROUTE_CALLS) {
      for (const param of [...call.template.matchAll(/:(\w+)/g)].map((match) => match[1] as string)) {
        for (const [name, segment] of Object.entries(HOSTILE_SEGMENTS)) {
          const target = fill(call.template, { ...valid, [param]: segment });
          const body = Buffer.from(call.body ?? '');
          const head = requestHead(call.method, target, [
            ...identityLines(call.as ?? 'alice@acme.example'),
            ...(call.contentType ? [`Content-Type: ${call.contentType}`] : []),
            `Content-Length: ${body.length}`,
          ]);
          const { value: answer, ms } = await timed(() => rawRequest(server.url, head, body));
          const label = `${call.method} ${call.template} with ${param} = ${name}`;
          expect([400, 404], `${label}: ${answer.text.slice(0, 300)}`).toContain(answer.status);
          counts.set(answer.status as number, (counts.get(answer.status as number) ?? 0) + 1);
          if (ms > worst.ms) worst = { ms, request: label };
        }
      }
    }
    expect(await snapshot(server.dir, isProcessLock)).toEqual(before);
    report('hostile path parameters', [
      {
        requests: [...counts.values()].reduce((a, b) => a + b, 0),
        ...Object.fromEntries([...counts].map(([status, count]) => [`answered ${status}`, count])),
        worstMs: worst.ms,
        slowest: worst.request,
      },
    ]);
  });

  it('keeps upload filenames as cleaned metadata only: the page is page-M.bin and nothing lands elsewhere', async () => {
    const importDir = importDirOf(server.dataRoot, 'acme', created.id);
    // the import folder and the audit log change, as they should; nothing else may
    const elsewhere = (relative: string): boolean =>
      isProcessLock(relative) || relative.startsWith(path.relative(server.dir, importDir)) || relative.startsWith(path.relative(server.dir, server.logDir));
    const outside = await snapshot(server.dir, elsewhere);
    const names: Record<string, string> = {
      'dot-dot path': 'filename="../../../../tmp/evil.txt"',
      'backslash path': 'filename="..\\\\..\\\\windows\\\\evil.txt"',
      'absolute path': 'filename="/etc/passwd"',
      'drive path': 'filename="C:\\\\Windows\\\\evil.txt"',
      'encoded dot-dot (RFC 5987)': "filename*=UTF-8''%2e%2e%2f%2e%2e%2fevil.txt",
      'encoded NUL (RFC 5987)': "filename*=UTF-8''evil%00.txt",
      'only dots': 'filename=".."',
      '10 000 characters': `filename="${'a'.repeat(10_000)}.txt"`,
      'fullwidth solidus': 'filename="..\uff0f..\uff0fevil.txt"',
    };
    const rows: Array<Record<string, string | number>> = [];
    for (const [name, parameter] of Object.entries(names)) {
      const body = Buffer.from(`--b\r\nContent-Disposition: form-data; name="file"; ${parameter}\r\nContent-Type: text/plain\r\n\r\nabc\r\n--b--\r\n`, 'utf8');
      const head = requestHead('POST', paths.pages('acme', created.id, 1), [
        ...identityLines('alice@acme.example'),
        'Content-Type: multipart/form-data; boundary=b',
        `Content-Length: ${body.length}`,
      ]);
      const answer = await rawRequest(server.url, head, body);
      const status = answer.status as number;
      expect([201, 400], name).toContain(status);
      if (status === 201) {
        const page = addPageResponseSchema.parse(JSON.parse(answer.text.slice(answer.text.indexOf('\r\n\r\n') + 4)));
        expect(page.filename, name).not.toMatch(/[/\\]/);
        expect(page.filename.includes('\u0000'), name).toBe(false);
        expect(Array.from(page.filename).length, name).toBeLessThanOrEqual(200);
        rows.push({ filename: name, status, kept: page.filename.length > 40 ? `${page.filename.slice(0, 20)}…(${page.filename.length})` : page.filename });
      } else {
        rows.push({ filename: name, status, kept: '-' });
      }
    }
    report('hostile upload filenames', rows);
    const pages = await readdir(path.join(importDir, 'doc-1', 'pages'));
    expect(pages.every((file) => /^page-\d+\.(bin|meta\.json)$/.test(file))).toBe(true);
    expect(await snapshot(server.dir, elsewhere)).toEqual(outside);
  });
});
