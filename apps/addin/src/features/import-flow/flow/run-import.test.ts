import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { attemptFor, DOMAIN, draftFor, pdfMessage, recordedContext, twoPdfMessage, withFlowServer } from '../../../test/import-flow-server';
import { type ScriptedArchive, startScriptedArchive } from '../../../../test/e2e/support/scripted-archive';
import { retrySubmit, runImport } from './run-import';

const flow = withFlowServer();

describe('runImport', () => {
  it('files a message that is not on screen from start to batch id, reporting each step in order', async () => {
    const { ctx, events, store } = recordedContext(flow.client);
    const message = twoPdfMessage();
    const outcome = await runImport(ctx, attemptFor(message), { draft: draftFor({ 'att-a': 'A', 'att-b': 'B' }), templates: flow.templates });

    expect(outcome).toMatchObject({ kind: 'submitted', batchId: expect.any(String), warnings: [] });
    if (outcome.kind !== 'submitted') return;
    expect(message.marks).toEqual([outcome.batchId]);
    expect(store.load(message.key)).toBeUndefined();
    const steps = events.map((e) => (e.type === 'step' ? e.step : e.type)).filter((s, i, all) => s !== all[i - 1]);
    expect(steps).toEqual(['checking', 'reading', 'creating', 'uploading', 'extracting', 'saving', 'saved', 'submitting']);
    const stored = await flow.client.getImport(DOMAIN, outcome.importId);
    expect(stored.status).toBe('SUBMITTED');
    expect(stored.documents.map((d) => [d.templateId, d.pages[0]?.filename])).toEqual([
      ['invoice', 'message.eml'],
      ['scan', 'invoice-a.pdf'],
      ['scan', 'invoice-b.pdf'],
    ]);
  });

  it('stops at the duplicate check for a message imported before, and goes on once the duplicate is confirmed', async () => {
    const message = pdfMessage(`<again-${Math.random()}@x>`);
    const first = await runImport(recordedContext(flow.client).ctx, attemptFor(message), { draft: draftFor(), templates: flow.templates });
    expect(first.kind).toBe('submitted');

    const { ctx } = recordedContext(flow.client);
    const attempt = attemptFor(message);
    const second = await runImport(ctx, attempt, { draft: draftFor(), templates: flow.templates });
    expect(second).toMatchObject({ kind: 'duplicate', count: 1, earlier: { status: 'SUBMITTED' } });
    expect((await flow.client.listImports(DOMAIN, { messageId: message.key })).total).toBe(1);

    attempt.duplicateConfirmed = true;
    expect((await runImport(ctx, attempt, { draft: draftFor(), templates: flow.templates })).kind).toBe('submitted');
    expect((await flow.client.listImports(DOMAIN, { messageId: message.key })).total).toBe(2);
  });

  it('creates nothing while the forms break the rules', async () => {
    const message = pdfMessage(`<invalid-${Math.random()}@x>`);
    const draft = { ...draftFor(), message: { templateId: 'invoice', values: { supplier: '' } } };
    const outcome = await runImport(recordedContext(flow.client).ctx, attemptFor(message), { draft, templates: flow.templates });
    expect(outcome).toEqual({ kind: 'invalid', summary: 'Some fields need attention.', fieldErrors: {} });
    expect((await flow.client.listImports(DOMAIN, { messageId: message.key })).total).toBe(0);
  });

  it("answers the server's refusal of a value by document, and the next run saves again without a second import", async () => {
    const message = pdfMessage(`<refused-${Math.random()}@x>`);
    const { ctx } = recordedContext(flow.client);
    const attempt = attemptFor(message);
    // A template the server changed since the pane loaded it: the reference now needs two letters, a dash and four digits.
    const stale = flow.templates.map((t) => (t.id === 'invoice' ? { ...t, attributes: t.attributes.map((a) => ({ ...a, pattern: undefined })) } : t));
    const draft = draftFor();
    const refused = await runImport(ctx, attempt, {
      draft: { ...draft, message: { ...draft.message, values: { ...draft.message.values, reference: 'nope' } } },
      templates: stale,
    });
    expect(refused).toMatchObject({ kind: 'invalid', fieldErrors: { message: { reference: expect.any(String) } } });

    expect((await runImport(ctx, attempt, { draft, templates: flow.templates })).kind).toBe('submitted');
    expect((await flow.client.listImports(DOMAIN, { messageId: message.key })).total).toBe(1);
  });

  it('keeps what was done when a step fails: running the attempt again continues, with no second import or upload', async () => {
    const message = pdfMessage(`<retry-${Math.random()}@x>`);
    // Outlook lists an attachment the message's source does not have: its extraction fails after create and upload.
    message.details.attachments.push({ id: 'ghost', name: 'ghost.pdf', contentType: 'application/pdf', size: 10, isInline: false, isItem: false });
    const { ctx } = recordedContext(flow.client);
    const attempt = attemptFor(message);
    const failed = await runImport(ctx, attempt, { draft: draftFor({ ghost: 'Ghost' }), templates: flow.templates });
    expect(failed).toMatchObject({ kind: 'error', step: 'extracting', error: { message: expect.stringMatching(/"ghost.pdf" is not in the message/) } });

    const { ctx: after, events } = recordedContext(flow.client);
    const outcome = await runImport({ ...after, store: ctx.store }, attempt, { draft: draftFor(), templates: flow.templates });
    expect(outcome.kind).toBe('submitted');
    expect((await flow.client.listImports(DOMAIN, { messageId: message.key })).total).toBe(1);
    expect(message.reads).toBe(1);
    expect(events.some((e) => e.type === 'checking' || (e.type === 'step' && (e.step === 'creating' || e.step === 'uploading')))).toBe(false);
  });

  it('continues after a reload from the stored progress alone: a new attempt takes up the import', async () => {
    const message = pdfMessage(`<reload-${Math.random()}@x>`);
    const { ctx, store } = recordedContext(flow.client);
    const controller = new AbortController();
    // the pane closes while the upload is under way
    const closing = {
      ...ctx,
      signal: controller.signal,
      emit: (e: Parameters<typeof ctx.emit>[0]) => e.type === 'step' && e.step === 'uploading' && controller.abort(),
    };
    const interrupted = await runImport(closing, attemptFor(message), { draft: draftFor(), templates: flow.templates });
    expect(interrupted).toMatchObject({ kind: 'error', step: 'uploading' });
    const id = store.load(message.key)?.id;
    expect(store.load(message.key)).toMatchObject({ uploaded: false });

    const outcome = await runImport(ctx, attemptFor(message), { draft: draftFor(), templates: flow.templates });
    expect(outcome).toMatchObject({ kind: 'submitted', importId: id });
    expect((await flow.client.listImports(DOMAIN, { messageId: message.key })).total).toBe(1);
  });
});

