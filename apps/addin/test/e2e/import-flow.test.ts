// @vitest-environment node
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { problemSchema } from '@toa/api/errors';
import { importSchema } from '@toa/api/imports';
import { DEV_IDENTITY_HEADERS, paths } from '@toa/api/routes';
import type { Page, Request, Route } from 'playwright-core';
import { afterEach, describe, expect, it } from 'vitest';
import { chromiumForFile } from './support/chromium';
import { PDF, pdfMessage } from './support/corpus-message';
import { DOMAIN, type StoredImport, startToaServer, type ToaServer } from './support/toa-server';
import { officeState, openPane } from './support/pane';
import { descriptionsOf, earlierImportsNotice, extractAsScan, fillInvoice, importButton, messageForm, outcome, submittedBatchId } from './support/pane-form';
import { type ScriptedArchive, startScriptedArchive } from './support/scripted-archive';

const message = pdfMessage();

const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

const browser = chromiumForFile();
let server: ToaServer | undefined;
let archive: ScriptedArchive | undefined;

afterEach(async () => {
  await server?.stop();
  await archive?.close();
  server = undefined;
  archive = undefined;
});

/** A request that would store something: a non-GET to the domain's imports, except asking for filing suggestions (a POST that only reads). */
function writesToImports(request: Request): boolean {
  const pathname = new URL(request.url()).pathname;
  return request.method() !== 'GET' && pathname.startsWith(paths.imports(DOMAIN)) && pathname !== paths.suggestions(DOMAIN);
}

function paneFor(running: ToaServer): Promise<Page> {
  return openPane(browser(), running.url, { message: message.outlook });
}

