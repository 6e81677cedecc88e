import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { documentSchema, importSchema, sidecarSchema } from '@toa/api/imports';
import { problemSchema } from '@toa/api/errors';
import { paths } from '@toa/api/routes';
import { afterEach, describe, expect, it } from 'vitest';
import { VALID_INVOICE } from '@toa/fixtures/catalogue';
import { corpusDir } from './support/corpus.js';
import { json, settled, startTestServer, TestClock, type TestServer, upload } from './support/server.js';

const started: TestServer[] = [];
const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const s of started.splice(0)) await s.dispose();
  for (const c of cleanups.splice(0)) await c();
});

async function listen(handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<{ url: string; server: Server }> {
  const server = createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanups.push(
    () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  );
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}

const message = (name: string): Promise<Buffer> => readFile(path.join(corpusDir, 'mikel-mail', 'attachment_emails', name));

describe('import lifecycle', () => {
  it('extracts an attached message as an EML page with its own sidecar, and extracts from it again', async () => {
    const server = await startTestServer();
    started.push(server);
    const alice = server.as('alice@acme.example');
    const created = importSchema.parse(await (await alice(paths.imports('acme'), json('POST', {}))).json());
    expect((await alice(paths.pages('acme', created.id, 1), upload(await message('attachment_message_rfc822.eml'), 'm.eml', 'message/rfc822'))).status).toBe(
      201,
    );
    const meta = sidecarSchema.parse(await (await alice(paths.pageMeta('acme', created.id, 1, 1))).json());
    const attached = meta.attachments.find((a) => a.isMessage);
    expect(attached).toBeDefined();
    const doc2 = documentSchema.parse(await (await alice(paths.extract('acme', created.id, 1, 1), json('POST', { attachments: [attached?.partId] }))).json());
    expect(doc2.pages[0]).toMatchObject({ contentType: 'message/rfc822', sidecar: 'page-1.meta.json' });
    const innerMeta = sidecarSchema.parse(await (await alice(paths.pageMeta('acme', created.id, 2, 1))).json());
    expect(innerMeta.sha256).toBe(doc2.pages[0]?.sha256);
    const inner = innerMeta.attachments.filter((a) => !a.inline);
    expect(inner.length).toBeGreaterThan(0);
    const doc3 = documentSchema.parse(await (await alice(paths.extract('acme', created.id, 2, 1), json('POST', {}))).json());
    expect(doc3).toMatchObject({ n: 3, origin: { document: 2, page: 1 } });
    expect(doc3.pages.map((p) => p.filename)).toEqual(inner.map((a) => a.filename));
  });

  it('answers 503 with the reason for a domain without catalogue while the others keep working', async () => {
    const dead = await listen((_req, res) => {
      res.statusCode = 500;
      res.end('down');
    });
    const server = await startTestServer({
      overrides: {
        domains: [
          { code: 'acme', name: 'ACME', templates: { file: './acme.xml' }, archive: { type: 'filesystem', root: './archive/acme' } },
          {
            code: 'globex',
            name: 'Globex',
            templates: { url: `${dead.url}/cmserver2.xml`, refresh: '24h' },
            archive: { type: 'filesystem', root: './archive/globex' },
          },
        ],
      },
    });
    started.push(server);
    const user = server.as('u@acme.example');
    const response = await user(paths.templates('globex'));
    expect(response.status).toBe(503);
    const problem = problemSchema.parse(await response.json());
    expect(problem.code).toBe('CATALOGUE_UNAVAILABLE');
    expect(problem.detail).toMatch(/500/);
    expect((await user(paths.templates('acme'))).status).toBe(200);
    const domains = (await (await user(paths.domains())).json()) as { domains: Array<{ code: string; catalogueAvailable: boolean }> };
    expect(domains.domains).toEqual([
      { code: 'acme', name: 'ACME', catalogueAvailable: true },
      { code: 'globex', name: 'Globex', catalogueAvailable: false },
    ]);
    const health = (await (await fetch(`${server.url}${paths.health()}`)).json()) as { status: string };
    expect(health.status).toBe('degraded');
    // imports still work in that domain
    expect((await user(paths.imports('globex'), json('POST', {}))).status).toBe(201);
  });

  it('serves the built task pane on the same origin when it exists', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'toa-pane-'));
    cleanups.push(() => rm(dir, { recursive: true, force: true }));
    await mkdir(path.join(dir, 'assets'));
    await writeFile(path.join(dir, 'taskpane.html'), '<!doctype html><title>TOA</title>');
    await writeFile(path.join(dir, 'assets', 'app.js'), 'console.log(1)');
    const server = await startTestServer({ overrides: { taskpaneDir: dir } });
    started.push(server);
    const page = await fetch(`${server.url}/taskpane.html`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/text\/html/);
    expect(await page.text()).toContain('<title>TOA</title>');
    expect((await fetch(`${server.url}/assets/app.js`)).status).toBe(200);
    expect((await fetch(`${server.url}/missing.html`)).status).toBe(404);
  });

  it('serves a task pane built after the server started, and says so while there is none', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'toa-pane-'));
    cleanups.push(() => rm(dir, { recursive: true, force: true }));
    const paneDir = path.join(dir, 'dist');
    // as on the first `npm start`: the server is up before the pane's build has written its folder
    const server = await startTestServer({ overrides: { taskpaneDir: paneDir } });
    started.push(server);
    const before = await fetch(`${server.url}/taskpane.html`);
    expect(before.status).toBe(503);
    expect(before.headers.get('content-type')).toMatch(/application\/problem\+json/);
    expect(await before.json()).toMatchObject({ code: 'UNAVAILABLE', detail: expect.stringMatching(/not built yet/) });
    await mkdir(path.join(paneDir, 'assets'), { recursive: true });
    await writeFile(path.join(paneDir, 'taskpane.html'), '<!doctype html><title>TOA</title>');
    await writeFile(path.join(paneDir, 'assets', 'app.js'), 'console.log(1)');
    const after = await fetch(`${server.url}/taskpane.html`);
    expect(after.status).toBe(200);
    expect(await after.text()).toContain('<title>TOA</title>');
    expect((await fetch(`${server.url}/assets/app.js`)).status).toBe(200);
  });

  it('resumes an import found PENDING at start when the archive honours the idempotency key', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'toa-pending-'));
    cleanups.push(() => rm(dir, { recursive: true, force: true }));
    const first = await startTestServer({ dir });
    const alice = first.as('alice@acme.example');
    const created = importSchema.parse(await (await alice(paths.imports('acme'), json('POST', {}))).json());
    await alice(paths.pages('acme', created.id, 1), upload(await message('attachment_pdf.eml'), 'm.eml', 'message/rfc822'));
    await alice(paths.document('acme', created.id, 1), json('PUT', { templateId: 'invoice', attributes: VALID_INVOICE }));
    await first.dispose();
    // as if the server died after persisting PENDING
    const [date, folder] = created.id.split('_') as [string, string];
    const file = path.join(first.dataRoot, 'acme', date, folder, 'import.json');
    const stored = importSchema.parse(JSON.parse(await readFile(file, 'utf8')));
    await writeFile(file, JSON.stringify({ ...stored, status: 'PENDING' }));
    const second = await startTestServer({ dir });
    started.push(second);
    const final = importSchema.parse(await settled(second.as('alice@acme.example'), paths.import('acme', created.id)));
    expect(final.status).toBe('SUBMITTED');
    expect(final.damisBatchId).toBeTruthy();
  });

  it('lets retention skip an import whose archive call is in flight, and delete it at the next sweep', async () => {
    let release: () => void = () => {};
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    const archive = await listen((req, res) => {
      req.resume();
      req.on('end', () => {
        void held.then(() => {
          res.setHeader('Content-Type', 'application/json');
          res.end(JSON.stringify({ batchId: 'B-1' }));
        });
      });
    });
    const clock = new TestClock(new Date('2026-01-10T10:00:00Z'));
    const server = await startTestServer({
      clock,
      overrides: {
        dataRetention: '1d',
        domains: [
          {
            code: 'acme',
            name: 'ACME',
            templates: { file: './acme.xml' },
            archive: { type: 'http', url: `${archive.url}/upload`, timeoutMs: 60_000, retries: 0 },
          },
        ],
      },
    });
    started.push(server);
    const alice = server.as('alice@acme.example');
    const created = importSchema.parse(await (await alice(paths.imports('acme'), json('POST', {}))).json());
    await alice(paths.pages('acme', created.id, 1), upload(await message('attachment_pdf.eml'), 'm.eml', 'message/rfc822'));
    await alice(paths.document('acme', created.id, 1), json('PUT', { templateId: 'invoice', attributes: VALID_INVOICE }));
    expect((await alice(paths.submit('acme', created.id), { method: 'POST' })).status).toBe(202);
    clock.current = new Date('2026-01-20T10:00:00Z');
    const first = await server.retention();
    expect(first.skipped.map((s) => s.id)).toEqual([created.id]);
    expect(first.deleted).toEqual([]);
    release();
    expect((await settled(alice, paths.import('acme', created.id))).status).toBe('SUBMITTED');
    const second = await server.retention();
    expect(second.deleted.map((d) => d.id)).toEqual([created.id]);
  });
});
