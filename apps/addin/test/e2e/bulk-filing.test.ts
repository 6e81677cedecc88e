// @vitest-environment node
import { paths } from '@toa/api/routes';
import type { Page, Route } from 'playwright-core';
import { afterEach, describe, expect, it } from 'vitest';
import { draftStore, newAttempt } from '../../src/features/import-flow/flow/attempt';
import { runImport } from '../../src/features/import-flow/flow/run-import';
import { clientFor, draftFor, heldCorpusMessage } from '../../src/test/import-flow-server';
import { MemoryStorage } from '../../src/test/memory-storage';
import { chromiumForFile } from './support/chromium';
import { type CorpusMessage, corpusMessage, pdfMessage } from './support/corpus-message';
import { officeState, openPane } from './support/pane';
import { type ScriptedArchive, startScriptedArchive } from './support/scripted-archive';
import { DOMAIN, type StoredImport, startToaServer, type ToaServer } from './support/toa-server';

const browser = chromiumForFile();
let server: ToaServer | undefined;
let archive: ScriptedArchive | undefined;

afterEach(async () => {
  await server?.stop();
  await archive?.close();
  server = undefined;
  archive = undefined;
});

/** Three real messages of the corpus, as Outlook lists them in one folder; A and C are of one conversation. */
const filedBefore = pdfMessage({ itemId: 'AAMkItem-A', conversationId: 'AAQkConversation-invoices' });
const appleMail = corpusMessage('reported/08-apple-mail-inline-pdf.eml', {
  itemId: 'AAMkItem-B',
  internetMessageId: '<a4d9c31519ab.hunt@example.com>',
  subject: 'Apple Mail inline PDFs',
  from: { displayName: 'Example Sender', emailAddress: 'sender@example.com' },
  dateTimeCreated: '2025-11-04T09:15:00.000Z',
  conversationId: 'AAQkConversation-apple',
  attachments: [],
});
const plain = corpusMessage('mikel-mail/plain_emails/basic_email.eml', {
  itemId: 'AAMkItem-C',
  internetMessageId: '<6B7EC235-5B17-4CA8-B2B8-39290DEB43A3@test.lindsaar.net>',
  subject: 'Testing 123',
  from: { displayName: 'Mikel Lindsaar', emailAddress: 'test@lindsaar.net' },
  dateTimeCreated: '2008-11-22T04:04:59.000Z',
  conversationId: 'AAQkConversation-invoices',
  attachments: [],
});
const selected = [filedBefore, appleMail, plain];

/** Files a message through the real flow, as the single pane did on an earlier day. */
async function fileEarlier(running: ToaServer, message: CorpusMessage): Promise<void> {
  const client = clientFor(running.url);
  const handle = heldCorpusMessage(message);
  const ctx = { client, store: draftStore(new MemoryStorage()), emit: () => undefined, polling: { intervalMs: 0 } };
  const outcome = await runImport(ctx, newAttempt(DOMAIN, handle), { draft: draftFor(), templates: (await client.templates(DOMAIN)).templates });
  expect(outcome.kind).toBe('submitted');
}

function paneWithSelection(running: ToaServer): Promise<Page> {
  return openPane(browser(), running.url, {
    message: null,
    messages: selected.map((m) => m.outlook),
    selected: selected.map((m) => m.outlook.itemId),
    mailboxVersion: '1.15',
  });
}

/** A message's entry in a list of the bulk form or the queue, named by its subject. */
function row(page: Page, list: string, message: CorpusMessage) {
  return page.getByRole('list', { name: list }).getByRole('listitem', { name: message.outlook.subject, exact: true });
}

function importsOf(imports: StoredImport[], message: CorpusMessage): StoredImport[] {
  return imports.filter((i) => i.record.source.internetMessageId === message.outlook.internetMessageId);
}

