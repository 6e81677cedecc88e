// @vitest-environment node
import { problemSchema } from '@toa/api/errors';
import { importSchema } from '@toa/api/imports';
import { DEV_IDENTITY_HEADERS, paths } from '@toa/api/routes';
import type { Browser } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { corpusMessage } from './support/corpus-message';
import { launchChromium, openPane } from './support/pane';
import { descriptionsOf, fillInvoice, importButton, messageForm } from './support/pane-form';
import { DOMAIN, startToaServer, type ToaServer } from './support/toa-server';

/** The server's `limits.attributeLength`, below the invoice supplier's own maxLength of 100. */
const LIMIT = 40;

const message = corpusMessage('mikel-mail/attachment_emails/attachment_pdf.eml', {
  itemId: 'AAMkItem-attribute-limit',
  internetMessageId: '<limit@acme.example>',
  subject: 'An invoice',
  from: { displayName: 'Test Tester', emailAddress: 'xxxx@xxxx.com' },
  dateTimeCreated: '2005-05-10T17:26:39.000Z',
  attachments: ['broken.pdf'],
});

let browser: Browser;
let server: ToaServer | undefined;

beforeAll(async () => {
  browser = await launchChromium();
});
afterAll(async () => {
  await browser?.close();
});
afterEach(async () => {
  await server?.stop();
  server = undefined;
});

describe("the server's attributeLength in the pane", () => {
  it('refuses a value one character over the limit, as the server does, and Import sends nothing', async () => {
    server = await startToaServer({ limits: { attributeLength: LIMIT } });
    const running = server;
    const page = await openPane(browser, running.url, { message: message.outlook });
    const sent: string[] = [];
    page.on('request', (request) => {
      if (request.method() !== 'GET' && new URL(request.url()).pathname.startsWith(paths.imports(DOMAIN))) sent.push(request.url());
    });
    await fillInvoice(page, { department: 'Finance' });

    const supplier = messageForm(page).getByLabel('Supplier');
    await supplier.fill('S'.repeat(LIMIT));
    expect(await supplier.getAttribute('aria-invalid')).toBeNull();
    await supplier.fill('S'.repeat(LIMIT + 1));
    expect(await supplier.getAttribute('aria-invalid')).toBe('true');
    expect(await descriptionsOf(supplier)).toContain(`Supplier must be at most ${LIMIT} characters`);

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
    const refused = await put('S'.repeat(LIMIT + 1));
    expect(refused.status).toBe(422);
    expect(problemSchema.parse(await refused.json()).errors?.map((e) => [e.field, e.code])).toEqual([['supplier', 'maxLength']]);
    expect((await put('S'.repeat(LIMIT))).status).toBe(200);
  });
});
