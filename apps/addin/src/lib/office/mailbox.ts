import { MESSAGE_CONTENT_TYPE, SIGNATURE_TYPES } from '@toa/api/imports';
import type { MarkResult, MessageHandle } from '../message-handle';
import { callOffice, OfficeError } from './office-async';

/** What the pane needs of one attachment as Outlook lists it. */
export interface MessageAttachment {
  id: string;
  name: string;
  contentType: string;
  /** bytes as Outlook reports them (close to, not always equal to, the decoded MIME size) */
  size: number;
  isInline: boolean;
  /** an attached Outlook item (becomes `message/rfc822` in the EML) */
  isItem: boolean;
}

/**
 * A message that is evidence and is kept whole on the server (its attachments
 * are copied, ADR 0011): signed, encrypted, or S/MIME that Outlook does not
 * say more of (`IPM.Note.SMIME` is opaque signed or encrypted).
 */
export type MessageProtection = 'signed' | 'encrypted' | 'signed-or-encrypted';

export interface CurrentMessage {
  /** Outlook's item id where available; changes identify another message */
  itemId: string | undefined;
  internetMessageId: string | undefined;
  subject: string;
  fromName: string | undefined;
  fromAddress: string | undefined;
  /** ISO 8601 */
  receivedAt: string | undefined;
  /** Outlook's conversation id (`item.conversationId`, Mailbox 1.1); the thread the message belongs to */
  conversationId?: string;
  /** recipients' addresses (`item.to` / `item.cc`, Mailbox 1.1), as Outlook lists them */
  to?: string[];
  cc?: string[];
  /** file and item attachments; cloud links are not part of the EML and are left out */
  attachments: MessageAttachment[];
  /** signed or encrypted, as far as Outlook tells before the message is read whole */
  protection: MessageProtection | undefined;
}

/** What identifies a message across panes and sessions: its Internet message id, else Outlook's item id. */
export function messageKeyOf(message: CurrentMessage | undefined): string | undefined {
  return message?.internetMessageId ?? message?.itemId;
}

export interface UserProfile {
  displayName: string;
  emailAddress: string;
}

const EML_REQUIREMENT = { set: 'Mailbox', version: '1.14' } as const;
const CATEGORIES_REQUIREMENT = { set: 'Mailbox', version: '1.8' } as const;
const ITEM_CHANGED_REQUIREMENT = { set: 'Mailbox', version: '1.5' } as const;

/** Custom property written once the archive confirmed the import. */
export const BATCH_ID_PROPERTY = 'toaBatchId';
export const IMPORTED_CATEGORY = 'TOA archived';

function readItem(): Office.MessageRead | undefined {
  return (Office.context.mailbox.item as Office.MessageRead | null | undefined) ?? undefined;
}

export function userProfile(): UserProfile {
  const profile = Office.context.mailbox.userProfile;
  return { displayName: profile.displayName, emailAddress: profile.emailAddress };
}

/** The selected message, or `undefined` when nothing (or no message, or several) is selected. */
export function readCurrentMessage(): CurrentMessage | undefined {
  return detailsOf(readItem());
}

/**
 * What the pane needs of a message in read mode: the selected `item`, or one
 * loaded by `loadItemByIdAsync` (`LoadedMessageRead`, Mailbox 1.15), which has
 * the same properties. `undefined` for no item or one that is no message.
 */
export function detailsOf(item: Office.MessageRead | Office.LoadedMessageRead | undefined): CurrentMessage | undefined {
  if (!item || (item.itemType && item.itemType !== Office.MailboxEnums.ItemType.Message)) return undefined;
  const created = item.dateTimeCreated instanceof Date ? item.dateTimeCreated : undefined;
  const attachments = (item.attachments ?? [])
    .filter((a) => a.attachmentType !== Office.MailboxEnums.AttachmentType.Cloud)
    .map((a) => ({
      id: a.id,
      name: a.name,
      contentType: a.contentType || 'application/octet-stream',
      size: a.size,
      isInline: a.isInline,
      isItem: a.attachmentType === Office.MailboxEnums.AttachmentType.Item,
    }));
  return {
    itemId: item.itemId ?? undefined,
    internetMessageId: item.internetMessageId || undefined,
    subject: item.subject ?? '',
    fromName: item.from?.displayName || undefined,
    fromAddress: item.from?.emailAddress || undefined,
    receivedAt: created && !Number.isNaN(created.getTime()) ? created.toISOString() : undefined,
    conversationId: item.conversationId || undefined,
    to: addressesOf(item.to),
    cc: addressesOf(item.cc),
    attachments,
    protection: protectionOf(item.itemClass ?? '', attachments),
  };
}

/** The addresses of a read message's recipient list (`EmailAddressDetails[]`, Mailbox 1.1), blanks left out. */
function addressesOf(recipients: Office.EmailAddressDetails[] | undefined): string[] {
  return (recipients ?? []).map((r) => r.emailAddress).filter((address) => address.length > 0);
}

/** Whether an attachment is the signature of a signed message (Outlook may list it): it stays with the message. */
export function isSignature(attachment: Pick<MessageAttachment, 'contentType'>): boolean {
  return SIGNATURE_TYPES.includes(attachment.contentType.toLowerCase());
}

/**
 * What Outlook tells of a message's signature or encryption: S/MIME by the
 * item class (`IPM.Note.SMIME.MultipartSigned` clear-signed, `IPM.Note.SMIME`
 * opaque signed or encrypted; Mailbox 1.0), PGP/MIME and anything else by the
 * signature or control part listed among the attachments. The server's
 * sidecar says it exactly once the message is uploaded.
 */
