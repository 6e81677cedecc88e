// @vitest-environment node
import { afterEach, describe, expect, it } from 'vitest';
import { chromiumForFile } from './support/chromium';
import { pdfMessage } from './support/corpus-message';
import { holdUpload } from './support/held-upload';
import { openPane } from './support/pane';
import { fillInvoice, importButton, messageForm, submittedBatchId } from './support/pane-form';
import { startToaServer, type ToaServer } from './support/toa-server';

const message = pdfMessage();
const browser = chromiumForFile();
let server: ToaServer | undefined;

afterEach(async () => {
  await server?.stop();
  server = undefined;
});

describe('the task pane when the server asks it to wait', () => {
  it('shows why it waits and when it tries again, keeps the entries, and files the message once the server lets it', async () => {
    server = await startToaServer({ limits: { uploadsPerUser: 1 } });
    // another upload of the same user is under way: the pane's upload is refused 429 with Retry-After
    const held = await holdUpload(server.url, 'dana@acme.example');
    const page = await openPane(browser(), server.url, { message: message.outlook });
    await fillInvoice(page, { amount: '1250.50', department: 'Finance', reference: 'AB-1234' });
    await importButton(page).click();

    const notice = page.getByRole('group', { name: 'Waiting for the server' });
    await notice.waitFor();
    const text = (await notice.textContent()) ?? '';
    expect(text).toContain('you already have 1 uploads under way (the limit is 1)');
    // counted down from the Retry-After the server sent
    const seconds = Number(/Trying again in (\d+) s \(attempt 2 of 4\)/.exec(text)?.[1]);
    expect(seconds).toBeGreaterThanOrEqual(1);
    expect(seconds).toBeLessThanOrEqual(held.retryAfterSeconds);
    expect(text).toContain('Your entries are kept.');
    // the step it waits in stays on screen, and what was typed is still in the form
    await page.getByText('Uploading the message…').waitFor();
    expect(await messageForm(page).getByLabel('Amount').inputValue()).toBe('1250.50');
    expect(await messageForm(page).getByLabel('Reference').inputValue()).toBe('AB-1234');

    expect(await held.release()).toBe(201);
    await submittedBatchId(page);
    expect(await notice.count()).toBe(0);
    const mine = (await server.importsOnDisk()).filter(({ record }) => record.source.internetMessageId === message.outlook.internetMessageId);
    expect(mine).toHaveLength(1);
    expect(mine[0]?.record).toMatchObject({
      status: 'SUBMITTED',
      documents: [{ n: 1, templateId: 'invoice', attributes: { amount: 1250.5, department: 'FIN', reference: 'AB-1234' } }],
    });
    expect(mine[0]?.record.documents[0]?.pages).toHaveLength(1);
  });
});
