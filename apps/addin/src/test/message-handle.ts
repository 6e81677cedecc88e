import { MESSAGE_CONTENT_TYPE } from '@toa/api/imports';
import type { MarkResult, MessageHandle } from '../lib/message-handle';
import type { CurrentMessage } from '../lib/office/mailbox';

/** A message handle over bytes in memory: a message that is not the one on screen. `marks` lists the batch ids it was marked with. */
export interface HeldMessage extends MessageHandle {
  readonly marks: string[];
  /** how often its source was read */
  reads: number;
}

export function heldMessage(details: CurrentMessage, eml: Uint8Array): HeldMessage {
  const marks: string[] = [];
  const held: HeldMessage = {
    key: details.internetMessageId ?? details.itemId ?? 'held',
    details,
    marks,
    reads: 0,
    readEml: async () => {
      held.reads++;
      return new Blob([eml.slice()], { type: MESSAGE_CONTENT_TYPE });
    },
    markImported: async (batchId): Promise<MarkResult> => {
      marks.push(batchId);
      return { warnings: [] };
    },
  };
  return held;
}
