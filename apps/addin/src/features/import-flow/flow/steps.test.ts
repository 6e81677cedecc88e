import type { Template } from '@toa/api/templates';
import { describe, expect, it } from 'vitest';
import { attemptFor, DOMAIN, draftFor, pdfMessage, recordedContext, twoPdfMessage, withFlowServer, VALID_INVOICE } from '../../../test/import-flow-server';
import type { Attempt } from './attempt';
import { MESSAGE_DOCUMENT } from './events';
import {
  checkForms,
  createImport,
  discardImport,
  extractAttachments,
  findEarlierImport,
  finishImport,
  followUntilFinal,
  type FormDocument,
  resumeStored,
  saveDocuments,
  submitImport,
  uploadMessage,
} from './steps';

const flow = withFlowServer();

const template = (id: string) => flow.templates.find((t) => t.id === id) as Template;

/** An import of `message` created and uploaded through the steps, as far as the server is concerned. */
async function uploaded(recorded = recordedContext(flow.client), message = pdfMessage()) {
  const attempt = attemptFor(message);
  const id = await createImport(recorded.ctx, attempt);
  const parts = await uploadMessage(recorded.ctx, attempt, id, await message.readEml());
  return { ...recorded, attempt, id, message, parts };
}

describe('create', () => {
  it("creates the import with the message's source facts once, and records it for a reload", async () => {
    const { ctx, store } = recordedContext(flow.client);
    const message = pdfMessage('<create@x>');
    const thread = { conversationId: 'AAQkThread-create', to: ['dana@acme.example'], cc: ['eve@acme.example'] };
    const attempt = attemptFor({ ...message, details: { ...message.details, ...thread } });
    const id = await createImport(ctx, attempt);
    expect(await createImport(ctx, attempt)).toBe(id);

    expect((await flow.client.getImport(DOMAIN, id)).source).toEqual({
      internetMessageId: '<create@x>',
      subject: 'Another PDF',
      from: 'Test Tester <xxxx@xxxx.com>',
      receivedAt: '2005-05-10T17:26:39.000Z',
      ...thread,
    });
    expect((await flow.client.listImports(DOMAIN, { messageId: '<create@x>' })).total).toBe(1);
    expect(store.load('<create@x>')).toEqual({ domain: DOMAIN, id, uploaded: false, extracted: {}, saved: false });
  });
});

describe('upload', () => {
  it("uploads the EML as document 1, reports progress to the whole size, and answers the server's reading of it", async () => {
    const { events, attempt, id, parts, message, store } = await uploaded();
    const size = (await message.readEml()).size;
    expect(events[0]).toEqual({ type: 'step', step: 'uploading', upload: { loaded: 0, total: size } });
    expect(events.at(-1)).toEqual({ type: 'step', step: 'uploading', upload: { loaded: size, total: size } });
    expect(parts?.attachments.map((a) => a.filename)).toEqual(['broken.pdf']);
    expect(parts?.copies).toBe(false);
    expect(attempt.uploaded).toBe(true);
    expect(store.load(message.key)).toMatchObject({ id, uploaded: true });
    const stored = await flow.client.getImport(DOMAIN, id);
    expect(stored.documents[0]?.pages.map((p) => [p.filename, p.size])).toEqual([['message.eml', size]]);
  });
});

describe('extraction', () => {
  it('extracts each chosen attachment into a document of its own, finding the second again after the first renumbered the parts', async () => {
    const { ctx, events, attempt, id, parts } = await uploaded(recordedContext(flow.client), twoPdfMessage());
    await extractAttachments(ctx, attempt, id, ['att-a', 'att-b'], parts);

    expect(Object.fromEntries(attempt.extracted)).toEqual({ 'att-a': 2, 'att-b': 3 });
    const documents = (await flow.client.getImport(DOMAIN, id)).documents;
    expect(documents.map((d) => [d.n, d.pages.map((p) => p.filename)])).toEqual([
      [1, ['message.eml']],
      [2, ['invoice-a.pdf']],
      [3, ['invoice-b.pdf']],
    ]);
    expect(events.filter((e) => e.type === 'step' && e.step === 'extracting')).toEqual([
      { type: 'step', step: 'extracting', detail: 'invoice-a.pdf (1 of 2)' },
      { type: 'step', step: 'extracting', detail: 'invoice-b.pdf (2 of 2)' },
    ]);
  });

  it('extracts nothing twice: a second run leaves the import as it is', async () => {
    const { ctx, attempt, id, parts } = await uploaded();
    await extractAttachments(ctx, attempt, id, ['AAMkAttachment1'], parts);
    await extractAttachments(ctx, attempt, id, ['AAMkAttachment1']);
    expect((await flow.client.getImport(DOMAIN, id)).documents).toHaveLength(2);
  });
});

