import { useState } from 'react';
import { type CurrentMessage, onItemChanged, readCurrentMessage } from '../lib/office/mailbox';
import { useOfficeEvent } from './use-office-event';

/** The selected message, followed as a pinned pane moves from message to message. */
export function useCurrentMessage(): CurrentMessage | undefined {
  const [message, setMessage] = useState(readCurrentMessage);
  // Without the event the pane still works for the message it opened with.
  useOfficeEvent(onItemChanged, () => setMessage(readCurrentMessage()));
  return message;
}
