/**
 * Takes the pictures in README.md and docs/taskpane.md (docs/screenshots/):
 * the built pane in Debian's Chromium against the real server, in Office's
 * light and dark theme, and the browser preview on the embedded default.
 * The pictures are committed, so this runs only on request, never as a test:
 *
 *     npm run build && npm run screenshots --workspace @toa/addin
 */
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import type { Browser } from 'playwright-core';
import { PDF, pdfMessage } from '../test/e2e/support/corpus-message';
import { DARK_BACKGROUND, launchChromium, openPane } from '../test/e2e/support/pane';
import { attachmentItem, extractAsScan, fillInvoice, messageForm } from '../test/e2e/support/pane-form';
import { repoRoot } from '../test/e2e/support/paths';
import { startEmbeddedDefault, startToaServer } from '../test/e2e/support/toa-server';

const screenshotsDir = path.join(repoRoot, 'docs', 'screenshots');

const message = pdfMessage({
  subject: 'Invoice 2026/118 for the May delivery',
  from: { displayName: 'Northwind Traders', emailAddress: 'billing@northwind.example' },
  dateTimeCreated: '2026-05-10T09:26:39.000Z',
});

/** The pane with an invoice filled in and the PDF extracted, in the light and the dark theme. */
async function taskPanes(browser: Browser): Promise<void> {
  const server = await startToaServer();
  try {
    for (const [file, bodyBackgroundColor] of [
      ['taskpane.png', undefined],
      ['taskpane-dark.png', DARK_BACKGROUND],
    ] as const) {
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
      console.log(`wrote docs/screenshots/${file}`);
    }
  } finally {
    await server.stop();
  }
}

/** The browser preview for the README: the sample mailbox beside the pane. */
async function preview(browser: Browser): Promise<void> {
  const server = await startEmbeddedDefault();
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
    await context.close();
    console.log('wrote docs/screenshots/preview.png');
  } finally {
    await server.stop();
  }
}

await mkdir(screenshotsDir, { recursive: true });
const browser = await launchChromium();
try {
  await taskPanes(browser);
  await preview(browser);
} finally {
  await browser.close();
}