describe('retrySubmit', () => {
  let archive: ScriptedArchive;
  beforeAll(async () => {
    archive = await startScriptedArchive({ status: 500, body: { detail: 'disk full' } });
  });
  afterAll(() => archive?.close());
  // No retries inside the server: the first 500 fails the import.
  const refusing = withFlowServer(() => ({ type: 'http', url: archive.url, retries: 0 }));

  it('submits an import the archive refused once more, the same import, and finishes it', async () => {
    const message = pdfMessage();
    const { ctx } = recordedContext(refusing.client);
    const attempt = attemptFor(message);
    const failed = await runImport(ctx, attempt, { draft: draftFor(), templates: refusing.templates });
    expect(failed).toMatchObject({ kind: 'failed', error: 'The archive answered 500 Internal Server Error; try again later.' });
    if (failed.kind !== 'failed') return;
    expect(message.marks).toEqual([]);

    archive.answer({ status: 201, body: { batchId: 'ARCH-0042' } });
    const again = await retrySubmit(ctx, attempt, failed.importId);
    expect(again).toEqual({ kind: 'submitted', importId: failed.importId, batchId: 'ARCH-0042', warnings: [] });
    expect(message.marks).toEqual(['ARCH-0042']);
    expect((await refusing.client.listImports(DOMAIN)).total).toBe(1);
  });
});
