// @vitest-environment node
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { afterEach, describe, expect, it } from 'vitest';
import { chromiumForFile } from './support/chromium';
import { attachmentItem, importButton, messageForm, submittedBatchId } from './support/pane-form';
import { corpusDir } from './support/paths';
import { type EmbeddedDefaultServer, importsUnder, startEmbeddedDefault } from './support/toa-server';

const SUBJECT = 'Another PDF with 🎉 Unicode chars in it 🍿';
const PDF = 'broken.pdf';

const browser = chromiumForFile();
let server: EmbeddedDefaultServer | undefined;

afterEach(async () => {
  await server?.stop();
  server = undefined;
});

/**
 * Opens `/` as a newcomer would after `npm start`; anything off loopback is refused and recorded, and so is every
 * answer of 400 or more to what the page and the pane ask for (a missing file is a 404 in the server's log and the
 * browser's console). The browser's own favicon requests are not among them: Playwright leaves them out.
 */
async function openPreview(url: string, viewport = { width: 1440, height: 900 }): Promise<{ page: Page; offLoopback: string[]; failed: string[] }> {
  const context = await browser().newContext({ viewport, timezoneId: 'Europe/Prague', locale: 'en-US' });
  const offLoopback: string[] = [];
  const failed: string[] = [];
  context.on('response', (response) => {
    if (response.status() >= 400) failed.push(`${response.status()} ${response.url()}`);
  });
  await context.route(
    (target) => target.hostname !== '127.0.0.1',
    (route) => {
      offLoopback.push(route.request().url());
      return route.abort('blockedbyclient');
    },
  );
  const page = await context.newPage();
  await page.goto(`${url}/`);
  return { page, offLoopback, failed };
}

