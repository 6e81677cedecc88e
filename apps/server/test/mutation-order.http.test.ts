import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { problemSchema } from '@toa/api/errors';
import { type Import, importSchema } from '@toa/api/imports';
import { paths, ROUTES } from '@toa/api/routes';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { VALID_INVOICE } from '@toa/fixtures/catalogue';
import { mikelDir } from './support/corpus.js';
import { json, settled, startTestServer, type TestServer, upload } from './support/server.js';

/**
 * Issue 8, point 13: every mutation checks, in this order, that the import
 * exists and is the caller's (404 either way), that it may still be changed
 * (409), and only then the request body (400, 415, 422). Each route is tried
 * with one fault and with faults combined: a fault later in the order never
 * hides an earlier one, and nothing changes on disk.
 */

let server: TestServer;
let alice: ReturnType<TestServer['as']>;
let bob: ReturnType<TestServer['as']>;
/** alice's import with two documents, SUBMITTED */
let submitted: Import;
/** alice's import with two documents, DRAFT, document 2 without a template (so it cannot be submitted) */
let draft: Import;
const MISSING = '2026-01-01_0000-00000000';

async function twoDocuments(): Promise<Import> {
  const created = importSchema.parse(await (await alice(paths.imports('acme'), json('POST', {}))).json());
  const eml = await readFile(path.join(mikelDir, 'attachment_emails', 'attachment_pdf.eml'));
  expect((await alice(paths.pages('acme', created.id, 1), upload(eml, 'message.eml', 'message/rfc822'))).status).toBe(201);
  expect((await alice(paths.extract('acme', created.id, 1, 1), json('POST', {}))).status).toBe(201);
  expect((await alice(paths.document('acme', created.id, 1), json('PUT', { templateId: 'invoice', attributes: VALID_INVOICE }))).status).toBe(200);
  return importSchema.parse(await (await alice(paths.import('acme', created.id))).json());
}

beforeAll(async () => {
  server = await startTestServer();
  alice = server.as('alice@acme.example');
  bob = server.as('bob@acme.example');
  submitted = await twoDocuments();
  expect((await alice(paths.document('acme', submitted.id, 2), json('PUT', { templateId: 'note', attributes: {} }))).status).toBe(200);
  expect((await alice(paths.submit('acme', submitted.id), { method: 'POST' })).status).toBe(202);
  expect((await settled(alice, paths.import('acme', submitted.id))).status).toBe('SUBMITTED');
  draft = await twoDocuments();
});
afterAll(() => server.dispose());

type Call = (as: typeof alice, id: string) => Promise<Response>;

interface MutatingRoute {
  route: string;
  /** a request the route accepts on an import that may be changed */
  valid: Call;
  /** requests that are wrong in themselves, with the status each gets on a DRAFT import of the caller's */
  bad: Array<{ what: string; call: Call; status: number }>;
}

const multipartWithoutFile = (): RequestInit => {
  const form = new FormData();
  form.append('note', 'no file here');
  return { method: 'POST', body: form };
};

