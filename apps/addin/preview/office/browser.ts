/**
 * The stand-in as the browser loads it, in place of office.js (built into
 * dist-preview/office-stand-in.js as a classic script). Inside the preview it
 * serves the mailbox of the page that frames the pane; elsewhere (browser
 * tests) it builds one message's mailbox from `window.__TOA_OFFICE_CONFIG__`.
 *
 * For tests: `window.__TOA_OFFICE_STATE__` reads what the pane did
 * ({ customProperties, categories } of the selected message, calls,
 * authOptions) and `window.__TOA_SELECT_MESSAGE__(message)` selects another
 * message and fires ItemChanged.
 */
import { createOffice, type StandInCall, StandInMailbox, type StandInMessage, type StandInOptions } from './stand-in';

/** What a browser test sets before the page loads: the options, and the one selected message (or null for none). */
export interface BrowserConfig extends Omit<StandInOptions, 'messages' | 'selected'> {
  message?: StandInMessage | null;
}

export interface BrowserState {
  customProperties: Record<string, unknown>;
  categories: string[];
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
  const { message, ...options } = window.__TOA_OFFICE_CONFIG__ ?? {};
  const mailbox = StandInMailbox.ofOne(message, options);
  window.__TOA_SELECT_MESSAGE__ = (next) => mailbox.select(next);
  Object.defineProperty(window, '__TOA_OFFICE_STATE__', {
    get: (): BrowserState => {
      const id = mailbox.selected?.itemId;
      return {
        customProperties: id ? Object.fromEntries(mailbox.customPropertiesOf(id)) : {},
        categories: id ? mailbox.categoriesOf(id) : [],
        calls: { ...mailbox.calls },
        authOptions: [...mailbox.authOptions],
      };
    },
  });
  return mailbox;
}

(window as unknown as { Office: unknown }).Office = createOffice(previewMailbox() ?? configuredMailbox());
