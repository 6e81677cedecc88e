/**
 * The stand-in as the browser loads it, in place of office.js (built into
 * dist-preview/office-stand-in.js as a classic script). Inside the preview it
 * serves the mailbox of the page that frames the pane; elsewhere (browser
 * tests) it builds the mailbox from `window.__TOA_OFFICE_CONFIG__`: one
 * selected `message`, or `messages` with the `selected` item ids.
 *
 * For tests: `window.__TOA_OFFICE_STATE__` reads what the pane did
 * ({ customProperties, categories } of the selected message and of every
 * message by item id, calls, authOptions),
 * `window.__TOA_SELECT_MESSAGE__(message)` selects another message and fires
 * ItemChanged, and `window.__TOA_SELECT_MESSAGES__(itemIds)` selects several
 * (SelectedItemsChanged).
 */
import { createOffice, type MessageMarks, type StandInCall, StandInMailbox, type StandInMessage, type StandInOptions } from './stand-in';

/**
 * What a browser test sets before the page loads: the options, and the one
 * selected message (or null for none), or a mailbox of `messages` with the
 * `selected` item ids.
 */
export interface BrowserConfig extends Omit<StandInOptions, 'messages' | 'selected'> {
  message?: StandInMessage | null;
  messages?: StandInMessage[];
  selected?: string[];
}

export interface BrowserState extends MessageMarks {
  /** the marks of every message of the mailbox, by item id */
  byItem: Record<string, MessageMarks>;
  calls: Record<StandInCall, number>;
  authOptions: unknown[];
}

declare global {
  interface Window {
    /** the preview page's mailbox, read by the pane it frames */
    __TOA_PREVIEW_MAILBOX__?: StandInMailbox;
    __TOA_OFFICE_CONFIG__?: BrowserConfig;
    __TOA_OFFICE_STATE__?: BrowserState;
    __TOA_SELECT_MESSAGE__?: (message: StandInMessage | null) => void;
    __TOA_SELECT_MESSAGES__?: (itemIds: string[]) => void;
  }
}

function previewMailbox(): StandInMailbox | undefined {
  try {
    return window.parent !== window ? window.parent.__TOA_PREVIEW_MAILBOX__ : undefined;
  } catch {
    // a frame of another origin: not the preview
    return undefined;
  }
}

function configuredMailbox(): StandInMailbox {
  const { message, messages, selected, ...options } = window.__TOA_OFFICE_CONFIG__ ?? {};
  const mailbox = messages ? new StandInMailbox({ ...options, messages, selected: selected ?? [] }) : StandInMailbox.ofOne(message, options);
  window.__TOA_SELECT_MESSAGE__ = (next) => mailbox.select(next);
  window.__TOA_SELECT_MESSAGES__ = (itemIds) =>
    mailbox.selectMany(itemIds.map((id) => mailbox.messageById(id)).filter((m): m is StandInMessage => m !== undefined));
  const marksOf = (id: string | undefined): MessageMarks => (id ? mailbox.marksOf(id) : { customProperties: {}, categories: [] });
  Object.defineProperty(window, '__TOA_OFFICE_STATE__', {
    get: (): BrowserState => ({
      ...marksOf(mailbox.selected?.itemId),
      byItem: Object.fromEntries(mailbox.messages.map((m) => [m.itemId, marksOf(m.itemId)])),
      calls: { ...mailbox.calls },
      authOptions: [...mailbox.authOptions],
    }),
  });
  return mailbox;
}

(window as unknown as { Office: unknown }).Office = createOffice(previewMailbox() ?? configuredMailbox());
