// @vitest-environment node
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { corpusMessage } from './support/corpus-message';
import { DARK_BACKGROUND, launchChromium, openPane } from './support/pane';
import { attachmentItem, extractAsScan, fillInvoice, messageForm } from './support/pane-form';
import { repoRoot } from './support/paths';
import { startEmbeddedDefault, startToaServer, type ToaServer } from './support/toa-server';

/**
 * The pictures in README.md and docs/taskpane.md. They are committed, so they
 * are only rewritten on request: `TOA_SCREENSHOTS=1 npx vitest run test/e2e/screenshots.test.ts`.
 */
const screenshotsDir = path.join(repoRoot, 'docs', 'screenshots');

const PDF = 'broken.pdf';
const message = corpusMessage('mikel-mail/attachment_emails/attachment_pdf.eml', {
  itemId: 'AAMkItem-attachment-pdf',
  internetMessageId: '<xxxx@xxxx.com>',
  subject: 'Invoice 2026/118 for the May delivery',
  from: { displayName: 'Northwind Traders', emailAddress: 'billing@northwind.example' },
  dateTimeCreated: '2026-05-10T09:26:39.000Z',
  attachments: [PDF],
});

describe.runIf(process.env.TOA_SCREENSHOTS === '1')('screenshots for the docs', () => {
  let browser: Browser;
  let server: ToaServer;

  beforeAll(async () => {
    [browser, server] = await Promise.all([launchChromium(), startToaServer()]);
    await mkdir(screenshotsDir, { recursive: true });
  });
  afterAll(async () => {
    await browser?.close();
    await server?.stop();
  });

  it.each([
    ['taskpane.png', undefined],
    ['taskpane-dark.png', DARK_BACKGROUND],
  ])('%s', async (file, bodyBackgroundColor) => {
    const page = await openPane(browser, server.url, { message: message.outlook, bodyBackgroundColor });
    await fillInvoice(page, { amount: '1250.50', department: 'Finance', reference: 'NW-0118' });
    await extractAsScan(page, PDF, 'Delivery note');
    // The picture shows the pane as it opens: from the top, no caret or focus ring.
    await page.evaluate(() => {
      (document.activeElement as HTMLElement | null)?.blur();
      window.scrollTo(0, 0);
    });
    // Transitions (the switch's knob) are finished rather than caught half-way.
    await page.screenshot({ path: path.join(screenshotsDir, file), animations: 'disabled' });
    await page.context().close();
  });
});

describe.runIf(process.env.TOA_SCREENSHOTS === '1')('the browser preview for the README', () => {
  it('preview.png', async () => {
    const [browser, server] = await Promise.all([launchChromium(), startEmbeddedDefault()]);
    try {
      const context = await browser.newContext({ viewport: { width: 1440, height: 900 }, timezoneId: 'Europe/Prague', locale: 'en-US' });
      const page = await context.newPage();
      await page.goto(`${server.url}/`);
      // a message whose subject needs no emoji font (the machine that takes the picture may have none)
      await page
        .getByRole('navigation', { name: 'Sample mailbox' })
        .getByRole('button', { name: /Apple Mail inline PDFs/ })
        .click();
      const pane = page.frameLocator('iframe[title="TOA task pane"]');
      await messageForm(pane).getByLabel('Template for the message').selectOption({ label: 'Incoming invoice' });
      await attachmentItem(pane, 'invoice-a.pdf').getByLabel('Extract invoice-a.pdf to its own document').check();
      // the pane from its top, as it opens; no focus ring
      await pane.locator('body').evaluate(() => {
        (document.activeElement as HTMLElement | null)?.blur();
        window.scrollTo(0, 0);
      });
      await page.screenshot({ path: path.join(screenshotsDir, 'preview.png'), animations: 'disabled' });
    } finally {
      await browser.close();
      await server.stop();
    }
  });
});
