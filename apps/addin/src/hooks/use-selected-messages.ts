import { useCallback, useEffect, useRef, useState } from 'react';
import { multiSelectUnsupportedReason, onSelectionChanged, readSelectedMessages, type SelectedMessage } from '../lib/office/selection';
import { useOfficeEvent } from './use-office-event';

export interface Selection {
  /** the selected messages in the order they were selected; empty where the client has no multi-select */
  messages: SelectedMessage[];
  /** why several selected messages cannot be filed here (the client lacks Mailbox 1.15), if so */
  unsupported?: string;
}

/** The messages selected in Outlook, followed as the user selects and deselects (SelectedItemsChanged, Mailbox 1.13). */
export function useSelectedMessages(): Selection {
  const [messages, setMessages] = useState<SelectedMessage[]>([]);
  const mounted = useRef(true);
  const read = useCallback(() => {
    readSelectedMessages().then(
      // the same selection read again (a catch-up after subscribing) keeps the list, so the bulk form is not rebuilt
      (next) => mounted.current && setMessages((shown) => (sameItems(shown, next) ? shown : next)),
      // without the list the pane still files the message on screen
      () => mounted.current && setMessages([]),
    );
  }, []);
  useEffect(() => {
    mounted.current = true;
    read();
    return () => {
      mounted.current = false;
    };
  }, [read]);
  useOfficeEvent(onSelectionChanged, read);
  const unsupported = messages.length > 1 ? multiSelectUnsupportedReason() : undefined;
  return { messages, ...(unsupported ? { unsupported } : {}) };
}

function sameItems(a: readonly SelectedMessage[], b: readonly SelectedMessage[]): boolean {
  return a.length === b.length && a.every((message, i) => message.itemId === b[i]?.itemId && message.subject === b[i]?.subject);
}
