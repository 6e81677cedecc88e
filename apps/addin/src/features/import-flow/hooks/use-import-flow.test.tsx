import { act, renderHook } from '@testing-library/react';
import type { ReactNode } from 'react';
import { beforeEach, describe, expect, it } from 'vitest';
import { NetworkError } from '../../../lib/api-client';
import { ApiClientProvider } from '../../../lib/api-client-context';
import { loadDraft, loadImportProgress, type MessageDraft, saveImportProgress } from '../../../lib/drafts';
import { BATCH_ID_PROPERTY, readCurrentMessage } from '../../../lib/office/mailbox';
import { FakeApiClient } from '../../../test/fake-api-client';
import { earlierImport, INVOICE, LETTER } from '../../../test/fixtures';
import { installOfficeStub, type OfficeStub, SAMPLE_MESSAGE } from '../../../test/office-stub';
import { type ImportFlowInput, type ImportFlowOptions, MESSAGE_DOCUMENT, useImportFlow } from './use-import-flow';

const MESSAGE_ID = '<invoice-42@supplier.example>';
const VALID_INVOICE = { supplier: 'Alice Supplier', invoiceDate: '2026-11-03', department: 'FIN', confidential: false };

let api: FakeApiClient;
let office: OfficeStub;

beforeEach(() => {
  api = new FakeApiClient();
  office = installOfficeStub();
});

function draftWith(attachments: MessageDraft['attachments'] = {}): MessageDraft {
  return { domain: 'acme', message: { templateId: 'invoice', values: VALID_INVOICE }, attachments, savedAt: 0 };
}

function renderFlow(draft: MessageDraft = draftWith(), options: ImportFlowOptions = {}) {
  const message = readCurrentMessage();
  const input: ImportFlowInput = { domain: 'acme', messageKey: MESSAGE_ID, message, draft, templates: [INVOICE, LETTER] };
  const wrapper = ({ children }: { children: ReactNode }) => <ApiClientProvider client={api}>{children}</ApiClientProvider>;
  return renderHook((props: ImportFlowInput) => useImportFlow(props, { pollIntervalMs: 0, ...options }), { wrapper, initialProps: input });
}

/** A message with a PDF, an inline logo and a Word file; the PDF and the Word file are to be extracted. */
function withTwoExtractions(): MessageDraft {
  const pdf = { id: 'att-1', name: 'a.pdf', contentType: 'application/pdf', size: 1000, isInline: false };
  const png = { id: 'att-2', name: 'logo.png', contentType: 'image/png', size: 300, isInline: true };
  const doc = { id: 'att-3', name: 'b.docx', contentType: 'application/msword', size: 2000, isInline: false };
  office = installOfficeStub({ message: { ...SAMPLE_MESSAGE, attachments: [pdf, png, doc] } });
  api.emlAttachments = [
    { filename: 'a.pdf', contentType: 'application/pdf', size: 990, inline: false, isMessage: false },
    { filename: 'logo.png', contentType: 'image/png', size: 290, inline: true, isMessage: false },
    { filename: 'b.docx', contentType: 'application/msword', size: 1990, inline: false, isMessage: false },
  ];
  return draftWith({
    'att-1': { extract: true, templateId: 'letter', values: { title: 'The PDF' } },
    'att-2': { extract: false, values: {} },
    'att-3': { extract: true, templateId: 'letter', values: { title: 'The doc' } },
  });
}

