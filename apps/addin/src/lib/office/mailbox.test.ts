import { afterEach, describe, expect, it, vi } from 'vitest';
import { installOfficeStub, SAMPLE_EML, SAMPLE_MESSAGE } from '../../test/office-stub';
import { TimeoutError } from '../retry';
import {
  BATCH_ID_PROPERTY,
  base64ToBytes,
  canReadEml,
  currentMessageHandle,
  EmlUnsupportedError,
  IMPORTED_CATEGORY,
  markMessageImported,
  onItemChanged,
  readCurrentMessage,
  readMessageEml,
  SELECTION_CHANGED,
} from './mailbox';
import { callOffice, OfficeError } from './office-async';
import { waitForOffice } from './ready';
import { isDarkColor, officeThemeName } from './theme';

const busy = { code: 9002, name: 'InternalServerError', message: 'Something went wrong' };
const denied = { code: 9017, name: 'PermissionDenied', message: 'Access is denied' };

afterEach(() => {
  vi.useRealTimers();
});

describe('waitForOffice', () => {
  it('reports Outlook when office.js runs inside Outlook', async () => {
    installOfficeStub();
    await expect(waitForOffice()).resolves.toEqual({ kind: 'outlook' });
  });

  it('reports outside when office.js loaded in a plain browser', async () => {
    installOfficeStub({ host: null });
    await expect(waitForOffice()).resolves.toMatchObject({ kind: 'outside' });
  });

  it('reports outside when office.js is missing', async () => {
    await expect(waitForOffice()).resolves.toMatchObject({ kind: 'outside', detail: expect.stringMatching(/not loaded/) });
  });
});

describe('readCurrentMessage', () => {
  it('reads the facts and the attachments, without cloud links', () => {
    installOfficeStub({
      message: {
        ...SAMPLE_MESSAGE,
        attachments: [
          ...(SAMPLE_MESSAGE.attachments ?? []),
          { id: 'c', name: 'link', contentType: '', size: 0, isInline: false, attachmentType: 'cloud' },
          { id: 'm', name: 'fwd.eml', contentType: '', size: 10, isInline: false, attachmentType: 'item' },
        ],
      },
    });
    const message = readCurrentMessage();
    expect(message).toMatchObject({
      itemId: 'item-1',
      internetMessageId: '<invoice-42@supplier.example>',
      subject: 'Invoice 42',
      fromName: 'Alice Supplier',
      fromAddress: 'alice@supplier.example',
      receivedAt: '2026-11-03T09:15:00.000Z',
      conversationId: 'AAQkConversation-invoice-42',
      to: ['bob@acme.example'],
      cc: [],
    });
    expect(message?.attachments.map((a) => [a.id, a.isInline, a.isItem, a.contentType])).toEqual([
      ['att-1', false, false, 'application/pdf'],
      ['att-2', true, false, 'image/png'],
      ['m', false, true, 'application/octet-stream'],
    ]);
  });

  it('tells a signed or encrypted message by its S/MIME item class or its PGP/MIME parts, before it is read whole', () => {
    const cases: Array<[itemClass: string, types: string[], expected: string | undefined]> = [
      ['IPM.Note', ['application/pdf'], undefined],
      ['IPM.Note.SMIME.MultipartSigned', ['application/pdf'], 'signed'],
      ['IPM.Note.SMIME', [], 'signed-or-encrypted'],
      ['IPM.Note', ['application/pdf', 'application/pgp-signature'], 'signed'],
      ['IPM.Note', ['application/pgp-encrypted', 'application/octet-stream'], 'encrypted'],
      ['IPM.Note', ['application/x-pkcs7-signature'], 'signed'],
    ];
    for (const [itemClass, types, expected] of cases) {
      installOfficeStub({
        message: {
          ...SAMPLE_MESSAGE,
          itemClass,
          attachments: types.map((contentType, i) => ({ id: `a${i}`, name: `a${i}`, contentType, size: 1, isInline: false })),
        },
      });
      expect(readCurrentMessage()?.protection, `${itemClass} ${types.join(' ')}`).toBe(expected);
    }
  });

  it('is undefined when nothing is selected', () => {
    installOfficeStub({ message: null });
    expect(readCurrentMessage()).toBeUndefined();
  });
});

describe('readMessageEml', () => {
  it('decodes the base64 answer into the exact bytes of the message', async () => {
    installOfficeStub();
    const blob = await readMessageEml();
    expect(blob.type).toBe('message/rfc822');
    expect([...new Uint8Array(await blob.arrayBuffer())]).toEqual([...new TextEncoder().encode(SAMPLE_EML)]);
  });

  it('retries when Outlook fails now and then', async () => {
    vi.useFakeTimers();
    const stub = installOfficeStub();
    stub.script.getAsFile = [busy, busy];
    const read = readMessageEml();
    await vi.runAllTimersAsync();
    await expect(read).resolves.toBeInstanceOf(Blob);
    expect(stub.calls.getAsFile).toBe(3);
  });

  it('gives up after three attempts with the Office error', async () => {
    vi.useFakeTimers();
    const stub = installOfficeStub();
    stub.script.getAsFile = [busy, busy, busy, 'ok'];
    const read = readMessageEml();
    const settled = expect(read).rejects.toThrow(/Something went wrong/);
    await vi.runAllTimersAsync();
    await settled;
    expect(stub.calls.getAsFile).toBe(3);
  });

  it('times out a call Outlook never answers, then tries again', async () => {
    vi.useFakeTimers();
    const stub = installOfficeStub();
    stub.script.getAsFile = ['hang'];
    const read = readMessageEml();
    await vi.runAllTimersAsync();
    await expect(read).resolves.toBeInstanceOf(Blob);
    expect(stub.calls.getAsFile).toBe(2);
  });

  it('explains clearly when the host lacks Mailbox 1.14', async () => {
    const stub = installOfficeStub({ mailboxVersion: '1.13' });
    expect(canReadEml()).toBe(false);
    await expect(readMessageEml()).rejects.toBeInstanceOf(EmlUnsupportedError);
    expect(stub.calls.getAsFile).toBe(0);
  });
});

