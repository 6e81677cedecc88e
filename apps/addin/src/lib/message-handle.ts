import type { CurrentMessage } from './office/mailbox';

/** What marking an archived message left undone, for a soft notice; empty when all went well. */
export interface MarkResult {
  warnings: string[];
}

/**
 * One message the import flow files: what Outlook lists of it, its whole
 * source and the mark it gets once the archive has it. `lib/office`
 * implements it for the message on screen (`currentMessageHandle`); any other
 * source of messages (several selected ones, a test's corpus message) can too.
 */
export interface MessageHandle {
  /** what identifies the message across panes and sessions: its Internet message id, else the host's item id */
  readonly key: string;
  /** subject, sender, received time and attachments, as the host lists them */
  readonly details: CurrentMessage;
  /** The whole message (RFC 5322) as `message/rfc822` bytes; throws with a message meant for the user. */
  readEml(): Promise<Blob>;
  /** Marks the message as archived under `batchId`; never throws (the archive already has it). */
  markImported(batchId: string): Promise<MarkResult>;
}
