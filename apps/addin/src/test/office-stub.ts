/**
 * A typed stand-in for the part of office.js the pane uses, installed on
 * `globalThis.Office` per test. Calls answer asynchronously, as Office does;
 * `script` makes a given call fail, hang or succeed, one entry per call.
 */

export type StubMethod = 'getAsFile' | 'loadCustomProperties' | 'saveCustomProperties' | 'addCategories' | 'addHandler';
export type Outcome = 'ok' | 'hang' | { code: number; name: string; message: string };

export interface StubAttachment {
  id: string;
  name: string;
  contentType: string;
  size: number;
  isInline: boolean;
  attachmentType?: 'file' | 'item' | 'cloud';
}

export interface StubMessage {
  itemId?: string;
  internetMessageId?: string;
  subject?: string;
  from?: { displayName: string; emailAddress: string };
  dateTimeCreated?: Date;
  attachments?: StubAttachment[];
  /** the raw message; getAsFileAsync answers it base64-encoded */
  eml?: string;
}

export interface OfficeStubOptions {
  message?: StubMessage | null;
  /** highest Mailbox requirement set the host supports */
  mailboxVersion?: string;
  bodyBackgroundColor?: string;
  host?: string | null;
  user?: { displayName: string; emailAddress: string };
}

export interface OfficeStub {
  /** outcomes consumed one per call; an empty list means 'ok' */
  script: Partial<Record<StubMethod, Outcome[]>>;
  calls: Record<StubMethod, number>;
  customProperties: Map<string, unknown>;
  categories: string[];
  /** selects another message and fires ItemChanged, as a pinned pane sees it */
  selectMessage(message: StubMessage | null): void;
  hasItemChangedHandler(): boolean;
}

export const SAMPLE_EML = [
  'From: Alice Supplier <alice@supplier.example>',
  'To: bob@acme.example',
  'Subject: Invoice 42',
  'Message-ID: <invoice-42@supplier.example>',
  'Date: Tue, 3 Nov 2026 10:15:00 +0100',
  'MIME-Version: 1.0',
  'Content-Type: text/plain; charset=utf-8',
  '',
  'Please find the invoice attached. Žluťoučký kůň.',
  '',
].join('\r\n');

export const SAMPLE_MESSAGE: StubMessage = {
  itemId: 'item-1',
  internetMessageId: '<invoice-42@supplier.example>',
  subject: 'Invoice 42',
  from: { displayName: 'Alice Supplier', emailAddress: 'alice@supplier.example' },
  dateTimeCreated: new Date('2026-11-03T09:15:00Z'),
  attachments: [
    { id: 'att-1', name: 'invoice.pdf', contentType: 'application/pdf', size: 1200, isInline: false },
    { id: 'att-2', name: 'logo.png', contentType: 'image/png', size: 300, isInline: true },
  ],
  eml: SAMPLE_EML,
};

function compareVersions(a: string, b: string): number {
  const [pa, pb] = [a.split('.').map(Number), b.split('.').map(Number)];
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const diff = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (diff !== 0) return diff;
  }
  return 0;
}

function utf8ToBase64(text: string): string {
  let binary = '';
  for (const byte of new TextEncoder().encode(text)) binary += String.fromCharCode(byte);
  return btoa(binary);
}

type Callback<T> = (result: { status: string; value: T; error?: Outcome }) => void;

export function installOfficeStub(options: OfficeStubOptions = {}): OfficeStub {
  let message = options.message === undefined ? SAMPLE_MESSAGE : options.message;
  let itemChanged: (() => void) | undefined;
  const stub: OfficeStub = {
    script: {},
    calls: { getAsFile: 0, loadCustomProperties: 0, saveCustomProperties: 0, addCategories: 0, addHandler: 0 },
    customProperties: new Map(),
    categories: [],
    selectMessage(next) {
      message = next;
      itemChanged?.();
    },
    hasItemChangedHandler: () => itemChanged !== undefined,
  };

  /** Answers `callback` the way the script says, on a later task. */
  function answer<T>(method: StubMethod, callback: Callback<T> | undefined, value: () => T, onSuccess?: () => void) {
    stub.calls[method]++;
    const outcome = stub.script[method]?.shift() ?? 'ok';
    if (outcome === 'hang') return;
    setTimeout(() => {
      if (outcome === 'ok') {
        onSuccess?.();
        callback?.({ status: 'succeeded', value: value() });
      } else {
        callback?.({ status: 'failed', value: undefined as T, error: outcome });
      }
    }, 0);
  }

  function makeItem(current: StubMessage) {
    return {
      itemType: 'message',
      itemId: current.itemId,
      internetMessageId: current.internetMessageId,
      subject: current.subject,
      from: current.from,
      dateTimeCreated: current.dateTimeCreated,
      attachments: current.attachments ?? [],
      getAsFileAsync: (callback: Callback<string>) => answer('getAsFile', callback, () => utf8ToBase64(current.eml ?? SAMPLE_EML)),
      loadCustomPropertiesAsync: (callback: Callback<unknown>) =>
        answer('loadCustomProperties', callback, () => {
          const pending = new Map(stub.customProperties);
          return {
            get: (name: string) => pending.get(name),
            set: (name: string, value: unknown) => pending.set(name, value),
            remove: (name: string) => pending.delete(name),
            getAll: () => Object.fromEntries(pending),
            saveAsync: (saved: Callback<void>) =>
              answer(
                'saveCustomProperties',
                saved,
                () => undefined,
                () => {
                  stub.customProperties = pending;
                },
              ),
          };
        }),
      categories: {
        addAsync: (names: string[], callback: Callback<void>) =>
          answer(
            'addCategories',
            callback,
            () => undefined,
            () => stub.categories.push(...names),
          ),
      },
    };
  }

  const office = {
    HostType: { Outlook: 'Outlook' },
    AsyncResultStatus: { Succeeded: 'succeeded', Failed: 'failed' },
    EventType: { ItemChanged: 'olkItemSelectedChanged' },
    CoercionType: { Text: 'text', Html: 'html' },
    MailboxEnums: {
      ItemType: { Message: 'message', Appointment: 'appointment' },
      AttachmentType: { File: 'file', Item: 'item', Cloud: 'cloud' },
    },
    onReady: () => Promise.resolve({ host: options.host === undefined ? 'Outlook' : options.host, platform: 'OfficeOnline' }),
    context: {
      officeTheme: { bodyBackgroundColor: options.bodyBackgroundColor ?? '#ffffff' },
      requirements: {
        isSetSupported: (name: string, version = '1.1') => name === 'Mailbox' && compareVersions(options.mailboxVersion ?? '1.14', version) >= 0,
      },
      mailbox: {
        get item() {
          return message ? makeItem(message) : null;
        },
        userProfile: options.user ?? { displayName: 'Bob Clerk', emailAddress: 'bob@acme.example' },
        addHandlerAsync: (_type: string, handler: () => void, callback?: Callback<void>) =>
          answer(
            'addHandler',
            callback,
            () => undefined,
            () => {
              itemChanged = handler;
            },
          ),
        removeHandlerAsync: (_type: string, callback?: Callback<void>) => {
          itemChanged = undefined;
          setTimeout(() => callback?.({ status: 'succeeded', value: undefined }), 0);
        },
      },
    },
  };
  (globalThis as { Office?: unknown }).Office = office;
  return stub;
}

export function uninstallOfficeStub(): void {
  delete (globalThis as { Office?: unknown }).Office;
}
