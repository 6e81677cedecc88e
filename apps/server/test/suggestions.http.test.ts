import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { problemSchema } from '@toa/api/errors';
import { type CreateImportRequest, importSchema } from '@toa/api/imports';
import { paths } from '@toa/api/routes';
import { type SuggestionRequest, suggestionsResponseSchema } from '@toa/api/suggestions';
import { afterEach, describe, expect, it, onTestFinished } from 'vitest';
import { VALID_INVOICE } from '@toa/fixtures/catalogue';
import { json, startTestServer, TEST_DOMAIN, type TestServer } from './support/server.js';

let server: TestServer | undefined;
afterEach(async () => {
  await server?.dispose();
  server = undefined;
});

type Caller = ReturnType<TestServer['as']>;

/** Files a message as the pane does: create with its source facts, then describe document 1. */
async function file(as: Caller, source: CreateImportRequest['source'], templateId: string, attributes: Record<string, unknown>): Promise<string> {
  const created = await as(paths.imports('acme'), json('POST', { source }));
  expect(created.status).toBe(201);
  const { id } = (await created.json()) as { id: string };
  const described = await as(paths.document('acme', id, 1), json('PUT', { templateId, attributes }));
  expect(described.status).toBe(200);
  return id;
}

async function suggest(as: Caller, request: SuggestionRequest) {
  const response = await as(paths.suggestions('acme'), json('POST', request));
  expect(response.status).toBe(200);
  return suggestionsResponseSchema.parse(await response.json()).suggestions;
}

const thread = {
  conversationId: 'AAQkAGI2TG93AAA=',
  from: 'Jana Client <jana@client.example>',
  to: ['alice@acme.example'],
  cc: ['petr@client.example'],
};

describe('filing suggestions over HTTP', () => {
  it('suggests where the same conversation was filed, with its values but without what the template takes from the message', async () => {
    server = await startTestServer();
    const alice = server.as('alice@acme.example', 'Alice Doe');
    await file(alice, { ...thread, subject: 'Invoice for the Henderson matter', internetMessageId: '<1@client.example>' }, 'invoice', VALID_INVOICE);

    const [first, ...rest] = await suggest(alice, { ...thread, subject: 'RE: Invoice for the Henderson matter', internetMessageId: '<2@client.example>' });
    expect(first?.templateId).toBe('invoice');
    // supplier (prefill fromName) and invoiceDate (prefill receivedDate) are the message's own, the form fills them
    const { supplier: _supplier, invoiceDate: _date, ...shared } = VALID_INVOICE;
    expect(first?.attributes).toEqual(shared);
    expect(first?.domain).toBe('acme');
    expect(first?.reasons[0]?.source).toBe('conversation');
    expect(first?.reasons[0]?.text).toMatch(/^same conversation as an import of \d{1,2} [A-Z][a-z]{2}/);
    expect(first?.score).toBeGreaterThan(0.9);
    expect(rest).toEqual([]);
  });

  it('ranks a sender’s habit, tells how many of their messages went where, and says nothing for a stranger', async () => {
    server = await startTestServer();
    const alice = server.as('alice@acme.example', 'Alice Doe');
    for (const [i, title] of ['Henderson', 'Henderson', 'Henderson', 'Other'].entries()) {
      await file(alice, { from: 'jana@client.example', subject: `Message ${i}`, conversationId: `conv-${i}` }, 'note', { title });
    }
    const ranked = await suggest(alice, { from: 'Jana <JANA@client.example>', subject: 'A new topic', conversationId: 'conv-new' });
    expect(ranked.map((s) => s.attributes)).toEqual([{ title: 'Henderson' }, { title: 'Other' }]);
    expect(ranked[0]?.reasons.map((r) => r.text)).toContain('3 of your last 4 messages from this sender');
    expect(ranked[0]?.score).toBeGreaterThan(ranked[1]?.score ?? 1);

    expect(await suggest(alice, { from: 'someone@elsewhere.example', subject: 'Hello there' })).toEqual([]);
  });

  it('learns only from the asker’s own imports unless the domain shares, and then never tells another person’s subject or sender', async () => {
    server = await startTestServer();
    const alice = server.as('alice@acme.example', 'Alice Doe');
    const bob = server.as('bob@acme.example', 'Bob Roe');
    const source = { ...thread, subject: 'Secret settlement terms', from: 'Jana Client <jana@client.example>' };
    await file(alice, source, 'note', { title: 'Henderson' });
    expect(await suggest(bob, { conversationId: thread.conversationId, from: 'jana@client.example' })).toEqual([]);
    await server.dispose();

    server = await startTestServer({ overrides: { domains: [{ ...TEST_DOMAIN, suggestions: { shared: true } }] } });
    const alice2 = server.as('alice@acme.example', 'Alice Doe');
    const bob2 = server.as('bob@acme.example', 'Bob Roe');
    await file(alice2, source, 'note', { title: 'Henderson' });
    const [first] = await suggest(bob2, { conversationId: thread.conversationId, from: 'petr@client.example', subject: 'terms' });
    expect(first?.attributes).toEqual({ title: 'Henderson' });
    const said = JSON.stringify(first?.reasons);
    for (const secret of ['Secret', 'settlement', 'jana', 'Alice']) expect(said).not.toContain(secret);
  });

  it('rebuilds what it learnt after a restart, from import.json files of schema 1 too', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'toa-suggest-'));
    onTestFinished(() => rm(dir, { recursive: true, force: true }));
    server = await startTestServer({ dir });
    const alice = server.as('alice@acme.example', 'Alice Doe');
    const id = await file(alice, { from: 'jana@client.example', subject: 'Share purchase agreement' }, 'note', { title: 'Henderson' });
    await server.dispose();
    // an import.json as a server before conversation ids wrote it
    const [date, folder] = id.split('_') as [string, string];
    const importFile = path.join(dir, 'data', 'acme', date, folder, 'import.json');
    const written = importSchema.parse(JSON.parse(await readFile(importFile, 'utf8')));
    expect(written.schemaVersion).toBe(2);
    await writeFile(importFile, JSON.stringify({ ...written, schemaVersion: 1 }, null, 2));

    server = await startTestServer({ dir });
    const [first] = await suggest(server.as('alice@acme.example', 'Alice Doe'), { from: 'jana@client.example' });
    expect(first?.attributes).toEqual({ title: 'Henderson' });
    expect(first?.reasons[0]?.text).toBe('1 of your last 1 messages from this sender');
  });

  it('refuses a malformed request with a problem and no suggestion', async () => {
    server = await startTestServer();
    const alice = server.as('alice@acme.example', 'Alice Doe');
    for (const body of [{ limit: 0 }, { to: 'not a list' }, { sender: 'unknown field' }]) {
      const response = await alice(paths.suggestions('acme'), json('POST', body));
      expect(response.status).toBe(400);
      expect(problemSchema.parse(await response.json()).code).toBe('VALIDATION_FAILED');
    }
    const outsider = await server.as('eve@evil.example')(paths.suggestions('acme'), json('POST', {}));
    expect(outsider.status).toBe(403);
  });
});
