// @vitest-environment node
import type { Locator, Page } from 'playwright-core';
import { afterEach, describe, expect, it } from 'vitest';
import { chromiumForFile } from './support/chromium';
import { appleMailMessage, type CorpusMessage, PDF, pdfMessage, plainMessage } from './support/corpus-message';
import { DARK_BACKGROUND, openPane } from './support/pane';
import { attachmentItem, extractAsScan, fillInvoice, importButton, messageForm, submittedBatchId } from './support/pane-form';
import { DOMAIN, startToaServer, type ToaServer } from './support/toa-server';

/**
 * Two promises of the pane: it is usable in the narrowest task pane Outlook
 * gives (320 px), in either theme, and the whole import can be done with the
 * keyboard alone — for one message, and for several selected together.
 */

const message = pdfMessage();

const NARROW = { width: 320, height: 640 };
/** The invoice template's fields a user edits (Case number is the server's). */
const INVOICE_FIELDS = ['Supplier', 'Amount', 'Invoice date', 'Department', 'Confidential', 'Reference'];
/** Enough Tab presses to cross the whole pane; more means the target is not in the tab order. */
const MAX_TAB_STOPS = 40;

const browser = chromiumForFile();
let server: ToaServer | undefined;

afterEach(async () => {
  await server?.stop();
  server = undefined;
});

describe('the task pane at 320 px', () => {
  it.each([
    ['light', undefined, 'light'],
    ['dark', DARK_BACKGROUND, 'dark'],
  ])('%s theme: nothing scrolls sideways and every control lies within the width', async (_theme, bodyBackgroundColor, colorScheme) => {
    server = await startToaServer();
    const page = await openPane(browser(), server.url, { message: message.outlook, bodyBackgroundColor }, { viewport: NARROW });
    // Everything the pane can show for the message: the invoice filled in, the PDF extracted with its own form.
    await fillInvoice(page, { amount: '1250.50', department: 'Finance', reference: 'AB-1234' });
    await extractAsScan(page, PDF, 'Scanned PDF');

    // The theme asked for is the one shown.
    expect(
      await page
        .locator('.fui-FluentProvider')
        .first()
        .evaluate((el) => getComputedStyle(el).colorScheme),
    ).toBe(colorScheme);

    const widths = await page.evaluate(() => ({
      document: document.documentElement.scrollWidth,
      body: document.body.scrollWidth,
      main: document.querySelector('main')?.scrollWidth,
    }));
    expect(widths).toEqual({ document: expect.any(Number), body: expect.any(Number), main: expect.any(Number) });
    expect(widths.document).toBeLessThanOrEqual(NARROW.width);
    expect(widths.body).toBeLessThanOrEqual(NARROW.width);
    expect(widths.main).toBeLessThanOrEqual(NARROW.width);

    const form = messageForm(page);
    const item = attachmentItem(page, PDF);
    const controls: [string, Locator][] = [
      ['domain picker', page.getByLabel('Archive domain')],
      ['template picker', form.getByLabel('Template for the message')],
      ...INVOICE_FIELDS.map((label): [string, Locator] => [label, form.getByLabel(label)]),
      ['attachment row', item],
      ['Extract switch', item.getByLabel(`Extract ${PDF} to its own document`)],
      ['attachment template picker', item.getByLabel(`Template for ${PDF}`)],
      ['attachment Title', item.getByLabel('Title')],
      ['Import button', importButton(page)],
    ];
    for (const [name, control] of controls) {
      expect(await control.isVisible(), `${name} is visible`).toBe(true);
      expect(await horizontalExtent(control), `${name} lies within ${NARROW.width} px`).toEqual({
        inside: true,
        left: expect.any(Number),
        right: expect.any(Number),
      });
    }

    // And nothing else the user can operate sticks out either.
    expect(await expectAllWithinNarrow(page)).toBeGreaterThanOrEqual(controls.length);
    await page.context().close();
  });
});

/** Two messages selected together (item multi-select): the bulk form's shared and per-message fields. */
const selectedTogether: CorpusMessage[] = [appleMailMessage(), plainMessage()];
/** The invoice template's fields the messages share; Supplier and Invoice date each message fills from itself. */
const SHARED_FIELDS = ['Amount', 'Department', 'Confidential', 'Reference'];

