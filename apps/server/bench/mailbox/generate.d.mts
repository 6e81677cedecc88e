export interface MailboxMessage {
  conversationId: string;
  from: string;
  to: string[];
  cc: string[];
  subject: string;
  attachments: string[];
  /** the ground truth: where the message is filed; `shown` is what a suggestion should offer */
  matter: { key: string; templateId: string; shown: Record<string, string | number | boolean> };
}
export interface Mailbox {
  user: string;
  messages: MailboxMessage[];
}
export const PUBLIC: readonly string[];
export function random(seed: number): () => number;
export function generateMailbox(options?: { seed?: number; messages?: number; user?: string }): Mailbox;
