/**
 * The Office stand-in (preview/office/stand-in.ts) installed on
 * `globalThis.Office` per unit test, with a sample message. `script` makes a
 * given call fail, hang or succeed, one entry per call.
 */
import {
  createOffice,
  emlToBase64,
  type Outcome,
  type StandInAttachment,
  type StandInCall,
  StandInMailbox,
  type StandInMessage,
  type StandInUser,
} from '../../preview/office/stand-in';

export type { Outcome };
export type StubAttachment = StandInAttachment;

/** A message with its raw source as text (the stand-in hands it over base64, as Office does). */
export interface StubMessage extends Omit<StandInMessage, 'emlBase64' | 'itemId'> {
  itemId?: string;
  eml?: string;
}

export interface OfficeStubOptions {
  message?: StubMessage | null;
  /** a mailbox of several messages instead of `message`, with the item ids selected (item multi-select) */
  messages?: StubMessage[];
  selected?: string[];
  mailboxVersion?: string;
  bodyBackgroundColor?: string;
  host?: string | null;
  user?: StandInUser;
}

export interface OfficeStub {
  script: StandInMailbox['script'];
  calls: Record<StandInCall, number>;
  /** custom properties saved on the selected message */
  readonly customProperties: Map<string, unknown>;
  /** categories of the selected message */
  readonly categories: string[];
  /** selects another message (or none) and fires ItemChanged, as a pinned pane sees it */
  selectMessage(message: StubMessage | null): void;
  /** selects several messages of the mailbox by item id (SelectedItemsChanged) */
  selectMessages(itemIds: string[]): void;
  hasItemChangedHandler(): boolean;
  /** the mailbox behind the stand-in: marks per message, the loaded message */
  mailbox: StandInMailbox;
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
  conversationId: 'AAQkConversation-invoice-42',
  to: [{ displayName: 'Bob Clerk', emailAddress: 'bob@acme.example' }],
  cc: [{ displayName: 'Nobody', emailAddress: '' }],
  dateTimeCreated: new Date('2026-11-03T09:15:00Z'),
  attachments: [
    { id: 'att-1', name: 'invoice.pdf', contentType: 'application/pdf', size: 1200, isInline: false },
    { id: 'att-2', name: 'logo.png', contentType: 'image/png', size: 300, isInline: true },
  ],
  eml: SAMPLE_EML,
};

function standInMessage({ eml, itemId, ...message }: StubMessage): StandInMessage {
  return { ...message, itemId: itemId ?? 'item-1', emlBase64: emlToBase64(eml ?? SAMPLE_EML) };
}

export function installOfficeStub(options: OfficeStubOptions = {}): OfficeStub {
  const message = options.message === undefined ? SAMPLE_MESSAGE : options.message;
  const first = message ? standInMessage(message) : undefined;
  const { messages, selected, ...rest } = options;
  const settings = { ...rest, user: options.user ?? { displayName: 'Bob Clerk', emailAddress: 'bob@acme.example' } };
  const mailbox = messages
    ? new StandInMailbox({ ...settings, messages: messages.map(standInMessage), selected: selected ?? [] })
    : StandInMailbox.ofOne(first, settings);
  (globalThis as { Office?: unknown }).Office = createOffice(mailbox);
  return {
    get script() {
      return mailbox.script;
    },
    set script(next) {
      mailbox.script = next;
    },
    calls: mailbox.calls,
    get customProperties() {
      return mailbox.selected ? mailbox.customPropertiesOf(mailbox.selected.itemId) : new Map();
    },
    get categories() {
      return mailbox.selected ? mailbox.categoriesOf(mailbox.selected.itemId) : [];
    },
    selectMessage: (next) => mailbox.select(next ? standInMessage(next) : null),
    selectMessages: (itemIds) => mailbox.selectMany(itemIds.map((id) => mailbox.messageById(id)).filter((m) => m !== undefined)),
    hasItemChangedHandler: () => mailbox.hasItemChangedHandler(),
    mailbox,
  };
}

export function uninstallOfficeStub(): void {
  delete (globalThis as { Office?: unknown }).Office;
}
