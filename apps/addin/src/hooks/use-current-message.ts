import { useState } from 'react';
import { type CurrentMessage, messageKeyOf, onItemChanged, readCurrentMessage } from '../lib/office/mailbox';
import { useOfficeEvent } from './use-office-event';

/** The selected message, followed as a pinned pane moves from message to message. */
export function useCurrentMessage(): CurrentMessage | undefined {
  const [message, setMessage] = useState(readCurrentMessage);
  // Without the event the pane still works for the message it opened with.
  useOfficeEvent(
    onItemChanged,
    () => setMessage(readCurrentMessage()),
    // a message selected while subscribing; the one shown is kept when it is still the one selected, so its form is not reset
    () =>
      setMessage((shown) => {
        const selected = readCurrentMessage();
        return messageKeyOf(selected) === messageKeyOf(shown) ? shown : selected;
      }),
  );
  return message;
}