describe('the task pane against the real server', () => {
  it('imports a message with an extracted attachment to SUBMITTED, and the files on disk are right', async () => {
    server = await startToaServer();
    const page = await paneFor(server);
    await fillInvoice(page, { amount: '1250.50', department: 'Finance', reference: 'AB-1234' });
    expect(await messageForm(page).getByLabel('Supplier').inputValue()).toBe('Test Tester');
    await extractAsScan(page, PDF, 'Scanned PDF');

    // Hold the upload until the progress bar has been seen: the message is a few KB and would pass in a blink.
    let releaseUpload = () => {};
    const uploadHeld = new Promise<void>((resolve) => {
      releaseUpload = resolve;
    });
    // any id: the import is created by the click below
    await page.route(`**${paths.pages(DOMAIN, '*', 1)}`, async (route: Route) => {
      await uploadHeld;
      await route.continue();
    });
    await importButton(page).click();
    await page.getByRole('progressbar', { name: /Uploading the message/ }).waitFor();
    releaseUpload();
    const batchId = await submittedBatchId(page);

    const stored = await server.importsOnDisk();
    expect(stored).toHaveLength(1);
    const { dir, record } = stored[0] as StoredImport;
    expect(record.status).toBe('SUBMITTED');
    expect(record.damisBatchId).toBe(batchId);
    expect(record.source.internetMessageId).toBe(message.outlook.internetMessageId);
    const [eml, scan] = record.documents;
    expect(eml).toMatchObject({
      templateId: 'invoice',
      attributes: { supplier: 'Test Tester', amount: 1250.5, invoiceDate: '2005-05-10', department: 'FIN', reference: 'AB-1234' },
    });
    expect(scan).toMatchObject({ n: 2, templateId: 'scan', attributes: { title: 'Scanned PDF' }, origin: { document: 1, page: 1 } });

    // doc-1 is the message without the PDF; doc-2 is the PDF itself.
    const rewritten = await readFile(path.join(dir, 'doc-1', 'pages', 'page-1.bin'));
    expect(rewritten.length).toBeLessThan(message.eml.length);
    expect(sha256(rewritten)).toBe(eml?.pages[0]?.sha256);
    const pdf = await readFile(path.join(dir, 'doc-2', 'pages', 'page-1.bin'));
    expect(pdf.equals(message.attachments.get(PDF) as Buffer)).toBe(true);
    expect(sha256(pdf)).toBe(scan?.pages[0]?.sha256);

    // the filesystem archive names the batch folder by the idempotency key: the import id plus its content digest
    const key = record.attempts.at(-1)?.idempotencyKey ?? '';
    expect(key.startsWith(`${record.id}.`)).toBe(true);
    const manifest = JSON.parse(await readFile(path.join(server.archiveRoot, key, 'manifest.json'), 'utf8'));
    expect(manifest).toMatchObject({ batchId, importId: record.id, idempotencyKey: key, domain: DOMAIN });
    expect(manifest.documents).toHaveLength(2);

    const office = await officeState(page);
    expect(office.customProperties).toEqual({ toaBatchId: batchId });
    expect(office.categories).toEqual(['TOA archived']);
  });

  it("shows FAILED with the archive's error, and Retry resubmits the same import to SUBMITTED", async () => {
    archive = await startScriptedArchive({ status: 500, body: { detail: 'disk full' } });
    // No retries inside the server: the first 500 fails the import, so the pane's Retry is what recovers.
    server = await startToaServer({ archive: { type: 'http', url: archive.url, retries: 0 } });
    const page = await paneFor(server);
    await fillInvoice(page, { department: 'Human resources' });
    await importButton(page).click();

    await outcome(page, 'The archive refused the import').getByText('The archive answered 500 Internal Server Error; try again later.').waitFor();
    const [failed] = await server.importsOnDisk();
    expect(failed?.record.status).toBe('FAILED');

    archive.answer({ status: 201, body: { batchId: 'ARCH-0042' } });
    await page.getByRole('button', { name: 'Retry' }).click();
    expect(await submittedBatchId(page)).toBe('ARCH-0042');

    const stored = await server.importsOnDisk();
    expect(stored).toHaveLength(1);
    const { record } = stored[0] as StoredImport;
    expect(record).toMatchObject({ id: failed?.record.id, status: 'SUBMITTED', damisBatchId: 'ARCH-0042' });
    expect(record.attempts.map((attempt) => attempt.outcome)).toEqual(['FAILED', 'SUBMITTED']);
    // Nothing was edited between the attempts: the same content, so the same idempotency key.
    const key = record.attempts[0]?.idempotencyKey;
    expect(key?.startsWith(`${record.id}.`)).toBe(true);
    expect(record.attempts[1]?.idempotencyKey).toBe(key);
    expect(archive.requests.map((headers) => headers['idempotency-key'])).toEqual([key, key]);
  });

  it('warns as soon as a message imported before is shown, again on Import, and "Import again" goes on', async () => {
    server = await startToaServer();
    const first = await paneFor(server);
    await fillInvoice(first, { department: 'Finance' });
    await importButton(first).click();
    const firstBatch = await submittedBatchId(first);
    await first.context().close();

    const page = await paneFor(server);
    const [earlier] = await server.importsOnDisk();
    const shownDate = await page.evaluate(
      (iso) => new Date(iso).toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' }),
      earlier?.record.createdAt as string,
    );
    // The notice comes with the message and its domain, before anything is filled in or pressed.
    const notice = earlierImportsNotice(page);
    await notice.waitFor();
    expect(await notice.textContent()).toBe(`Already imported on ${shownDate} — Submitted, batch ${firstBatch}`);

    await fillInvoice(page, { department: 'Finance' });
    await importButton(page).click();
    const warning = outcome(page, 'Already imported');
    await warning.waitFor();
    const text = await warning.textContent();
    expect(text).toContain(`last on ${shownDate}`);
    expect(text).toContain('Submitted');
    expect(text).toContain(`batch ${firstBatch}`);
    expect(await server.importsOnDisk()).toHaveLength(1);

    await page.getByRole('button', { name: 'Import again' }).click();
    const secondBatch = await submittedBatchId(page);
    expect(secondBatch).not.toBe(firstBatch);
    const stored = await server.importsOnDisk();
    expect(stored.map(({ record }) => [record.status, record.source.internetMessageId])).toEqual([
      ['SUBMITTED', message.outlook.internetMessageId],
      ['SUBMITTED', message.outlook.internetMessageId],
    ]);
  });

  it('puts a broken rule on its field as the user types, and Import sends nothing', async () => {
    server = await startToaServer();
    const page = await paneFor(server);
    const created: string[] = [];
    page.on('request', (request) => {
      if (writesToImports(request)) created.push(`${request.method()} ${request.url()}`);
    });
    await fillInvoice(page, { department: 'Finance', amount: '-5', reference: 'ab-12' });

    const form = messageForm(page);
    const reference = form.getByLabel('Reference');
    expect(await reference.getAttribute('aria-invalid')).toBe('true');
    expect(await descriptionsOf(reference)).toContain('Reference does not have the expected format');
    const amount = form.getByLabel('Amount');
    expect(await amount.getAttribute('aria-invalid')).toBe('true');
    expect(await descriptionsOf(amount)).toContain('Amount must be at least 0');
    expect(await form.getByLabel('Supplier').getAttribute('aria-invalid')).toBeNull();

    await importButton(page).click();
    await page.getByText('Some fields need attention.').waitFor();
    expect(created).toEqual([]);
    expect(await server.importsOnDisk()).toEqual([]);
  });

  it("refuses a value one character over the server's attributeLength, as the server does, and Import sends nothing", async () => {
    const limit = 40; // below the invoice supplier's own maxLength of 100
    server = await startToaServer({ limits: { attributeLength: limit } });
    const running = server;
    const page = await paneFor(running);
    const sent: string[] = [];
    page.on('request', (request) => {
      if (writesToImports(request)) sent.push(request.url());
    });
    await fillInvoice(page, { department: 'Finance' });

    const supplier = messageForm(page).getByLabel('Supplier');
    await supplier.fill('S'.repeat(limit));
    expect(await supplier.getAttribute('aria-invalid')).toBeNull();
    await supplier.fill('S'.repeat(limit + 1));
    expect(await supplier.getAttribute('aria-invalid')).toBe('true');
    expect(await descriptionsOf(supplier)).toContain(`Supplier must be at most ${limit} characters`);

    await importButton(page).click();
    await page.getByText('Some fields need attention.').waitFor();
    expect(sent).toEqual([]);
    expect(await running.importsOnDisk()).toEqual([]);

    // The server refuses that same value, and takes it one character shorter.
    const headers = { [DEV_IDENTITY_HEADERS.email]: 'dana@acme.example', 'Content-Type': 'application/json' };
    const created = importSchema.parse(await (await fetch(running.url + paths.imports(DOMAIN), { method: 'POST', headers, body: '{}' })).json());
    const put = (value: string) =>
      fetch(running.url + paths.document(DOMAIN, created.id, 1), {
        method: 'PUT',
        headers,
        body: JSON.stringify({ templateId: 'invoice', attributes: { supplier: value, invoiceDate: '2026-11-30', department: 'FIN' } }),
      });
    const refused = await put('S'.repeat(limit + 1));
    expect(refused.status).toBe(422);
    expect(problemSchema.parse(await refused.json()).errors?.map((e) => [e.field, e.code])).toEqual([['supplier', 'maxLength']]);
    expect((await put('S'.repeat(limit))).status).toBe(200);
  });
});