describe('save', () => {
  it("saves every document's template and values and reports it", async () => {
    const { ctx, events, attempt, id, parts } = await uploaded();
    await extractAttachments(ctx, attempt, id, ['AAMkAttachment1'], parts);
    const documents: FormDocument[] = [
      { key: MESSAGE_DOCUMENT, doc: { templateId: 'invoice', values: { ...VALID_INVOICE, amount: '12.50' } }, template: template('invoice') },
      { key: 'AAMkAttachment1', doc: { templateId: 'scan', values: { title: 'The PDF' } }, template: template('scan') },
    ];
    expect(await saveDocuments(ctx, attempt, id, documents)).toEqual({});
    expect(attempt.saved).toBe(true);
    expect(events.at(-1)).toEqual({ type: 'saved' });
    const saved = (await flow.client.getImport(DOMAIN, id)).documents;
    expect(saved.map((d) => [d.templateId, d.attributes])).toEqual([
      ['invoice', { ...VALID_INVOICE, amount: 12.5 }],
      ['scan', { title: 'The PDF' }],
    ]);
  });

  it("maps the server's 422 onto the fields of its document and does not count as saved", async () => {
    const { ctx, events, attempt, id } = await uploaded();
    const bad = { templateId: 'invoice', values: { ...VALID_INVOICE, reference: 'not a reference' } };
    const errors = await saveDocuments(ctx, attempt, id, [{ key: MESSAGE_DOCUMENT, doc: bad, template: template('invoice') }]);
    expect(Object.keys(errors)).toEqual([MESSAGE_DOCUMENT]);
    expect(Object.keys(errors[MESSAGE_DOCUMENT] ?? {})).toEqual(['reference']);
    expect(attempt.saved).toBe(false);
    expect(events.some((e) => e.type === 'saved')).toBe(false);
  });
});

describe('submit, polling and finish', () => {
  async function saved() {
    const made = await uploaded(recordedContext(flow.client), pdfMessage(`<submit-${Math.random()}@x>`));
    await saveDocuments(made.ctx, made.attempt, made.id, [{ key: MESSAGE_DOCUMENT, doc: draftFor().message, template: template('invoice') }]);
    return made;
  }

  it('submits to the archive and follows the import to SUBMITTED; finishing marks the message and drops its draft', async () => {
    const { ctx, attempt, id, message, store } = await saved();
    const result = await submitImport(ctx, DOMAIN, id);
    expect(result).toMatchObject({ id, status: 'SUBMITTED', damisBatchId: expect.any(String) });

    const outcome = await finishImport(ctx, attempt, result);
    expect(outcome).toEqual({ kind: 'submitted', importId: id, batchId: result.damisBatchId, warnings: [] });
    expect(message.marks).toEqual([result.damisBatchId]);
    expect(store.load(message.key)).toBeUndefined();
  });

  it('reads the status again while the import is pending, and gives up after the last poll', async () => {
    const { ctx, events, id } = await saved();
    const submitted = await submitImport(ctx, DOMAIN, id);
    const pending = { ...submitted, status: 'PENDING' as const };
    await expect(followUntilFinal(ctx, DOMAIN, pending)).resolves.toMatchObject({ status: 'SUBMITTED' });
    expect(events.filter((e) => e.type === 'step' && e.step === 'waiting')).toHaveLength(1);
    await expect(followUntilFinal({ ...ctx, polling: { maxPolls: 0 } }, DOMAIN, pending)).rejects.toThrow(/has not answered yet/);
  });

  it('stops waiting at once when the signal aborts', async () => {
    const { ctx, id } = await saved();
    const pending = { ...(await flow.client.getImport(DOMAIN, id)), status: 'PENDING' as const };
    const controller = new AbortController();
    const following = followUntilFinal({ ...ctx, signal: controller.signal, polling: { intervalMs: 60_000 } }, DOMAIN, pending);
    controller.abort(new Error('the pane closed'));
    await expect(following).rejects.toThrow('the pane closed');
  });

  it('reports a FAILED import as it is: the message is not marked and the import stays stored for a retry', async () => {
    const { ctx, attempt, id, message, store } = await saved();
    const failed = { ...(await flow.client.getImport(DOMAIN, id)), status: 'FAILED' as const, error: 'Archive rejected: disk full' };
    expect(await finishImport(ctx, attempt, failed)).toEqual({ kind: 'failed', importId: id, error: 'Archive rejected: disk full' });
    expect(message.marks).toEqual([]);
    expect(store.load(message.key)?.id).toBe(id);
  });
});

