import { readFile, readdir, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { IMPORT_ID_PATTERN } from '@toa/api/ids';
import { importSchema, listImportsResponseSchema } from '@toa/api/imports';
import { problemSchema } from '@toa/api/errors';
import { pathTo, paths, ROUTES } from '@toa/api/routes';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { json, startTestServer, type TestServer, upload } from './support/server.js';

let server: TestServer;
let alice: ReturnType<TestServer['as']>;
let bob: ReturnType<TestServer['as']>;

beforeAll(async () => {
  server = await startTestServer();
  alice = server.as('alice@acme.example', 'Alice Doe');
  bob = server.as('bob@acme.example', 'Bob Roe');
});
afterAll(() => server.dispose());

async function expectProblem(response: Response, status: number, code: string): Promise<void> {
  expect(response.status).toBe(status);
  expect(response.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  const body = problemSchema.parse(await response.json());
  expect(body.code).toBe(code);
  expect(body.status).toBe(status);
  expect(body.detail.length).toBeGreaterThan(5);
}

const source = { internetMessageId: '<abc@mail.example>', subject: 'Invoice 42', from: 'Supplier <s@example.com>', receivedAt: '2026-11-20T08:00:00+01:00' };

describe('imports over HTTP', () => {
  it('answers 401 without an identity and 400 for a malformed one', async () => {
    await expectProblem(await fetch(`${server.url}${paths.domains()}`), 401, 'UNAUTHENTICATED');
    await expectProblem(await fetch(`${server.url}${paths.domains()}`, { headers: { 'X-TOA-User-Email': 'not an address' } }), 401, 'UNAUTHENTICATED');
  });

  it('decodes a percent-encoded display name (header values are Latin-1)', async () => {
    const jiri = server.as('jiri@acme.example', encodeURIComponent('Jiří Dvořák'));
    const me = (await (await jiri(paths.me())).json()) as { name: string };
    expect(me.name).toBe('Jiří Dvořák');
    const plain = (await (await server.as('p@acme.example', '100% Plain')(paths.me())).json()) as { name: string };
    expect(plain.name).toBe('100% Plain');
  });

  it('takes the identity from each request’s own headers, whatever the same address sent before', async () => {
    const nameOf = async (call: ReturnType<typeof server.as>) => ((await (await call(paths.me())).json()) as { name: string }).name;
    expect(await nameOf(server.as('kim@acme.example', 'Kim A'))).toBe('Kim A');
    expect(await nameOf(server.as('kim@acme.example', 'Kim B'))).toBe('Kim B');
    expect(await nameOf(server.as('kim@acme.example', 'Kim A'))).toBe('Kim A');
    const upper = (await (await server.as('KIM@acme.example', 'Kim A')(paths.me())).json()) as { email: string };
    expect(upper.email).toBe('kim@acme.example');
    // twice: a refused address is not remembered as an identity
    await expectProblem(await fetch(`${server.url}${paths.me()}`, { headers: { 'X-TOA-User-Email': 'kim@' } }), 401, 'UNAUTHENTICATED');
    await expectProblem(await fetch(`${server.url}${paths.me()}`, { headers: { 'X-TOA-User-Email': 'kim@' } }), 401, 'UNAUTHENTICATED');
  });

  it('serves health without identity: the status alone', async () => {
    const response = await fetch(`${server.url}${paths.health()}`);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ status: 'ok' });
  });

  it('lists the domains a user may use, and answers 403 for the others', async () => {
    const ok = (await (await alice(paths.domains())).json()) as { domains: Array<{ code: string }> };
    expect(ok.domains.map((d) => d.code)).toEqual(['acme']);
    const outsider = server.as('eve@evil.example');
    expect(((await (await outsider(paths.domains())).json()) as { domains: unknown[] }).domains).toEqual([]);
    await expectProblem(await outsider(paths.imports('acme'), json('POST', {})), 403, 'DOMAIN_FORBIDDEN');
    await expectProblem(await alice(paths.imports('nowhere'), json('POST', {})), 404, 'DOMAIN_NOT_FOUND');
  });

  it('creates an import as DRAFT with its folder, import.json and doc-1', async () => {
    const response = await alice(paths.imports('acme'), json('POST', { source }));
    expect(response.status).toBe(201);
    const created = importSchema.parse(await response.json());
    expect(created.id).toMatch(IMPORT_ID_PATTERN);
    expect(created).toMatchObject({ status: 'DRAFT', domain: 'acme', userEmail: 'alice@acme.example', userName: 'Alice Doe', source, attempts: [] });
    expect(created.documents).toEqual([{ n: 1, templateId: null, attributes: {}, pages: [] }]);
    const [date, folder] = created.id.split('_') as [string, string];
    const dir = path.join(server.dataRoot, 'acme', date, folder);
    expect(JSON.parse(await readFile(path.join(dir, 'import.json'), 'utf8'))).toEqual(created);
    expect((await stat(path.join(dir, 'doc-1', 'pages'))).isDirectory()).toBe(true);
    expect(await readFile(path.join(server.dataRoot, '.toa-layout-version'), 'utf8')).toBe('1\n');
  });

  it('refuses bad bodies with 400 and changes nothing', async () => {
    const before = await readdir(path.join(server.dataRoot, 'acme'), { recursive: true });
    await expectProblem(await alice(paths.imports('acme'), json('POST', { source: { receivedAt: 'yesterday' } })), 400, 'VALIDATION_FAILED');
    await expectProblem(await alice(paths.imports('acme'), json('POST', { unexpected: 1 })), 400, 'VALIDATION_FAILED');
    await expectProblem(
      await alice(paths.imports('acme'), { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{"source":' }),
      400,
      'VALIDATION_FAILED',
    );
    expect(await readdir(path.join(server.dataRoot, 'acme'), { recursive: true })).toEqual(before);
  });

  it('hides other users’ imports (404) and unknown or malformed ids (404)', async () => {
    const created = importSchema.parse(await (await alice(paths.imports('acme'), json('POST', {}))).json());
    await expectProblem(await bob(paths.import('acme', created.id)), 404, 'IMPORT_NOT_FOUND');
    await expectProblem(await bob(paths.import('acme', created.id), { method: 'DELETE' }), 404, 'IMPORT_NOT_FOUND');
    await expectProblem(await alice(paths.import('acme', '2026-01-01_0000-00000000')), 404, 'IMPORT_NOT_FOUND');
    for (const bad of ['..', '2026-01-01_0000-0000000', '2026-01-01_0000-ABCDEF12', '../../etc', '2026-01-01_0000-00000000%2f..', '%00']) {
      const response = await alice(pathTo(ROUTES.import, { domain: 'acme', id: bad }, (segment) => segment));
      expect([400, 404]).toContain(response.status);
    }
    expect((await alice(paths.import('acme', created.id))).status).toBe(200);
  });

  it('lists the caller’s imports newest first, paged, and finds earlier imports of a message', async () => {
    const carol = server.as('carol@acme.example');
    const ids: string[] = [];
    for (let i = 0; i < 3; i += 1) {
      const body = i === 1 ? { source: { internetMessageId: '<dup@x>' } } : {};
      ids.push(importSchema.parse(await (await carol(paths.imports('acme'), json('POST', body))).json()).id);
    }
    const listing = await carol(paths.imports('acme'));
    expect(listing.headers.get('content-type')).toBe('application/json; charset=utf-8');
    const all = listImportsResponseSchema.parse(await listing.json());
    expect(all.total).toBe(3);
    expect(all.items.map((i) => i.id)).toEqual([...ids].reverse());
    expect(all.items.map((i) => i.pageCount)).toEqual([0, 0, 0]);
    const page = listImportsResponseSchema.parse(await (await carol(`${paths.imports('acme')}?limit=1&offset=1`)).json());
    expect(page).toMatchObject({ total: 3, limit: 1, offset: 1 });
    expect(page.items.map((i) => i.id)).toEqual([ids[1]]);
    // a line listed before (kept ready, with its text) shows the import as it is after a change
    const bytes = new TextEncoder().encode('%PDF-1.4 a page');
    expect((await carol(paths.pages('acme', ids[1] as string, 1), upload(bytes, 'p.pdf', 'application/pdf'))).status).toBe(201);
    const changed = listImportsResponseSchema.parse(await (await carol(`${paths.imports('acme')}?limit=1&offset=1`)).json());
    expect(changed.items.map((i) => [i.id, i.pageCount])).toEqual([[ids[1], 1]]);
    const dup = listImportsResponseSchema.parse(await (await carol(`${paths.imports('acme')}?messageId=${encodeURIComponent('<dup@x>')}`)).json());
    expect(dup.items.map((i) => i.id)).toEqual([ids[1]]);
    const others = listImportsResponseSchema.parse(await (await bob(`${paths.imports('acme')}?messageId=${encodeURIComponent('<dup@x>')}`)).json());
    expect(others.total).toBe(0);
    await expectProblem(await carol(`${paths.imports('acme')}?limit=100000`), 400, 'VALIDATION_FAILED');
  });

  it('drops an import removed by hand from the listing once it is found gone', async () => {
    const dave = server.as('dave@acme.example');
    const kept = importSchema.parse(await (await dave(paths.imports('acme'), json('POST', {}))).json());
    const removed = importSchema.parse(await (await dave(paths.imports('acme'), json('POST', {}))).json());
    expect(listImportsResponseSchema.parse(await (await dave(paths.imports('acme'))).json()).total).toBe(2);
    const [date, folder] = removed.id.split('_') as [string, string];
    await rm(path.join(server.dataRoot, 'acme', date, folder), { recursive: true });
    // the listing reads no file; opening the import finds it gone
    await expectProblem(await dave(paths.import('acme', removed.id)), 404, 'IMPORT_NOT_FOUND');
    const after = listImportsResponseSchema.parse(await (await dave(paths.imports('acme'))).json());
    expect(after.items.map((i) => i.id)).toEqual([kept.id]);
    expect(after.total).toBe(1);
  });

  it('deletes a DRAFT import: folder gone, id answers 404', async () => {
    const created = importSchema.parse(await (await alice(paths.imports('acme'), json('POST', {}))).json());
    const [date, folder] = created.id.split('_') as [string, string];
    expect((await alice(paths.import('acme', created.id), { method: 'DELETE' })).status).toBe(204);
    await expect(stat(path.join(server.dataRoot, 'acme', date, folder))).rejects.toThrow();
    await expectProblem(await alice(paths.import('acme', created.id)), 404, 'IMPORT_NOT_FOUND');
    expect((await readdir(path.join(server.dataRoot, 'acme', date))).filter((n) => n.endsWith('.tmp'))).toEqual([]);
  });

  it('answers unknown API routes with a 404 problem', async () => {
    await expectProblem(await alice('/api/nope'), 404, 'NOT_FOUND');
  });

  it('writes an audit line per action and serves it to admins only', async () => {
    const created = importSchema.parse(await (await alice(paths.imports('acme'), json('POST', {}))).json());
    await expectProblem(await alice(paths.audit('acme')), 403, 'FORBIDDEN');
    const admin = server.as('admin@acme.example');
    const response = await admin(`${paths.audit('acme')}?importId=${created.id}`);
    expect(response.status).toBe(200);
    const body = (await response.json()) as { entries: Array<{ action: string; importId: string; userEmail: string }> };
    expect(body.entries).toEqual([expect.objectContaining({ action: 'import.created', importId: created.id, userEmail: 'alice@acme.example' })]);
    const lines = (await readFile(path.join(server.logDir, 'audit-acme.log'), 'utf8')).trim().split('\n');
    expect(lines.length).toBeGreaterThan(3);
    for (const line of lines) expect(() => JSON.parse(line)).not.toThrow();
  });
});