describe('filing several selected messages', () => {
  it('files three in one go: one filed before is skipped with a note, one the archive refuses once is retried alone, every import on disk as chosen', async () => {
    archive = await startScriptedArchive({ status: 201, body: (n: number) => ({ batchId: `ARCH-${n}` }) });
    server = await startToaServer({ archive: { type: 'http', url: archive.url, retries: 0 } });
    await fileEarlier(server, filedBefore);
    // the next batch the archive receives is refused, once
    archive.answerNext({ status: 500, body: { detail: 'disk full' } });

    const page = await paneWithSelection(server);
    await page.getByRole('heading', { name: '3 messages selected' }).waitFor();
    await page.getByLabel('Archive domain').selectOption(DOMAIN);
    await page.getByLabel('Template for all messages').selectOption({ label: 'Incoming invoice' });
    const shared = page.getByRole('region', { name: 'Values for all messages' });
    await shared.getByLabel('Amount').fill('99.90');
    await shared.getByLabel('Department').selectOption({ label: 'Finance' });

    // each message brings its own sender and date; one is changed by hand
    const apple = row(page, 'Selected messages', appleMail);
    expect(await apple.getByLabel('Supplier').inputValue()).toBe('Example Sender');
    expect(await apple.getByLabel('Invoice date').inputValue()).toBe('2025-11-04');
    await apple.getByLabel('Supplier').fill('Apple Supplier a.s.');
    expect(await row(page, 'Selected messages', plain).getByLabel('Invoice date').inputValue()).toBe('2008-11-22');
    await row(page, 'Selected messages', filedBefore)
      .getByText(/^Already filed on .+, batch ARCH-1: it will be skipped\.$/)
      .waitFor();

    await page.getByRole('button', { name: 'File 3 messages' }).click();
    await page.getByText('3 of 3 done').waitFor();
    await row(page, 'Messages being filed', filedBefore)
      .getByText(/^Skipped: this message was filed on .+, batch ARCH-1\.$/)
      .waitFor();
    const refused = page.getByRole('list', { name: 'Messages being filed' }).getByRole('listitem').filter({ hasText: 'The archive refused it' });
    await expect(refused.count()).resolves.toBe(1);
    const refusedSubject = await refused.getByRole('button', { name: /^Retry / }).getAttribute('aria-label');
    const retried = selected.find((m) => refusedSubject === `Retry ${m.outlook.subject}`) as CorpusMessage;
    const other = retried === appleMail ? plain : appleMail;
    const otherBatch = await row(page, 'Messages being filed', other)
      .getByText(/^Filed, batch ARCH-\d$/)
      .textContent();

    await row(page, 'Messages being filed', retried)
      .getByRole('button', { name: /^Retry / })
      .click();
    await row(page, 'Messages being filed', retried).getByText('Filed, batch ARCH-4').waitFor();
    // the other message is left as it was
    expect(
      await row(page, 'Messages being filed', other)
        .getByText(/^Filed, batch/)
        .textContent(),
    ).toBe(otherBatch);

    const imports = await server.importsOnDisk();
    expect(importsOf(imports, filedBefore)).toHaveLength(1);
    const expected = new Map([
      [appleMail, { supplier: 'Apple Supplier a.s.', invoiceDate: '2025-11-04' }],
      [plain, { supplier: 'Mikel Lindsaar', invoiceDate: '2008-11-22' }],
    ]);
    for (const [message, own] of expected) {
      const [only, ...more] = importsOf(imports, message);
      expect(more).toEqual([]);
      expect(only?.record.status).toBe('SUBMITTED');
      expect(only?.record.documents.map((d) => [d.templateId, d.attributes])).toEqual([
        // the case number is the template's server-generated attribute, filled at submit
        ['invoice', { ...own, amount: 99.9, department: 'FIN', confidential: false, caseNumber: `${only?.record.id}/1` }],
      ]);
      expect(only?.record.source.conversationId).toBe(message.outlook.conversationId);
      const attempts = only?.record.attempts.map((a) => a.outcome);
      expect(attempts).toEqual(message === retried ? ['FAILED', 'SUBMITTED'] : ['SUBMITTED']);
    }

    // each filed message got the category once the archive confirmed it; the skipped one was left alone
    const { byItem } = await officeState(page);
    expect(byItem[appleMail.outlook.itemId]?.categories).toEqual(['TOA archived']);
    expect(byItem[plain.outlook.itemId]?.categories).toEqual(['TOA archived']);
    expect(byItem[filedBefore.outlook.itemId]?.categories).toEqual([]);

    await page.getByRole('button', { name: 'Done' }).click();
    await page.getByRole('heading', { name: '3 messages selected' }).waitFor();
  });

  it('goes on by itself after the pane reloads mid-way, and files every message once', async () => {
    server = await startToaServer();
    const page = await paneWithSelection(server);
    await page.getByRole('heading', { name: '3 messages selected' }).waitFor();
    await page.getByLabel('Archive domain').selectOption(DOMAIN);
    await page.getByLabel('Template for all messages').selectOption({ label: 'Incoming invoice' });
    await page.getByRole('region', { name: 'Values for all messages' }).getByLabel('Department').selectOption({ label: 'Finance' });

    // the uploads never get through: the pane reloads while they are held
    const held: Route[] = [];
    const uploads = `**${paths.pages(DOMAIN, '*', 1)}`;
    await page.route(uploads, (route) => {
      held.push(route);
    });
    await page.getByRole('button', { name: 'File 3 messages' }).click();
    await expect.poll(() => held.length).toBe(2);
    await page.unroute(uploads);
    await page.reload();
    await Promise.all(held.map((route) => route.abort().catch(() => undefined)));

    await page.getByText('3 of 3 done').waitFor();
    const imports = await server.importsOnDisk();
    for (const message of selected) {
      const mine = importsOf(imports, message);
      expect(mine.map((i) => i.record.status)).toEqual(['SUBMITTED']);
      expect(mine[0]?.record.documents[0]?.templateId).toBe('invoice');
    }
    expect(imports).toHaveLength(3);
  });
});