describe('resume', () => {
  it('does nothing without a stored import, or with one of another domain', async () => {
    const { ctx, events, store } = recordedContext(flow.client);
    const attempt = attemptFor(pdfMessage());
    expect(await resumeStored(ctx, attempt)).toBeUndefined();
    store.save(attempt.message.key, { domain: 'other', id: '2026-11-01_0900-00000abc', uploaded: true, extracted: {}, saved: false });
    expect(await resumeStored(ctx, attempt)).toBeUndefined();
    expect(attempt.importId).toBeUndefined();
    expect(events).toEqual([]);
  });

  it('takes up a stored import in the making: what the server has decides what is done', async () => {
    const first = await uploaded();
    await extractAttachments(first.ctx, first.attempt, first.id, ['AAMkAttachment1'], first.parts);
    // a reload: a new attempt for the same message, only the store remembers
    const attempt: Attempt = attemptFor(first.message);
    expect(await resumeStored(first.ctx, attempt)).toBeUndefined();
    expect(attempt).toMatchObject({ importId: first.id, uploaded: true, saved: false });
    expect(Object.fromEntries(attempt.extracted)).toEqual({ AAMkAttachment1: 2 });
    expect(first.events.at(-1)).toEqual({ type: 'step', step: 'resuming' });
  });

  it('answers a stored import that was submitted before the reload, to be followed', async () => {
    const first = await uploaded(recordedContext(flow.client), pdfMessage(`<resume-${Math.random()}@x>`));
    await saveDocuments(first.ctx, first.attempt, first.id, [{ key: MESSAGE_DOCUMENT, doc: draftFor().message, template: template('invoice') }]);
    await flow.client.submit(DOMAIN, first.id);
    const found = await resumeStored(first.ctx, attemptFor(first.message));
    expect(found?.id).toBe(first.id);
    expect(found?.status).toMatch(/^(PENDING|SUBMITTED)$/);
  });

  it('forgets a stored import the server no longer has', async () => {
    const { ctx, store } = recordedContext(flow.client);
    const attempt = attemptFor(pdfMessage());
    store.save(attempt.message.key, { domain: DOMAIN, id: '2026-11-01_0900-0000dead', uploaded: true, extracted: {}, saved: true });
    expect(await resumeStored(ctx, attempt)).toBeUndefined();
    expect(store.load(attempt.message.key)).toBeUndefined();
    expect(attempt.importId).toBeUndefined();
  });
});

describe('duplicate check', () => {
  it('finds the earlier imports of the message by its Internet message id, newest first', async () => {
    const messageId = `<twice-${Math.random()}@x>`;
    const { ctx, events } = recordedContext(flow.client);
    expect(await findEarlierImport(ctx, attemptFor(pdfMessage(messageId)))).toBeUndefined();
    expect(events).toEqual([{ type: 'checking' }]);

    const first = await createImport(ctx, attemptFor(pdfMessage(messageId)));
    const second = await createImport(ctx, attemptFor(pdfMessage(messageId)));
    const found = await findEarlierImport(ctx, attemptFor(pdfMessage(messageId)));
    expect(found?.count).toBe(2);
    expect([first, second]).toContain(found?.earlier.id);
  });

  it('is skipped once the attempt has an import or the user confirmed the duplicate', async () => {
    const { ctx, events } = recordedContext(flow.client);
    const confirmed = attemptFor(pdfMessage());
    confirmed.duplicateConfirmed = true;
    const started = attemptFor(pdfMessage());
    started.importId = '2026-11-01_0900-00000abc';
    expect(await findEarlierImport(ctx, confirmed)).toBeUndefined();
    expect(await findEarlierImport(ctx, started)).toBeUndefined();
    expect(events).toEqual([]);
  });
});

describe('validation', () => {
  it('answers the documents to import when every form passes the shared rules', () => {
    const checked = checkForms(attemptFor(pdfMessage()), draftFor({ AAMkAttachment1: 'The PDF' }), flow.templates);
    expect('documents' in checked && checked.documents.map((d) => [d.key, d.template.id])).toEqual([
      [MESSAGE_DOCUMENT, 'invoice'],
      ['AAMkAttachment1', 'scan'],
    ]);
  });

  it('asks for a template for every document, and for the fields that break a rule', () => {
    const attempt = attemptFor(pdfMessage());
    const noTemplate = { ...draftFor(), message: { values: {} } };
    expect(checkForms(attempt, noTemplate, flow.templates)).toEqual({ kind: 'invalid', summary: 'Choose a template for every document.', fieldErrors: {} });
    const blank = { ...draftFor(), message: { templateId: 'invoice', values: { supplier: '' } } };
    expect(checkForms(attempt, blank, flow.templates)).toEqual({ kind: 'invalid', summary: 'Some fields need attention.', fieldErrors: {} });
  });

  it('refuses to put an extracted attachment back into the message', () => {
    const attempt = attemptFor(pdfMessage());
    attempt.extracted.set('AAMkAttachment1', 2);
    expect(() => checkForms(attempt, draftFor(), flow.templates)).toThrow(/"broken.pdf" is already a document of its own/);
  });
});

describe('start over', () => {
  it('deletes the import the attempt names and forgets it', async () => {
    const { ctx, attempt, id, message, store } = await uploaded();
    await discardImport(ctx, attempt.domain, message.key, id);
    await expect(flow.client.getImport(DOMAIN, id)).rejects.toMatchObject({ code: 'IMPORT_NOT_FOUND' });
    expect(store.load(message.key)).toBeUndefined();
  });

  it('after a reload, deletes the import the store names', async () => {
    const { ctx, id, message } = await uploaded();
    await discardImport(ctx, undefined, message.key, undefined);
    await expect(flow.client.getImport(DOMAIN, id)).rejects.toMatchObject({ code: 'IMPORT_NOT_FOUND' });
  });
});