describe('the browser preview after npm start', () => {
  it('files a message of the sample mailbox end to end through the real pane', async () => {
    server = await startEmbeddedDefault();
    const { page, offLoopback, failed } = await openPreview(server.url);
    expect(page.url()).toBe(`${server.url}/preview/`);
    // an icon of its own, so the browser does not ask for a /favicon.ico there is none of
    const icon = new URL(String(await page.locator('link[rel="icon"]').getAttribute('href')), page.url());
    const iconAnswer = await fetch(icon);
    expect([iconAnswer.status, iconAnswer.headers.get('content-type')]).toEqual([200, 'image/png']);
    const pane = page.frameLocator('iframe[title="TOA task pane"]');
    await pane.getByText('Select a message to file it into the archive.').waitFor();

    const mailbox = page.getByRole('navigation', { name: 'Sample mailbox' });
    await mailbox.getByRole('button', { name: new RegExp(SUBJECT) }).click();
    await expect.poll(() => mailbox.getByRole('button', { name: new RegExp(SUBJECT) }).getAttribute('aria-pressed')).toBe('true');

    // the embedded default has one domain, chosen by itself; General correspondence is filled from the message
    const form = messageForm(pane);
    await form.getByLabel('Template for the message').selectOption({ label: 'General correspondence' });
    expect(await form.getByLabel('Subject').inputValue()).toBe(SUBJECT);
    const pdf = attachmentItem(pane, PDF);
    await pdf.getByLabel(`Extract ${PDF} to its own document`).check();
    await pdf.getByLabel('Subject').fill('The PDF on its own');
    await importButton(pane).click();
    const batchId = await submittedBatchId(pane);

    // the pane marked the message, and the sample mailbox shows it
    const filed = mailbox.getByRole('button', { name: new RegExp(SUBJECT) });
    await expect.poll(() => filed.textContent()).toContain('TOA archived');
    expect(await filed.textContent()).toContain(`batch ${batchId}`);
    // Outlook keeps a message's marks: so does the preview across a reload
    await page.reload();
    await expect.poll(() => filed.textContent()).toContain('TOA archived');
    expect(await filed.textContent()).toContain(`batch ${batchId}`);

    // on disk, where npm start keeps them: the import in ./data, the batch in ./archive
    const [stored, ...others] = await importsUnder(path.join(server.dir, 'data', 'sample'));
    expect(others).toEqual([]);
    expect(stored?.record).toMatchObject({ status: 'SUBMITTED', damisBatchId: batchId, source: { internetMessageId: '<xxxx@xxxx.com>' } });
    expect(stored?.record.documents.map((d) => [d.templateId, d.attributes.subject])).toEqual([
      ['correspondence', SUBJECT],
      ['correspondence', 'The PDF on its own'],
    ]);
    const original = await readFile(path.join(corpusDir, 'mikel-mail', 'attachment_emails', 'attachment_pdf.eml'));
    // the filesystem archive names the batch folder by the idempotency key of the attempt that reached it
    const key = stored?.record.attempts.at(-1)?.idempotencyKey ?? '';
    const manifest = JSON.parse(await readFile(path.join(server.dir, 'archive', 'sample', key, 'manifest.json'), 'utf8'));
    expect(manifest).toMatchObject({ batchId, importId: stored?.record.id, domain: 'sample' });
    expect(manifest.documents).toHaveLength(2);
    // the message was handed over whole: its bytes are what the corpus file holds, less the extracted PDF
    const page1 = await readFile(path.join(stored?.dir ?? '', 'doc-1', 'pages', 'page-1.bin'));
    expect(page1.length).toBeGreaterThan(0);
    expect(original.includes(Buffer.from('Just attaching another PDF'))).toBe(true);
    expect(page1.includes(Buffer.from('Just attaching another PDF'))).toBe(true);
    expect(offLoopback).toEqual([]);
    expect(failed).toEqual([]);
  });

  it('files two messages of the sample mailbox selected together', async () => {
    server = await startEmbeddedDefault();
    const { page, offLoopback, failed } = await openPreview(server.url);
    const pane = page.frameLocator('iframe[title="TOA task pane"]');
    const mailbox = page.getByRole('navigation', { name: 'Sample mailbox' });
    await mailbox.getByRole('checkbox', { name: `Select "${SUBJECT}" with others` }).check();
    await mailbox.getByRole('checkbox', { name: 'Select "Apple Mail inline PDFs" with others' }).check();
    await pane.getByRole('heading', { name: '2 messages selected' }).waitFor();

    await pane.getByLabel('Template for all messages').selectOption({ label: 'General correspondence' });
    // the subject is each message's own
    const apple = pane.getByRole('list', { name: 'Selected messages' }).getByRole('listitem', { name: 'Apple Mail inline PDFs', exact: true });
    expect(await apple.getByLabel('Subject').inputValue()).toBe('Apple Mail inline PDFs');
    await pane.getByRole('button', { name: 'File 2 messages' }).click();
    await pane.getByText('2 of 2 done').waitFor();

    for (const subject of [SUBJECT, 'Apple Mail inline PDFs']) {
      await expect.poll(() => mailbox.getByRole('button', { name: new RegExp(subject) }).textContent()).toContain('TOA archived');
    }
    const stored = await importsUnder(path.join(server.dir, 'data', 'sample'));
    expect(stored.map((i) => [i.record.status, i.record.documents[0]?.attributes.subject]).sort()).toEqual([
      ['SUBMITTED', SUBJECT],
      ['SUBMITTED', 'Apple Mail inline PDFs'],
    ]);
    expect(offLoopback).toEqual([]);
    expect(failed).toEqual([]);
  });

  it.each([
    [360, 800],
    [600, 800],
    [860, 700],
  ])('narrows to a %i px window: nothing scrolls sideways, the list and a pane at least 320 px wide are usable', async (width, height) => {
    server = await startEmbeddedDefault();
    const { page } = await openPreview(server.url, { width, height });
    const mailbox = page.getByRole('navigation', { name: 'Sample mailbox' });
    const message = mailbox.getByRole('button', { name: new RegExp(SUBJECT) });
    await message.click();
    const pane = page.frameLocator('iframe[title="TOA task pane"]');
    await messageForm(pane).getByLabel('Template for the message').waitFor();

    const scrollWidth = await page.evaluate(() => Math.max(document.documentElement.scrollWidth, document.body.scrollWidth));
    expect(scrollWidth).toBeLessThanOrEqual(width);
    for (const [name, element] of [
      ['the sample message', message],
      ['its check box', mailbox.getByRole('checkbox', { name: `Select "${SUBJECT}" with others` })],
      ['the pane', page.locator('iframe[title="TOA task pane"]')],
    ] as const) {
      const box = await element.boundingBox();
      expect(box, `${name} is shown`).not.toBeNull();
      expect((box?.x ?? -1) >= 0 && (box?.x ?? 0) + (box?.width ?? 0) <= width, `${name} lies within ${width} px`).toBe(true);
    }
    // at least as wide as Outlook's narrowest task pane
    expect((await page.locator('iframe[title="TOA task pane"]').boundingBox())?.width).toBeGreaterThanOrEqual(320);
  });
});
