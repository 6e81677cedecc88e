// @vitest-environment node
import { paths } from '@toa/api/routes';
import type { Page, Route } from 'playwright-core';
import { afterEach, describe, expect, it } from 'vitest';
import { draftStore, newAttempt } from '../../src/features/import-flow/flow/attempt';
import { runImport } from '../../src/features/import-flow/flow/run-import';
import { clientFor, draftFor, heldCorpusMessage } from '../../src/test/import-flow-server';
import { MemoryStorage } from '../../src/test/memory-storage';
import { chromiumForFile } from './support/chromium';
import { appleMailMessage, type CorpusMessage, pdfMessage, plainMessage } from './support/corpus-message';
import { officeState, openPane } from './support/pane';
import { descriptionsOf, messageForm } from './support/pane-form';
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
const appleMail = appleMailMessage({ conversationId: 'AAQkConversation-apple' });
const plain = plainMessage({ conversationId: 'AAQkConversation-invoices' });
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
    // the user filed an invoice for Finance before: the shared department starts there, and says so, as the single form does
    expect(await shared.getByLabel('Department').inputValue()).toBe('FIN');
    expect(await descriptionsOf(shared.getByLabel('Department'))).toContain('as last filed');
    await shared.getByLabel('Amount').fill('99.90');
    await shared.getByLabel('Department').selectOption({ label: 'Finance' });

    // each message brings its own sender and date; one is changed by hand
    const apple = row(page, 'Selected messages', appleMail);
    expect(await apple.getByLabel('Supplier').inputValue()).toBe('Example Sender');
    expect(await descriptionsOf(apple.getByLabel('Supplier'))).toContain('from the message');
    expect(await apple.getByLabel('Invoice date').inputValue()).toBe('2025-11-04');
    await apple.getByLabel('Supplier').fill('Apple Supplier a.s.');
    expect(await descriptionsOf(apple.getByLabel('Supplier'))).not.toContain('from the message');
    expect(await row(page, 'Selected messages', plain).getByLabel('Invoice date').inputValue()).toBe('2008-11-22');
    await row(page, 'Selected messages', filedBefore)
      .getByText(/^Already filed on .+, batch ARCH-1: it will be skipped\.$/)
      .waitFor();
    // the server has a suggestion for the message filed before (its sender's earlier filing), but it will be skipped:
    // once every request of the form has been answered, it is offered nothing to fill in
    const forFiledBefore = await clientFor(server.url).suggestions(DOMAIN, {
      internetMessageId: filedBefore.outlook.internetMessageId,
      conversationId: filedBefore.outlook.conversationId,
      from: filedBefore.outlook.from.emailAddress,
      to: [],
      cc: [],
      subject: filedBefore.outlook.subject,
      attachments: [],
    });
    expect(forFiledBefore.suggestions.length).toBeGreaterThan(0);
    await page.waitForLoadState('networkidle');
    await expect(
      row(page, 'Selected messages', filedBefore)
        .getByRole('button', { name: /^Use the suggestion/ })
        .count(),
    ).resolves.toBe(0);
    await expect(row(page, 'Selected messages', filedBefore).getByLabel('Supplier').count()).resolves.toBe(0);

    // two of the three will be filed
    await page.getByRole('button', { name: 'File 2 messages' }).click();
    await page.getByText('3 of 3 done').waitFor();
    // the domain as the picker names it, not its code
    await page.getByRole('heading', { name: 'Filing 3 messages into ACME archive', exact: true }).waitFor({ timeout: 5_000 });
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

  it('loads its code only once several messages are selected; a failed load offers Retry, which loads it, and the single form keeps what was typed', async () => {
    server = await startToaServer();
    const page = await openPane(browser(), server.url, {
      message: null,
      messages: selected.map((m) => m.outlook),
      selected: [appleMail.outlook.itemId],
      mailboxVersion: '1.15',
    });
    // the bulk filing's chunk: its first request fails as on a dropped connection, later ones go through
    const chunkRequests: string[] = [];
    await page.route(/\/assets\/bulk-filing-[^/?]*\.js(\?.*)?$/, (route) => {
      chunkRequests.push(route.request().url());
      return chunkRequests.length === 1 ? route.abort('connectionreset') : route.continue();
    });

    // one message: the pane for it, without the bulk filing's code
    await page.getByLabel('Archive domain').selectOption(DOMAIN);
    await messageForm(page).getByLabel('Template for the message').selectOption({ label: 'Incoming invoice' });
    await messageForm(page).getByLabel('Amount').fill('12.50');
    await messageForm(page).getByLabel('Supplier').fill('Typed by hand s.r.o.');
    expect(chunkRequests).toEqual([]);

    await page.evaluate(
      (ids) => window.__TOA_SELECT_MESSAGES__?.(ids),
      selected.map((m) => m.outlook.itemId),
    );
    await page.getByText('TOA could not load the filing of several messages. Check your network connection, then try again.').waitFor();
    expect(chunkRequests).toHaveLength(1);
    await page.getByRole('button', { name: 'Retry' }).click();
    await page.getByRole('heading', { name: '3 messages selected' }).waitFor();
    expect(chunkRequests).toHaveLength(2);
    await page.getByLabel('Template for all messages').selectOption({ label: 'Incoming invoice' });

    // back to the one message: what was typed is there
    await page.evaluate((ids) => window.__TOA_SELECT_MESSAGES__?.(ids), [appleMail.outlook.itemId]);
    const form = messageForm(page);
    expect(await form.getByLabel('Amount').inputValue()).toBe('12.50');
    expect(await form.getByLabel('Supplier').inputValue()).toBe('Typed by hand s.r.o.');
  });
});