function paneWithTwoSelected(running: ToaServer, viewport?: { width: number; height: number }) {
  return openPane(
    browser(),
    running.url,
    { message: null, messages: selectedTogether.map((m) => m.outlook), selected: selectedTogether.map((m) => m.outlook.itemId), mailboxVersion: '1.15' },
    viewport ? { viewport } : {},
  );
}

function selectedRow(page: Page, message: CorpusMessage): Locator {
  return page.getByRole('list', { name: 'Selected messages' }).getByRole('listitem', { name: message.outlook.subject, exact: true });
}

describe('the bulk form at 320 px and with the keyboard alone', () => {
  it('nothing scrolls sideways and every control lies within the width, in the form and in the queue', async () => {
    server = await startToaServer();
    const page = await paneWithTwoSelected(server, NARROW);
    await page.getByRole('heading', { name: '2 messages selected' }).waitFor();
    await page.getByLabel('Template for all messages').selectOption({ label: 'Incoming invoice' });
    const shared = page.getByRole('region', { name: 'Values for all messages' });
    await shared.getByLabel('Amount').fill('1250.50');
    await shared.getByLabel('Department').selectOption({ label: 'Finance' });

    const controls: [string, Locator][] = [
      ['domain picker', page.getByLabel('Archive domain')],
      ['template picker', page.getByLabel('Template for all messages')],
      ...SHARED_FIELDS.map((label): [string, Locator] => [`shared ${label}`, shared.getByLabel(label)]),
      ...selectedTogether.flatMap((m): [string, Locator][] => [
        [`${m.outlook.subject}: Supplier`, selectedRow(page, m).getByLabel('Supplier')],
        [`${m.outlook.subject}: Invoice date`, selectedRow(page, m).getByLabel('Invoice date')],
      ]),
      ['File button', page.getByRole('button', { name: 'File 2 messages' })],
    ];
    for (const [name, control] of controls) {
      expect(await control.isVisible(), `${name} is visible`).toBe(true);
      expect(await horizontalExtent(control), `${name} lies within ${NARROW.width} px`).toEqual({
        inside: true,
        left: expect.any(Number),
        right: expect.any(Number),
      });
    }
    expect(await expectAllWithinNarrow(page)).toBeGreaterThanOrEqual(controls.length);

    await page.getByRole('button', { name: 'File 2 messages' }).click();
    await page.getByText('2 of 2 done').waitFor();
    expect(await expectAllWithinNarrow(page)).toBeGreaterThanOrEqual(1);
    await page.context().close();
  });

  it("fills in the shared and each message's own values and files both without a click", async () => {
    server = await startToaServer();
    const page = await paneWithTwoSelected(server);
    const template = page.getByLabel('Template for all messages');
    // Waiting for the form to be there is not acting on it.
    await template.waitFor();

    await tabTo(page, page.getByLabel('Archive domain'));
    expect(await page.getByLabel('Archive domain').inputValue()).toBe(DOMAIN);
    await tabTo(page, template);
    await arrowTo(page, template, 'Incoming invoice');
    const shared = page.getByRole('region', { name: 'Values for all messages' });
    await tabTo(page, shared.getByLabel('Amount'));
    await page.keyboard.type('80');
    await tabTo(page, shared.getByLabel('Department'));
    await arrowTo(page, shared.getByLabel('Department'), 'Human resources');
    await tabTo(page, shared.getByLabel('Reference'));
    await page.keyboard.type('HR-0042');

    // each message's own supplier, pre-filled from its sender: one corrected
    const [apple, plain] = selectedTogether as [CorpusMessage, CorpusMessage];
    await tabTo(page, selectedRow(page, plain).getByLabel('Supplier'));
    await page.keyboard.press('Control+A');
    await page.keyboard.type('Lindsaar Consulting');

    await tabTo(page, page.getByRole('button', { name: 'File 2 messages' }));
    await page.keyboard.press('Enter');
    await page.getByText('2 of 2 done').waitFor();
    await tabTo(page, page.getByRole('button', { name: 'Done' }));

    const imports = await server.importsOnDisk();
    const byMessage = (m: CorpusMessage) => imports.filter((i) => i.record.source.internetMessageId === m.outlook.internetMessageId);
    const expected: [CorpusMessage, Record<string, unknown>][] = [
      [apple, { supplier: 'Example Sender', invoiceDate: '2025-11-04' }],
      [plain, { supplier: 'Lindsaar Consulting', invoiceDate: '2008-11-22' }],
    ];
    for (const [message, own] of expected) {
      const [only, ...more] = byMessage(message);
      expect(more).toEqual([]);
      expect(only?.record.status).toBe('SUBMITTED');
      // toMatchObject: the server adds its own Case number
      expect(only?.record.documents).toMatchObject([
        { templateId: 'invoice', attributes: { ...own, amount: 80, department: 'HR', confidential: false, reference: 'HR-0042' } },
      ]);
    }
    await page.context().close();
  });
});

