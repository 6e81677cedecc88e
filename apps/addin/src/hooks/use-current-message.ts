import { useEffect, useState } from 'react';
import { type CurrentMessage, onItemChanged, readCurrentMessage } from '../lib/office/mailbox';

/** The selected message, followed as a pinned pane moves from message to message. */
export function useCurrentMessage(): CurrentMessage | undefined {
  const [message, setMessage] = useState(readCurrentMessage);
  useEffect(() => {
    let stop: (() => Promise<void>) | undefined;
    let mounted = true;
    onItemChanged(() => setMessage(readCurrentMessage())).then(
      (unsubscribe) => {
        if (mounted) stop = unsubscribe;
        else void unsubscribe();
      },
      // Without the event the pane still works for the message it opened with.
      () => undefined,
    );
    return () => {
      mounted = false;
      void stop?.();
    };
  }, []);
  return message;
}