describe('callOffice', () => {
  it('rejects with a TimeoutError when Office never calls back', async () => {
    installOfficeStub();
    await expect(callOffice('Hanging call', () => {}, { timeoutMs: 5 })).rejects.toBeInstanceOf(TimeoutError);
  });

  it('does not retry a permission error', async () => {
    installOfficeStub();
    let calls = 0;
    const failing = callOffice<void>(
      'Denied call',
      (cb) => {
        calls++;
        cb({ status: Office.AsyncResultStatus.Failed, error: denied } as unknown as Office.AsyncResult<void>);
      },
      { timeoutMs: 1000, attempts: 3 },
    );
    await expect(failing).rejects.toBeInstanceOf(OfficeError);
    expect(calls).toBe(1);
  });
});

describe('base64ToBytes', () => {
  it('decodes binary data and ignores line breaks', () => {
    expect([...base64ToBytes('AP8Q\r\ngA==')]).toEqual([0, 255, 16, 128]);
  });
});

describe('onItemChanged', () => {
  it('subscribes and unsubscribes', async () => {
    const stub = installOfficeStub();
    const handler = vi.fn();
    const stop = await onItemChanged(handler);
    stub.selectMessage({ ...SAMPLE_MESSAGE, itemId: 'item-2' });
    expect(handler).toHaveBeenCalledTimes(1);
    await stop();
    expect(stub.hasItemChangedHandler()).toBe(false);
  });
});

describe('markMessageImported', () => {
  it('stores the batch id and adds the category', async () => {
    const stub = installOfficeStub();
    await expect(markMessageImported('B-7')).resolves.toEqual({ warnings: [] });
    expect(stub.customProperties.get(BATCH_ID_PROPERTY)).toBe('B-7');
    expect(stub.categories).toEqual([IMPORTED_CATEGORY]);
  });

  it('reports a refused category softly and still stores the batch id', async () => {
    const stub = installOfficeStub();
    stub.script.addCategories = [denied];
    const result = await markMessageImported('B-8');
    expect(stub.customProperties.get(BATCH_ID_PROPERTY)).toBe('B-8');
    expect(result.warnings).toEqual([expect.stringMatching(/category .* could not be added.*denied/i)]);
  });

  it('retries a flaky custom-property save', async () => {
    vi.useFakeTimers();
    const stub = installOfficeStub({ mailboxVersion: '1.5' });
    stub.script.saveCustomProperties = [busy];
    const marked = markMessageImported('B-9');
    await vi.runAllTimersAsync();
    await expect(marked).resolves.toEqual({ warnings: [] });
    expect(stub.customProperties.get(BATCH_ID_PROPERTY)).toBe('B-9');
    // Mailbox 1.5 has no categories API: not even tried.
    expect(stub.calls.addCategories).toBe(0);
  });
});

describe('currentMessageHandle', () => {
  it('is the selected message: its key, what Outlook lists, its source and its mark', async () => {
    const stub = installOfficeStub();
    const handle = currentMessageHandle();
    expect(handle?.key).toBe(SAMPLE_MESSAGE.internetMessageId);
    expect(handle?.details).toEqual(readCurrentMessage());
    expect(await (await handle?.readEml())?.text()).toBe(SAMPLE_EML);
    await expect(handle?.markImported('B-1')).resolves.toEqual({ warnings: [] });
    expect(stub.customProperties.get(BATCH_ID_PROPERTY)).toBe('B-1');
  });

  it('refuses to read, and leaves unmarked, a message a pinned pane has moved away from', async () => {
    const stub = installOfficeStub();
    const handle = currentMessageHandle();
    stub.selectMessage({ ...SAMPLE_MESSAGE, itemId: 'item-2', internetMessageId: '<other@x>' });
    await expect(handle?.readEml()).rejects.toThrow(SELECTION_CHANGED);
    expect(stub.calls.getAsFile).toBe(0);
    await expect(handle?.markImported('B-2')).resolves.toEqual({ warnings: [expect.stringMatching(/Another message is selected/)] });
    expect(stub.customProperties.has(BATCH_ID_PROPERTY)).toBe(false);
  });

  it('is undefined when no message is selected', () => {
    installOfficeStub({ message: null });
    expect(currentMessageHandle()).toBeUndefined();
  });
});

describe('theme', () => {
  it('follows the Office body background', () => {
    installOfficeStub({ bodyBackgroundColor: '#1f1f1f' });
    expect(officeThemeName()).toBe('dark');
    installOfficeStub({ bodyBackgroundColor: '#FFFFFF' });
    expect(officeThemeName()).toBe('light');
    expect(isDarkColor('#333')).toBe(true);
    expect(isDarkColor('not a colour')).toBe(false);
  });
});