describe('the task pane with the keyboard alone', () => {
  it('fills in the message and its attachment and imports it to SUBMITTED without a click', async () => {
    server = await startToaServer();
    const page = await openPane(browser(), server.url, { message: message.outlook });
    const form = messageForm(page);
    const item = attachmentItem(page, PDF);
    // Waiting for the form to be there is not acting on it.
    await form.getByLabel('Template for the message').waitFor();

    // The only domain is chosen by itself; Tab still reaches its picker, the first control of the pane.
    await tabTo(page, page.getByLabel('Archive domain'));
    expect(await page.getByLabel('Archive domain').inputValue()).toBe('acme');

    await tabTo(page, form.getByLabel('Template for the message'));
    await arrowTo(page, form.getByLabel('Template for the message'), 'Incoming invoice');
    expect(await form.getByLabel('Supplier').inputValue()).toBe('Test Tester');
    expect(await form.getByLabel('Invoice date').inputValue()).toBe('2005-05-10');

    await tabTo(page, form.getByLabel('Amount'));
    await page.keyboard.type('1250.50');
    await tabTo(page, form.getByLabel('Department'));
    await arrowTo(page, form.getByLabel('Department'), 'Finance');
    await tabTo(page, form.getByLabel('Confidential'));
    await page.keyboard.press('Space');
    expect(await form.getByLabel('Confidential').isChecked()).toBe(true);
    await tabTo(page, form.getByLabel('Reference'));
    await page.keyboard.type('AB-1234');

    // Back up and correct a field, as a keyboard user would.
    await tabTo(page, form.getByLabel('Amount'), 'Shift+Tab');
    await page.keyboard.press('Control+A');
    await page.keyboard.type('990');

    await tabTo(page, item.getByLabel(`Extract ${PDF} to its own document`));
    await page.keyboard.press('Space');
    expect(await item.getByLabel(`Extract ${PDF} to its own document`).isChecked()).toBe(true);
    await tabTo(page, item.getByLabel(`Template for ${PDF}`));
    await arrowTo(page, item.getByLabel(`Template for ${PDF}`), 'Scanned document');
    await tabTo(page, item.getByLabel('Title'));
    await page.keyboard.type('Scanned PDF');

    await tabTo(page, importButton(page));
    await page.keyboard.press('Enter');
    const batchId = await submittedBatchId(page);
    expect(batchId).not.toBe('');

    // Import's button is gone: the focus is not dropped to the page but lands on the batch id, selected for Ctrl+C.
    const batchField = page.getByLabel('Batch id');
    expect(await batchField.evaluate((input) => input === document.activeElement)).toBe(true);
    expect(await batchField.evaluate((input: HTMLInputElement) => input.value.slice(input.selectionStart ?? 0, input.selectionEnd ?? 0))).toBe(batchId);
    await tabTo(page, page.getByRole('button', { name: 'Copy' }));

    const [stored] = await server.importsOnDisk();
    expect(stored?.record).toMatchObject({ status: 'SUBMITTED', damisBatchId: batchId });
    // toMatchObject: the server adds its own Case number.
    expect(stored?.record.documents).toMatchObject([
      {
        templateId: 'invoice',
        attributes: { supplier: 'Test Tester', amount: 990, invoiceDate: '2005-05-10', department: 'FIN', confidential: true, reference: 'AB-1234' },
      },
      { templateId: 'scan', attributes: { title: 'Scanned PDF' } },
    ]);
    await page.context().close();
  });
});

