import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { importSchema } from '@toa/api/imports';
import { lastValuesResponseSchema } from '@toa/api/last-values';
import { paths } from '@toa/api/routes';
import { VALID_INVOICE } from '@toa/fixtures/catalogue';
import { afterEach, describe, expect, it } from 'vitest';
import { corpusDir } from './support/corpus.js';
import { json, settled, startTestServer, type TestServer, upload } from './support/server.js';

let server: TestServer | undefined;
let dir: string | undefined;
afterEach(async () => {
  await server?.dispose();
  server = undefined;
  if (dir) await rm(dir, { recursive: true, force: true });
  dir = undefined;
});

type Caller = ReturnType<TestServer['as']>;

/** Files a message with document 1 described as given, and waits until the archive has it. */
async function fileMessage(as: Caller, templateId: string, attributes: Record<string, unknown>): Promise<void> {
  const created = importSchema.parse(await (await as(paths.imports('acme'), json('POST', { source: { internetMessageId: '<m@x>' } }))).json());
  const eml = await readFile(path.join(corpusDir, 'mikel-mail', 'attachment_emails', 'attachment_pdf.eml'));
  expect((await as(paths.pages('acme', created.id, 1), upload(eml, 'message.eml', 'message/rfc822'))).status).toBe(201);
  expect((await as(paths.document('acme', created.id, 1), json('PUT', { templateId, attributes }))).status).toBe(200);
  expect((await as(paths.submit('acme', created.id), { method: 'POST' })).status).toBe(202);
  expect((await settled(as, paths.import('acme', created.id))).status).toBe('SUBMITTED');
}

async function lastValues(as: Caller) {
  const response = await as(paths.lastValues('acme'));
  expect(response.status).toBe(200);
  return lastValuesResponseSchema.parse(await response.json()).templates;
}

describe('last filed values over HTTP', () => {
  it('remembers per user what each filed per template, without server-generated values, across a restart', async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'toa-last-values-'));
    server = await startTestServer({ dir });
    const alice = server.as('alice@acme.example', 'Alice Doe');
    const bob = server.as('bob@acme.example', 'Bob Roe');
    expect(await lastValues(alice)).toEqual({});

    await fileMessage(alice, 'invoice', VALID_INVOICE);
    await fileMessage(alice, 'note', { title: 'Henderson' });
    await fileMessage(bob, 'note', { title: 'Bob’s matter' });
    await fileMessage(alice, 'note', { title: 'Henderson, second' });

    // caseNumber is server-generated (import id/n): never offered back
    const { caseNumber: _generated, ...chosen } = VALID_INVOICE as Record<string, unknown>;
    expect(await lastValues(alice)).toEqual({ invoice: chosen, note: { title: 'Henderson, second' } });
    expect(await lastValues(bob)).toEqual({ note: { title: 'Bob’s matter' } });

    // one file a user in the domain folder, named by the SHA-256 of the user id
    const key = createHash('sha256').update('alice@acme.example').digest('hex');
    const stored = JSON.parse(await readFile(path.join(server.dataRoot, 'acme', '.toa-last-values', `${key}.json`), 'utf8'));
    expect(stored.templates.note.attributes).toEqual({ title: 'Henderson, second' });

    await server.dispose();
    server = await startTestServer({ dir });
    expect(await lastValues(server.as('alice@acme.example'))).toEqual({ invoice: chosen, note: { title: 'Henderson, second' } });
    expect(await lastValues(server.as('bob@acme.example'))).toEqual({ note: { title: 'Bob’s matter' } });
  });

  it('answers 404 for a domain the caller may not use, and 401 without an identity', async () => {
    server = await startTestServer();
    expect((await server.as('alice@acme.example')(paths.lastValues('nowhere'))).status).toBe(404);
    expect((await fetch(`${server.url}${paths.lastValues('acme')}`)).status).toBe(401);
  });
});
