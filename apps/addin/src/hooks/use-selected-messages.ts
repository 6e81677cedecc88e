import { useEffect, useState } from 'react';
import { multiSelectUnsupportedReason, onSelectionChanged, readSelectedMessages, type SelectedMessage } from '../lib/office/selection';

export interface Selection {
  /** the selected messages in the order they were selected; empty where the client has no multi-select */
  messages: SelectedMessage[];
  /** why several selected messages cannot be filed here (the client lacks Mailbox 1.15), if so */
  unsupported?: string;
}

/** The messages selected in Outlook, followed as the user selects and deselects (SelectedItemsChanged, Mailbox 1.13). */
export function useSelectedMessages(): Selection {
  const [messages, setMessages] = useState<SelectedMessage[]>([]);
  useEffect(() => {
    let mounted = true;
    let stop: (() => Promise<void>) | undefined;
    const read = () =>
      readSelectedMessages().then(
        (next) => mounted && setMessages(next),
        // without the list the pane still files the message on screen
        () => mounted && setMessages([]),
      );
    void read();
    onSelectionChanged(() => void read()).then(
      (unsubscribe) => {
        if (mounted) stop = unsubscribe;
        else void unsubscribe();
      },
      () => undefined,
    );
    return () => {
      mounted = false;
      void stop?.();
    };
  }, []);
  const unsupported = messages.length > 1 ? multiSelectUnsupportedReason() : undefined;
  return { messages, ...(unsupported ? { unsupported } : {}) };
}
