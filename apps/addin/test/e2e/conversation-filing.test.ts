// @vitest-environment node
import { afterEach, describe, expect, it } from 'vitest';
import { chromiumForFile } from './support/chromium';
import { pdfMessage } from './support/corpus-message';
import { openPane, openPaneBeside } from './support/pane';
import { descriptionsOf, fillInvoice, importButton, messageForm, submittedBatchId } from './support/pane-form';
import { DOMAIN, startToaServer, type ToaServer } from './support/toa-server';

const browser = chromiumForFile();
let server: ToaServer | undefined;

afterEach(async () => {
  await server?.stop();
  server = undefined;
});

const THREAD = 'AAQkADAwATM0MDAAMS1iYTk2LThmNjUtMDACLTAwCgAQAF-conversation-filing';
/** The first message of a thread, and the reply that comes later in the same conversation (its own id, sender, date and subject). */
const first = pdfMessage({ itemId: 'AAMkItem-thread-1', internetMessageId: '<thread-1@supplier.example>', conversationId: THREAD });
const reply = pdfMessage({
  itemId: 'AAMkItem-thread-2',
  internetMessageId: '<thread-2@supplier.example>',
  conversationId: THREAD,
  subject: 'RE: Another PDF',
  from: { displayName: 'Other Tester', emailAddress: 'other@supplier.example' },
  dateTimeCreated: '2005-05-12T09:00:00.000Z',
});

describe('conversation filing in the task pane', () => {
  it('opens a later message of a filed conversation with that filing pre-selected; filed as it is, the import on disk has its domain, template and values', async () => {
    server = await startToaServer();
    const running = server;
    const firstPane = await openPane(browser(), running.url, { message: first.outlook });
    await fillInvoice(firstPane, { amount: '1250.50', department: 'Human resources', reference: 'AB-1234' });
    // the user's setting, kept by the pane for the next messages
    const setting = firstPane.getByRole('switch', { name: /^Conversation filing/ });
    await setting.check();
    await importButton(firstPane).click();
    await submittedBatchId(firstPane);
    await firstPane.close();

    const page = await openPaneBeside(firstPane, running.url, { message: reply.outlook });
    const form = messageForm(page);
    const template = form.getByLabel('Template for the message');
    // nothing chosen by hand: the conversation's filing is applied as the reply opens
    await expect.poll(() => template.inputValue(), { timeout: 30_000 }).toBe('invoice');
    expect(await page.getByRole('switch', { name: /^Conversation filing/ }).isChecked()).toBe(true);
    expect(await page.getByLabel('Archive domain').inputValue()).toBe(DOMAIN);
    await page
      .getByText(/same conversation/i)
      .first()
      .waitFor();
    // the filing's values, saying where they came from; the reply's own sender and date from the reply
    const reference = form.getByLabel('Reference');
    expect(await reference.inputValue()).toBe('AB-1234');
    expect(await descriptionsOf(reference)).toContain('from the suggestion');
    expect(await form.getByLabel('Amount').inputValue()).toBe('1250.5');
    expect(await form.getByLabel('Department').inputValue()).toBe('HR');
    expect(await form.getByLabel('Supplier').inputValue()).toBe('Other Tester');
    expect(await descriptionsOf(form.getByLabel('Supplier'))).toContain('from the message');
    expect(await form.getByLabel('Invoice date').inputValue()).toBe('2005-05-12');

    await importButton(page).click();
    const batchId = await submittedBatchId(page);

    const stored = await running.importsOnDisk();
    const filed = stored.find(({ record }) => record.source.internetMessageId === '<thread-2@supplier.example>');
    expect(stored).toHaveLength(2);
    expect(filed?.record).toMatchObject({
      domain: DOMAIN,
      status: 'SUBMITTED',
      damisBatchId: batchId,
      source: { conversationId: THREAD, subject: 'RE: Another PDF', from: 'Other Tester <other@supplier.example>' },
    });
    expect(filed?.record.documents).toHaveLength(1);
    expect(filed?.record.documents[0]).toMatchObject({
      n: 1,
      templateId: 'invoice',
      attributes: { supplier: 'Other Tester', invoiceDate: '2005-05-12', amount: 1250.5, department: 'HR', reference: 'AB-1234', confidential: false },
    });
  });
});