/** Checks that every visible control the user can operate lies within the narrow viewport; returns how many were checked. */
async function expectAllWithinNarrow(page: Page): Promise<number> {
  const widths = await page.evaluate(() => ({
    document: document.documentElement.scrollWidth,
    body: document.body.scrollWidth,
    main: document.querySelector('main')?.scrollWidth ?? Number.POSITIVE_INFINITY,
  }));
  expect(Math.max(widths.document, widths.body, widths.main), 'nothing scrolls sideways').toBeLessThanOrEqual(NARROW.width);
  let checked = 0;
  for (const control of await page.locator('main').locator('input, select, textarea, button, [role="switch"], [role="listitem"], li').all()) {
    if (!(await control.isVisible())) continue;
    checked++;
    expect(await horizontalExtent(control), `${await roleAndName(control)} lies within ${NARROW.width} px`).toEqual({
      inside: true,
      left: expect.any(Number),
      right: expect.any(Number),
    });
  }
  return checked;
}

/** Where a control lies across the page, and whether that is within the narrow viewport. */
async function horizontalExtent(control: Locator): Promise<{ inside: boolean; left: number; right: number }> {
  const box = await control.boundingBox();
  if (!box) throw new Error(`${await roleAndName(control)} has no box`);
  const right = box.x + box.width;
  return { inside: box.x >= 0 && right <= NARROW.width, left: box.x, right };
}

/** The focused element as assistive technology sees it: role and accessible name (Playwright's ARIA snapshot, first line). */
async function roleAndName(element: Locator): Promise<string> {
  const line = ((await element.ariaSnapshot()).split('\n')[0] ?? '').replace(/^- /, '');
  // the snapshot is YAML: a line holding ": " (a name like "Conversation filing: …") comes single-quoted
  return line.startsWith("'") && line.endsWith("'") ? line.slice(1, -1).replaceAll("''", "'") : line;
}

/**
 * Presses Tab (or Shift+Tab) until `target` has the focus. Every stop on the
 * way must be a control with an accessible name, on screen, with the
 * browser's keyboard-focus indicator; a target not reached within
 * MAX_TAB_STOPS is not in the tab order.
 */
async function tabTo(page: Page, target: Locator, key: 'Tab' | 'Shift+Tab' = 'Tab'): Promise<void> {
  const stops: string[] = [];
  for (let i = 0; i < MAX_TAB_STOPS; i++) {
    await page.keyboard.press(key);
    const landed = await page.evaluate(() => {
      const element = document.activeElement;
      return {
        tag: element?.tagName ?? 'BODY',
        id: element?.id ?? '',
        // false on a stop inside the browser's own parts of a control: the date field's picker button
        focus: element?.matches(':focus') ?? false,
        focusVisible: element?.matches(':focus-visible') ?? false,
      };
    });
    expect(landed.tag, `focus left the pane after ${stops.join(' → ')}`).not.toBe('BODY');
    const focused = landed.id ? page.locator(`[id="${landed.id}"]`) : page.locator(':focus');
    const described = await roleAndName(focused);
    stops.push(landed.focus ? described : `${described} (its own picker button)`);
    expect(described, `a tab stop without an accessible name after ${stops.join(' → ')}`).toMatch(/^[\w-]+ "[^"]+"/);
    if (landed.focus) expect(landed.focusVisible, `${described} shows no keyboard focus indicator`).toBe(true);
    expect(await inViewport(focused), `${described} is focused off screen`).toBe(true);
    if (await target.evaluate((element) => element === document.activeElement)) return;
  }
  throw new Error(`${await roleAndName(target)} was not reached with ${key}: ${stops.join(' → ')}`);
}

/** Changes the focused <select> with the arrow keys until `label` is chosen. */
async function arrowTo(page: Page, select: Locator, label: string): Promise<void> {
  const chosen = () => select.evaluate((element: HTMLSelectElement) => element.selectedOptions[0]?.textContent ?? '');
  const options = await select.evaluate((element: HTMLSelectElement) => [...element.options].map((option) => option.textContent ?? ''));
  const key = options.indexOf(label) < options.indexOf(await chosen()) ? 'ArrowUp' : 'ArrowDown';
  for (let i = 0; i < options.length && (await chosen()) !== label; i++) await page.keyboard.press(key);
  expect(await chosen()).toBe(label);
}

/** Whether the browser brought the element into view: all of its width, and its middle within the viewport's height. */
async function inViewport(element: Locator): Promise<boolean> {
  const box = await element.boundingBox();
  const viewport = element.page().viewportSize();
  if (!box || !viewport || box.width === 0 || box.height === 0) return false;
  const middle = box.y + box.height / 2;
  return box.x >= 0 && box.x + box.width <= viewport.width && middle >= 0 && middle <= viewport.height;
}
