import { type Import, importSchema } from '@toa/api/imports';
import { pathTo, paths, ROUTES } from '@toa/api/routes';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkImports, identityLines, importDirOf, importFiles, rawRequest, requestHead } from './hostile/support.js';
import { json, startTestServer, type TestServer } from './support/server.js';

/** fast-check runs per property; raise with TOA_FUZZ_RUNS for a longer hunt. */
const RUNS = Number(process.env.TOA_FUZZ_RUNS ?? '150') || 150;

let server: TestServer;
let created: Import;

beforeAll(async () => {
  server = await startTestServer({ overrides: { limits: { pageSizeMb: 1, pagesPerDocument: 100_000, requestsPerMinute: 1_000_000 } } });
  created = importSchema.parse(await (await server.as('alice@acme.example')(paths.imports('acme'), json('POST', {}))).json());
});
afterAll(() => server.dispose());

/** Sends one raw request as alice and returns its status (undefined when the server closed without answering). */
async function send(method: string, pathname: string, body: Buffer | string = '', contentType?: string): Promise<number | undefined> {
  const bytes = Buffer.isBuffer(body) ? body : Buffer.from(body, 'utf8');
  const head = requestHead(method, pathname, [
    ...identityLines('alice@acme.example'),
    ...(contentType === undefined ? [] : [`Content-Type: ${contentType}`]),
    `Content-Length: ${bytes.length}`,
  ]);
  return (await rawRequest(server.url, head, bytes)).status;
}

/** A path segment as a client could send it: percent-encoded text, a traversal token, or raw URL-safe characters. */
const segment = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 300 }).map(encodeURIComponent),
  fc.constantFrom('..', '.', '%2e%2e', '%2f', '%5c', '%00', '%C0%AE', '%zz', '', 'acme', '1', '0'),
  fc.stringMatching(/^[A-Za-z0-9._~!$&'()*+,;=:@%-]{0,60}$/),
);

/** The segments above are already as they go on the wire. */
const raw = (value: string): string => value;

const notServerError = (status: number | undefined): boolean => status !== undefined && status < 500;

describe('fuzzing the API', () => {
  it('never answers 5xx for any path segment in any parameter', async () => {
    const templates: Array<(s: string) => [method: string, pathname: string]> = [
      (s) => ['GET', pathTo(ROUTES.templates, { domain: s }, raw)],
      (s) => ['GET', pathTo(ROUTES.imports, { domain: s }, raw)],
      (s) => ['GET', pathTo(ROUTES.import, { domain: 'acme', id: s }, raw)],
      (s) => ['DELETE', pathTo(ROUTES.import, { domain: 'acme', id: s }, raw)],
      (s) => ['POST', pathTo(ROUTES.submit, { domain: 'acme', id: s }, raw)],
      (s) => ['DELETE', pathTo(ROUTES.document, { domain: 'acme', id: created.id, n: s }, raw)],
      (s) => ['GET', pathTo(ROUTES.page, { domain: 'acme', id: created.id, n: 1, m: s }, raw)],
      (s) => ['GET', pathTo(ROUTES.pageMeta, { domain: 'acme', id: created.id, n: s, m: 1 }, raw)],
      (s) => ['POST', pathTo(ROUTES.extract, { domain: 'acme', id: created.id, n: 1, m: s }, raw)],
      (s) => ['GET', pathTo(ROUTES.audit, { domain: s }, raw)],
    ];
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...templates), segment, async (template, value) => {
        const [method, pathname] = template(value);
        expect(notServerError(await send(method, pathname, method === 'POST' ? '{}' : '', 'application/json'))).toBe(true);
      }),
      { numRuns: RUNS },
    );
  });

  it('never answers 5xx for any JSON sent as document attributes, and the import stays valid', async () => {
    const body = fc.oneof(
      fc.jsonValue(),
      fc.record({
        templateId: fc.oneof(fc.constantFrom('invoice', 'letter', ''), fc.string()),
        attributes: fc.dictionary(
          fc.oneof(fc.constantFrom('supplier', 'amount', 'invoiceDate', 'department', '__proto__', 'constructor'), fc.string()),
          fc.jsonValue(),
        ),
      }),
    );
    await fc.assert(
      fc.asyncProperty(body, async (value) => {
        const status = await send('PUT', paths.document('acme', created.id, 1), JSON.stringify(value) ?? 'null', 'application/json');
        expect(notServerError(status)).toBe(true);
      }),
      { numRuns: RUNS },
    );
    expect(await checkImports(server.dataRoot)).toBeGreaterThan(0);
  });

  it('never answers 5xx for any multipart shape, and every import.json stays valid and complete', async () => {
    const headerText = fc.string({ unit: 'binary-ascii', maxLength: 80 });
    const part = fc.record({
      name: fc.oneof(fc.constant('file'), headerText),
      filename: fc.option(fc.oneof(headerText, fc.string({ maxLength: 80 })), { nil: undefined }),
      contentType: fc.option(fc.oneof(fc.constantFrom('message/rfc822', 'application/pdf', 'text/plain'), headerText), { nil: undefined }),
      body: fc.oneof(fc.uint8Array({ maxLength: 2000 }), fc.constant(new TextEncoder().encode('From: a@example.com\r\nSubject: x\r\n\r\nbody'))),
    });
    const shape = fc.record({
      boundary: fc.oneof(fc.constant('b'), fc.stringMatching(/^[A-Za-z0-9'()+_,./:=?-]{1,80}$/)),
      parts: fc.array(part, { maxLength: 4 }),
      closed: fc.boolean(),
    });
    await fc.assert(
      fc.asyncProperty(shape, async ({ boundary, parts, closed }) => {
        const chunks: Buffer[] = [];
        for (const p of parts) {
          const disposition = `Content-Disposition: form-data; name="${p.name}"${p.filename === undefined ? '' : `; filename="${p.filename}"`}`;
          const type = p.contentType === undefined ? '' : `\r\nContent-Type: ${p.contentType}`;
          chunks.push(Buffer.from(`--${boundary}\r\n${disposition}${type}\r\n\r\n`, 'utf8'), Buffer.from(p.body), Buffer.from('\r\n'));
        }
        if (closed) chunks.push(Buffer.from(`--${boundary}--\r\n`));
        const status = await send('POST', paths.pages('acme', created.id, 1), Buffer.concat(chunks), `multipart/form-data; boundary=${boundary}`);
        expect(notServerError(status)).toBe(true);
      }),
      { numRuns: RUNS },
    );
    expect(await checkImports(server.dataRoot)).toBeGreaterThan(0);
    const { expected, actual } = await importFiles(importDirOf(server.dataRoot, 'acme', created.id));
    expect(actual).toEqual(expected);
  });
});