const routes: MutatingRoute[] = [
  {
    route: `DELETE ${ROUTES.import}`,
    valid: (as, id) => as(paths.import('acme', id), { method: 'DELETE' }),
    bad: [],
  },
  {
    route: `POST ${ROUTES.submit}`,
    valid: (as, id) => as(paths.submit('acme', id), { method: 'POST' }),
    bad: [{ what: 'an incomplete import', call: (as, id) => as(paths.submit('acme', id), { method: 'POST' }), status: 422 }],
  },
  {
    route: `PUT ${ROUTES.document}`,
    valid: (as, id) => as(paths.document('acme', id, 1), json('PUT', { templateId: 'invoice', attributes: VALID_INVOICE })),
    bad: [
      {
        what: 'invalid attribute values',
        call: (as, id) => as(paths.document('acme', id, 1), json('PUT', { templateId: 'invoice', attributes: { ...VALID_INVOICE, amount: -5 } })),
        status: 422,
      },
      { what: 'an unknown template', call: (as, id) => as(paths.document('acme', id, 1), json('PUT', { templateId: 'nope', attributes: {} })), status: 422 },
      { what: 'a body without templateId', call: (as, id) => as(paths.document('acme', id, 1), json('PUT', { attributes: {} })), status: 400 },
      {
        what: 'a body that is not JSON',
        call: (as, id) => as(paths.document('acme', id, 1), { method: 'PUT', headers: { 'Content-Type': 'application/json' }, body: '{ torn' }),
        status: 400,
      },
    ],
  },
  {
    route: `DELETE ${ROUTES.document}`,
    valid: (as, id) => as(paths.document('acme', id, 2), { method: 'DELETE' }),
    bad: [{ what: 'document 1, which cannot be removed', call: (as, id) => as(paths.document('acme', id, 1), { method: 'DELETE' }), status: 400 }],
  },
  {
    route: `POST ${ROUTES.pages}`,
    valid: (as, id) => as(paths.pages('acme', id, 1), upload(new TextEncoder().encode('page'), 'page.txt', 'text/plain')),
    bad: [
      { what: 'a JSON body', call: (as, id) => as(paths.pages('acme', id, 1), json('POST', { file: 'x' })), status: 415 },
      { what: 'a form without the file field', call: (as, id) => as(paths.pages('acme', id, 1), multipartWithoutFile()), status: 400 },
    ],
  },
  {
    route: `POST ${ROUTES.extract}`,
    valid: (as, id) => as(paths.extract('acme', id, 1, 1), json('POST', {})),
    bad: [
      { what: 'attachments that are not a list', call: (as, id) => as(paths.extract('acme', id, 1, 1), json('POST', { attachments: '2' })), status: 400 },
      { what: 'an unknown body field', call: (as, id) => as(paths.extract('acme', id, 1, 1), json('POST', { parts: ['2'] })), status: 400 },
    ],
  },
];

/** Every way of asking: the valid request and each bad one. */
function requests(route: MutatingRoute): Array<{ what: string; call: Call }> {
  return [{ what: 'a valid request', call: route.valid }, ...route.bad];
}

/** Sends the request and checks the answer's status and code, and that the import on disk did not change. */
async function expectRefused(call: Call, as: typeof alice, id: string, status: number, code?: string): Promise<void> {
  const before = id === MISSING ? undefined : await importFile(id);
  const response = await call(as, id);
  const problem = problemSchema.parse(await response.json());
  expect({ status: response.status, code: problem.code }).toEqual({ status, code: code ?? problem.code });
  if (before !== undefined) expect(await importFile(id)).toBe(before);
}

function importFile(id: string): Promise<string> {
  return readFile(path.join(server.dataRoot, 'acme', ...id.split('_'), 'import.json'), 'utf8');
}

describe.each(routes)('$route checks existence, ownership, state, then the body', (route) => {
  it.each(requests(route))('a missing import answers 404 to $what', async ({ call }) => {
    await expectRefused(call, alice, MISSING, 404, 'IMPORT_NOT_FOUND');
  });

  it.each(requests(route))("another user's import answers 404 to $what, whatever its state", async ({ call }) => {
    await expectRefused(call, bob, draft.id, 404, 'IMPORT_NOT_FOUND');
    await expectRefused(call, bob, submitted.id, 404, 'IMPORT_NOT_FOUND');
  });

  it.each(requests(route))('a SUBMITTED import answers 409 to $what', async ({ call }) => {
    await expectRefused(call, alice, submitted.id, 409, 'IMPORT_NOT_EDITABLE');
  });

  if (route.bad.length > 0)
    it.each(route.bad)('an import that may be changed answers $status to $what', async ({ call, status }) => {
      await expectRefused(call, alice, draft.id, status);
    });
});