describe('useImportFlow', () => {
  it('imports, submits, follows the status to SUBMITTED and marks the message', async () => {
    api.pendingPolls = 2;
    const { result } = renderFlow();
    await act(() => result.current.start());

    expect(result.current.state).toMatchObject({ phase: 'submitted', batchId: expect.stringMatching(/^BATCH-/) });
    const id = [...api.imports.keys()][0] as string;
    expect(api.calls).toEqual([
      `list acme ${MESSAGE_ID}`,
      'create acme',
      'upload 1 message.eml message/rfc822',
      `put 1 invoice ${JSON.stringify(VALID_INVOICE)}`,
      `submit ${id}`,
      `get ${id}`,
      `get ${id}`,
      `get ${id}`,
    ]);
    expect(api.imports.get(id)?.source).toEqual({
      internetMessageId: MESSAGE_ID,
      subject: 'Invoice 42',
      from: 'Alice Supplier <alice@supplier.example>',
      receivedAt: '2026-11-03T09:15:00.000Z',
      conversationId: 'AAQkConversation-invoice-42',
      to: ['bob@acme.example'],
      cc: [],
    });
    expect(office.customProperties.get(BATCH_ID_PROPERTY)).toBe(result.current.state.phase === 'submitted' && result.current.state.batchId);
  });

  it('extracts each chosen attachment into its own document, finding it again after the parts shift', async () => {
    const { result } = renderFlow(withTwoExtractions());
    await act(() => result.current.start());

    expect(result.current.state.phase).toBe('submitted');
    const id = [...api.imports.keys()][0] as string;
    // b.docx was part 4; after a.pdf left, the re-read sidecar numbers it 3.
    expect(api.calls.filter((c) => /^(extract|meta|put)/.test(c))).toEqual([
      'extract 2',
      `meta ${id}`,
      'extract 3',
      `put 1 invoice ${JSON.stringify(VALID_INVOICE)}`,
      'put 2 letter {"title":"The PDF"}',
      'put 3 letter {"title":"The doc"}',
    ]);
    expect(api.imports.get(id)?.documents.map((d) => d.pages[0]?.filename)).toEqual(['message.eml', 'a.pdf', 'b.docx']);
  });

  it('copies identical twins out of a signed message one each: its parts keep their numbers', async () => {
    const scan = (id: string) => ({ id, name: 'scan.pdf', contentType: 'application/pdf', size: 1000, isInline: false });
    office = installOfficeStub({ message: { ...SAMPLE_MESSAGE, itemClass: 'IPM.Note.SMIME.MultipartSigned', attachments: [scan('att-1'), scan('att-2')] } });
    api.emlProtection = { kind: 'smime-signed' };
    api.emlAttachments = [
      { filename: 'scan.pdf', contentType: 'application/pdf', size: 990, inline: false, isMessage: false },
      { filename: 'scan.pdf', contentType: 'application/pdf', size: 990, inline: false, isMessage: false },
    ];
    const { result } = renderFlow(
      draftWith({
        'att-1': { extract: true, templateId: 'letter', values: { title: 'First' } },
        'att-2': { extract: true, templateId: 'letter', values: { title: 'Second' } },
      }),
    );
    await act(() => result.current.start());
    expect(result.current.state.phase).toBe('submitted');
    expect(api.calls.filter((c) => c.startsWith('extract'))).toEqual(['extract 2', 'extract 3']);
  });

  it('warns about an earlier import and goes on only when asked to', async () => {
    api.earlier = [earlierImport(MESSAGE_ID, { damisBatchId: 'OLD-1' })];
    const { result } = renderFlow();
    await act(() => result.current.start());
    expect(result.current.state).toMatchObject({ phase: 'duplicate', earlier: { status: 'SUBMITTED', damisBatchId: 'OLD-1' } });
    expect(api.calls).toEqual([`list acme ${MESSAGE_ID}`]);

    await act(() => result.current.importAgain());
    expect(result.current.state.phase).toBe('submitted');
    expect(api.calls.filter((c) => c.startsWith('list'))).toHaveLength(1);
  });

  it('shows FAILED with the archive error, and Retry resubmits the same import', async () => {
    api.submitOutcomes = ['FAILED', 'SUBMITTED'];
    const { result } = renderFlow();
    await act(() => result.current.start());
    expect(result.current.state).toMatchObject({ phase: 'failed', error: 'Archive rejected: disk full' });
    expect(office.customProperties.has(BATCH_ID_PROPERTY)).toBe(false);

    await act(() => result.current.retrySubmit());
    expect(result.current.state.phase).toBe('submitted');
    expect(api.imports.size).toBe(1);
    expect(api.calls.filter((c) => c.startsWith('submit'))).toHaveLength(2);
    expect(api.calls.filter((c) => c.startsWith('create') || c.startsWith('upload'))).toHaveLength(2);
  });

  it('maps a 422 onto the fields of its document and saves again on the next Import', async () => {
    api.documentErrors.set(1, [{ field: 'supplier', code: 'pattern', message: 'Supplier is unknown' }]);
    const { result } = renderFlow();
    await act(() => result.current.start());
    expect(result.current.state.phase).toBe('invalid');
    expect(result.current.serverErrors).toEqual({ [MESSAGE_DOCUMENT]: { supplier: 'Supplier is unknown' } });
    expect(api.calls.some((c) => c.startsWith('submit'))).toBe(false);

    await act(() => result.current.start());
    expect(result.current.state.phase).toBe('submitted');
    expect(result.current.serverErrors).toEqual({});
    expect(api.calls.filter((c) => c.startsWith('create'))).toHaveLength(1);
  });

  it('keeps its progress after a network error: Try again does not create a second import', async () => {
    api.failures.set('uploadPage', new NetworkError('The upload was interrupted.'));
    const { result } = renderFlow();
    await act(() => result.current.start());
    expect(result.current.state).toMatchObject({ phase: 'error', step: 'uploading', message: 'The upload was interrupted.' });

    await act(() => result.current.start());
    expect(result.current.state.phase).toBe('submitted');
    expect(api.calls.filter((c) => c.startsWith('create'))).toHaveLength(1);
    expect(api.calls.filter((c) => c.startsWith('upload'))).toHaveLength(2);
  });

  it('refuses to start with invalid forms and creates nothing', async () => {
    const { result } = renderFlow({ ...draftWith(), message: { templateId: 'invoice', values: { supplier: '' } } });
    await act(() => result.current.start());
    expect(result.current.state.phase).toBe('invalid');
    expect(result.current.showAllErrors).toBe(true);
    // The duplicate check comes first; nothing is created.
    expect(api.calls).toEqual([`list acme ${MESSAGE_ID}`]);
  });

  it('stops when the pinned pane has moved to another message', async () => {
    const { result } = renderFlow();
    office.selectMessage({ ...SAMPLE_MESSAGE, itemId: 'item-2', internetMessageId: '<other@x>' });
    await act(() => result.current.start());
    expect(result.current.state).toMatchObject({ phase: 'error', message: expect.stringMatching(/selected message changed/) });
    expect(api.calls).toEqual([]);
  });

  it('reports a refused category softly after success', async () => {
    office.script.addCategories = [{ code: 9017, name: 'PermissionDenied', message: 'denied' }];
    const { result } = renderFlow();
    await act(() => result.current.start());
    expect(result.current.state).toMatchObject({ phase: 'submitted', warnings: [expect.stringMatching(/category/)] });
  });

  describe('after a reload of the pane', () => {
    /** Imports until `failure` stops it, then drops the hook as a reload would; calls made from then on are recorded afresh. */
    async function interruptedImport(draft: MessageDraft, options: ImportFlowOptions = {}) {
      const first = renderFlow(draft, options);
      await act(() => first.result.current.start());
      expect(first.result.current.state.phase).toMatch(/^(error|failed)$/);
      first.unmount();
      const id = [...api.imports.keys()][0] as string;
      api.calls.length = 0;
      return id;
    }

    it('continues an import that was only created: no second import, no duplicate check', async () => {
      api.failures.set('uploadPage', new NetworkError('The upload was interrupted.'));
      const id = await interruptedImport(draftWith());
      expect(loadImportProgress(MESSAGE_ID)).toEqual({ domain: 'acme', id, uploaded: false, extracted: {}, saved: false });

      const { result } = renderFlow();
      expect(result.current.resumable?.id).toBe(id);
      await act(() => result.current.start());
      expect(result.current.state.phase).toBe('submitted');
      expect(api.calls.slice(0, 3)).toEqual([`get ${id}`, 'upload 1 message.eml message/rfc822', `put 1 invoice ${JSON.stringify(VALID_INVOICE)}`]);
      expect(api.imports.size).toBe(1);
      // The archive has it: the draft and its import id are gone.
      expect(loadImportProgress(MESSAGE_ID)).toBeUndefined();
      expect(result.current.resumable).toBeUndefined();
    });

    it('skips the upload when document 1 already has the message', async () => {
      api.failures.set('updateDocument', new NetworkError());
      const id = await interruptedImport(draftWith());
      expect(loadImportProgress(MESSAGE_ID)).toMatchObject({ id, uploaded: true, saved: false });

      const { result } = renderFlow();
      await act(() => result.current.start());
      expect(result.current.state.phase).toBe('submitted');
      expect(api.calls.filter((c) => /^(create|upload|list)/.test(c))).toEqual([]);
      expect(office.calls.getAsFile).toBe(1);
    });

    it('extracts only the attachment that was not extracted before', async () => {
      // The second extraction reads the sidecar first; failing that stops after one of two.
      api.failures.set('pageMeta', new NetworkError());
      const draft = withTwoExtractions();
      const id = await interruptedImport(draft);
      expect(loadImportProgress(MESSAGE_ID)?.extracted).toEqual({ 'att-1': 2 });

      const { result } = renderFlow(draft);
      await act(() => result.current.start());
      expect(result.current.state.phase).toBe('submitted');
      expect(api.calls.filter((c) => /^(get|meta|extract|upload)/.test(c)).slice(0, 3)).toEqual([`get ${id}`, `meta ${id}`, 'extract 3']);
      expect(api.imports.get(id)?.documents.map((d) => [d.n, d.pages[0]?.filename, d.templateId])).toEqual([
        [1, 'message.eml', 'invoice'],
        [2, 'a.pdf', 'letter'],
        [3, 'b.docx', 'letter'],
      ]);
    });

    it('takes up a document whose extraction answer never arrived instead of failing to find its attachment', async () => {
      api.lostAnswers.add('extract');
      const draft = withTwoExtractions();
      const id = await interruptedImport(draft);
      expect(loadImportProgress(MESSAGE_ID)?.extracted).toEqual({});

      const { result } = renderFlow(draft);
      await act(() => result.current.start());
      expect(result.current.state.phase).toBe('submitted');
      expect(api.calls.filter((c) => c.startsWith('extract'))).toEqual(['extract 3']);
      expect(api.calls).toContain('put 2 letter {"title":"The PDF"}');
      expect(api.imports.get(id)?.documents).toHaveLength(3);
    });

    it('resubmits an import the archive refused, saving the forms again', async () => {
      api.submitOutcomes = ['FAILED'];
      const id = await interruptedImport(draftWith());
      expect(loadImportProgress(MESSAGE_ID)).toMatchObject({ id, uploaded: true, saved: true });

      const { result } = renderFlow();
      expect(result.current.resumable?.saved).toBe(true);
      await act(() => result.current.start());
      expect(result.current.state.phase).toBe('submitted');
      expect(api.calls.slice(0, 3)).toEqual([`get ${id}`, `put 1 invoice ${JSON.stringify(VALID_INVOICE)}`, `submit ${id}`]);
      expect(api.imports.size).toBe(1);
    });

    it('follows an import that was submitted before the reload instead of submitting again', async () => {
      api.pendingPolls = 3;
      const id = await interruptedImport(draftWith(), { maxPolls: 1 });

      const { result } = renderFlow();
      await act(() => result.current.start());
      expect(result.current.state).toMatchObject({ phase: 'submitted', importId: id });
      expect(new Set(api.calls)).toEqual(new Set([`get ${id}`]));
      expect(office.customProperties.get(BATCH_ID_PROPERTY)).toMatch(/^BATCH-/);
      expect(loadDraft(MESSAGE_ID)).toBeUndefined();
    });

    it('starts afresh, duplicate check first, when the stored import is gone', async () => {
      const gone = '2026-11-01_0900-0000dead';
      saveImportProgress(MESSAGE_ID, { domain: 'acme', id: gone, uploaded: true, extracted: {}, saved: true });
      const { result } = renderFlow();
      expect(result.current.resumable?.id).toBe(gone);
      await act(() => result.current.start());
      expect(result.current.state.phase).toBe('submitted');
      expect(api.calls.slice(0, 3)).toEqual([`get ${gone}`, `list acme ${MESSAGE_ID}`, 'create acme']);
    });

    it('does not continue an import of another domain', async () => {
      saveImportProgress(MESSAGE_ID, { domain: 'other', id: '2026-11-01_0900-00000abc', uploaded: true, extracted: {}, saved: false });
      const { result } = renderFlow();
      expect(result.current.resumable).toBeUndefined();
      await act(() => result.current.start());
      expect(api.calls.slice(0, 2)).toEqual([`list acme ${MESSAGE_ID}`, 'create acme']);
    });

    it('Start over deletes the stored import and forgets it', async () => {
      api.failures.set('uploadPage', new NetworkError());
      const id = await interruptedImport(draftWith());
      api.failures.set('getImport', new NetworkError());
      const { result } = renderFlow();
      await act(() => result.current.start());
      expect(result.current.state).toMatchObject({ phase: 'error', step: 'resuming' });

      await act(() => result.current.startOver());
      expect(api.calls).toContain(`delete ${id}`);
      expect(loadImportProgress(MESSAGE_ID)).toBeUndefined();
      expect(result.current.resumable).toBeUndefined();
    });
  });
});
