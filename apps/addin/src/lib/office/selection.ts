/**
 * Several selected messages (item multi-select): which ones are selected
 * (`getSelectedItemsAsync`, the `SelectedItemsChanged` event; Mailbox 1.13)
 * and each one read, filed and marked through `loadItemByIdAsync` (Mailbox
 * 1.15), which loads one message at a time and wants `unloadAsync` before the
 * next. Both sets are checked at run time: the manifest asks for Mailbox 1.1
 * only, so that older clients still file one message at a time.
 * See https://learn.microsoft.com/office/dev/add-ins/outlook/item-multi-select
 */
import { MESSAGE_CONTENT_TYPE } from '@toa/api/imports';
import type { MarkResult, MessageHandle } from '../message-handle';
import { base64ToBytes, type CurrentMessage, detailsOf, IMPORTED_CATEGORY, messageKeyOf } from './mailbox';
import { callOffice, OfficeError } from './office-async';

const MULTI_SELECT_REQUIREMENT = { set: 'Mailbox', version: '1.13' } as const;
const LOAD_ITEM_REQUIREMENT = { set: 'Mailbox', version: '1.15' } as const;

/** A selected message as `getSelectedItemsAsync` lists it (`SelectedItemDetails`). */
export interface SelectedMessage {
  /** Outlook's item id (EWS), what `loadItemByIdAsync` takes */
  itemId: string;
  subject: string;
  /** Mailbox 1.14; absent where the client does not say */
  internetMessageId?: string;
  conversationId?: string;
}

function supports(requirement: { set: string; version: string }): boolean {
  return Office.context.requirements.isSetSupported(requirement.set, requirement.version);
}

/**
 * Why this Outlook cannot file several selected messages at once, in the
 * user's words; `undefined` where it can (Mailbox 1.13 to know the selection,
 * 1.15 to read each message).
 */
export function multiSelectUnsupportedReason(): string | undefined {
  if (!supports(MULTI_SELECT_REQUIREMENT)) {
    return 'This version of Outlook cannot hand several selected messages to add-ins (it needs Mailbox 1.13). Select one message at a time, or use new Outlook or Outlook on the web.';
  }
  if (!supports(LOAD_ITEM_REQUIREMENT)) {
    return 'This version of Outlook lists the selected messages but cannot hand each one to add-ins (it needs Mailbox 1.15). Select one message at a time, or use new Outlook or Outlook on the web.';
  }
  return undefined;
}

/** The selected messages, in the order they were selected; empty where the client has no multi-select (below Mailbox 1.13). */
export async function readSelectedMessages(): Promise<SelectedMessage[]> {
  if (!supports(MULTI_SELECT_REQUIREMENT)) return [];
  const mailbox = Office.context.mailbox;
  const items = await callOffice<Office.SelectedItemDetails[]>('Reading the selected messages', (cb) => mailbox.getSelectedItemsAsync(cb), {
    timeoutMs: 15_000,
    attempts: 2,
  });
  return items
    .filter((item) => !item.itemType || item.itemType.toLowerCase() === 'message')
    .map((item) => ({
      itemId: item.itemId,
      subject: item.subject ?? '',
      ...(item.internetMessageId ? { internetMessageId: item.internetMessageId } : {}),
      ...(item.conversationId ? { conversationId: item.conversationId } : {}),
    }));
}

/**
 * Calls `handler` whenever messages are selected or deselected
 * (`SelectedItemsChanged`, Mailbox 1.13). Resolves to the function that
 * unsubscribes; a no-op where the client has no multi-select.
 */
export async function onSelectionChanged(handler: () => void): Promise<() => Promise<void>> {
  if (!supports(MULTI_SELECT_REQUIREMENT)) return async () => {};
  const mailbox = Office.context.mailbox;
  await callOffice<void>('Following the selected messages', (cb) => mailbox.addHandlerAsync(Office.EventType.SelectedItemsChanged, handler, cb), {
    timeoutMs: 10_000,
  });
  return () =>
    callOffice<void>('Stopping to follow the selected messages', (cb) => mailbox.removeHandlerAsync(Office.EventType.SelectedItemsChanged, cb), {
      timeoutMs: 10_000,
    }).catch(() => undefined);
}

/** The end of the last load-use-unload, so that the next one waits for it: Office loads one item at a time. */
let loadedTurn: Promise<unknown> = Promise.resolve();

/**
 * Loads the message `itemId` (`loadItemByIdAsync`), runs `use` on it and
 * unloads it again, one message at a time across the whole pane (calls wait
 * for each other). Throws an `OfficeError` where Office refuses.
 */
export function withLoadedMessage<T>(itemId: string, use: (item: Office.LoadedMessageRead) => Promise<T>): Promise<T> {
  const run = async () => {
    if (!supports(LOAD_ITEM_REQUIREMENT)) throw new OfficeError('Loading the message', { code: 5000, name: 'NotSupported', message: 'Mailbox 1.15 is needed' });
    const mailbox = Office.context.mailbox;
    const item = await callOffice<Office.LoadedMessageCompose | Office.LoadedMessageRead>(
      'Loading the message',
      (cb) => mailbox.loadItemByIdAsync(itemId, cb),
      // one attempt: a load that timed out may still have loaded the item, and a second load would be refused
      { timeoutMs: 30_000 },
    );
    try {
      return await use(item as Office.LoadedMessageRead);
    } finally {
      await callOffice<void>('Closing the message', (cb) => item.unloadAsync(cb), { timeoutMs: 15_000, attempts: 2 }).catch(() => undefined);
    }
  };
  const turn = loadedTurn.then(run, run);
  loadedTurn = turn.catch(() => undefined);
  return turn;
}

/** Subject, sender, date, recipients and attachments of one message of the mailbox, read by loading it. */
export async function readMessageDetails(itemId: string): Promise<CurrentMessage> {
  const details = await withLoadedMessage(itemId, async (item) => detailsOf(item));
  if (!details) throw new Error('The selected item is not a message.');
  return { ...details, itemId: details.itemId ?? itemId };
}

/**
 * One selected message as the import flow's handle: its source is read and
 * its mark set by loading it (one at a time), so the message need not be on
 * screen, nor still selected. The mark is the *TOA archived* category only:
 * a loaded message's custom properties can be read, not written (Office
 * docs, `LoadedMessageRead.loadCustomPropertiesAsync`).
 */
export function selectedMessageHandle(details: CurrentMessage & { itemId: string }): MessageHandle {
  const { itemId } = details;
  return {
    key: messageKeyOf(details) ?? itemId,
    details,
    readEml: () =>
      withLoadedMessage(itemId, async (item) => {
        const base64 = await callOffice<string>('Reading the message', (cb) => item.getAsFileAsync(cb), {
          timeoutMs: 60_000,
          attempts: 3,
          retryDelayMs: 1_000,
        });
        return new Blob([base64ToBytes(base64)], { type: MESSAGE_CONTENT_TYPE });
      }),
    markImported: async (): Promise<MarkResult> => {
      try {
        await withLoadedMessage(itemId, (item) =>
          callOffice<void>('Adding the category', (cb) => item.categories.addAsync([IMPORTED_CATEGORY], cb), { timeoutMs: 15_000, attempts: 2 }),
        );
        return { warnings: [] };
      } catch (error) {
        return { warnings: [`The category "${IMPORTED_CATEGORY}" could not be added (${error instanceof Error ? error.message : String(error)}).`] };
      }
    },
  };
}