function protectionOf(itemClass: string, attachments: readonly MessageAttachment[]): MessageProtection | undefined {
  if (/^IPM\.Note\.SMIME\.MultipartSigned/i.test(itemClass)) return 'signed';
  if (/^IPM\.Note\.SMIME/i.test(itemClass)) return 'signed-or-encrypted';
  const types = attachments.map((a) => a.contentType.toLowerCase());
  if (types.includes('application/pgp-encrypted')) return 'encrypted';
  if (types.some((type) => SIGNATURE_TYPES.includes(type))) return 'signed';
  if (types.some((type) => type === 'application/pkcs7-mime' || type === 'application/x-pkcs7-mime')) return 'signed-or-encrypted';
  return undefined;
}

/** Whether this Outlook can hand over the whole message (`getAsFileAsync`). */
export function canReadEml(): boolean {
  return Office.context.requirements.isSetSupported(EML_REQUIREMENT.set, EML_REQUIREMENT.version);
}

export class EmlUnsupportedError extends Error {
  constructor() {
    super(
      'This version of Outlook cannot hand the whole message to add-ins (it needs Mailbox 1.14). ' +
        'Use new Outlook, Outlook on the web or an updated classic Outlook.',
    );
    this.name = 'EmlUnsupportedError';
  }
}

/** The selected message as an `.eml` blob. Retried: Outlook fails this call now and then on large items. */
export async function readMessageEml(): Promise<Blob> {
  if (!canReadEml()) throw new EmlUnsupportedError();
  const item = readItem();
  if (!item) throw new OfficeError('Reading the message', { code: 0, name: 'NoItem', message: 'no message is selected' });
  const base64 = await callOffice<string>('Reading the message', (cb) => item.getAsFileAsync(cb), {
    timeoutMs: 60_000,
    attempts: 3,
    retryDelayMs: 1_000,
  });
  return new Blob([base64ToBytes(base64)], { type: MESSAGE_CONTENT_TYPE });
}

export function base64ToBytes(base64: string): Uint8Array<ArrayBuffer> {
  const binary = atob(base64.replace(/\s+/g, ''));
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

/**
 * Calls `handler` whenever the selected item changes under a pinned pane.
 * Resolves to the function that unsubscribes; a no-op where the host cannot pin.
 */
export async function onItemChanged(handler: () => void): Promise<() => Promise<void>> {
  const mailbox = Office.context.mailbox;
  if (!Office.context.requirements.isSetSupported(ITEM_CHANGED_REQUIREMENT.set, ITEM_CHANGED_REQUIREMENT.version)) {
    return async () => {};
  }
  await callOffice<void>('Following the selected message', (cb) => mailbox.addHandlerAsync(Office.EventType.ItemChanged, handler, cb), { timeoutMs: 10_000 });
  return () =>
    callOffice<void>('Stopping to follow the message', (cb) => mailbox.removeHandlerAsync(Office.EventType.ItemChanged, cb), { timeoutMs: 10_000 }).catch(
      () => undefined,
    );
}

/**
 * Marks the message as archived: a custom property with the batch id (always
 * possible with ReadWriteItem) and a category where the mailbox allows it.
 * Never throws: the archive already has the message, marking is a courtesy.
 */
export async function markMessageImported(batchId: string): Promise<MarkResult> {
  const warnings: string[] = [];
  const item = readItem();
  if (!item) return { warnings: ['The message is no longer selected, so it was not marked.'] };
  try {
    const props = await callOffice<Office.CustomProperties>('Loading custom properties', (cb) => item.loadCustomPropertiesAsync(cb), {
      timeoutMs: 15_000,
      attempts: 3,
    });
    props.set(BATCH_ID_PROPERTY, batchId);
    await callOffice<void>('Saving custom properties', (cb) => props.saveAsync(cb), { timeoutMs: 15_000, attempts: 3 });
  } catch (error) {
    warnings.push(`The batch id could not be stored on the message (${messageOf(error)}).`);
  }
  if (!Office.context.requirements.isSetSupported(CATEGORIES_REQUIREMENT.set, CATEGORIES_REQUIREMENT.version)) {
    return { warnings };
  }
  try {
    await callOffice<void>('Adding the category', (cb) => item.categories.addAsync([IMPORTED_CATEGORY], cb), {
      timeoutMs: 15_000,
    });
  } catch (error) {
    // Categories need the name in the mailbox's master list and write access; neither is ours to force.
    warnings.push(`The category "${IMPORTED_CATEGORY}" could not be added (${messageOf(error)}).`);
  }
  return { warnings };
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** A pinned pane that moved to another message before the import read its source. */
export const SELECTION_CHANGED = 'The selected message changed. Check the form for the message now selected and import again.';

/**
 * The selected message as the import flow's handle, or `undefined` when none
 * is selected. A pinned pane follows the selection, so the handle checks the
 * message is still the selected one: reading it otherwise fails (the source
 * would be another message's), marking it otherwise is left undone with a
 * warning.
 */
export function currentMessageHandle(): MessageHandle | undefined {
  const details = readCurrentMessage();
  const key = messageKeyOf(details);
  if (!details || !key) return undefined;
  const stillSelected = () => messageKeyOf(readCurrentMessage()) === key;
  return {
    key,
    details,
    readEml: async () => {
      if (!stillSelected()) throw new Error(SELECTION_CHANGED);
      return readMessageEml();
    },
    markImported: async (batchId) =>
      stillSelected() ? markMessageImported(batchId) : { warnings: ['Another message is selected now, so the imported one was not marked in Outlook.'] },
  };
}
