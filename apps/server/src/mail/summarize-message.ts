import { mailWorkers } from './mail-worker-pool.js';
import type { MessageSummary } from './read-summary.js';

export type { ListedAttachment, MessageSummary } from './read-summary.js';

/**
 * Reads an EML file and lists what the sidecar needs (see `readSummary` for
 * what is listed and refused), in a mail worker: however hostile the message,
 * the server's event loop and heap are not at stake. A message whose parsing
 * overruns the worker's time or memory is MESSAGE_UNPARSEABLE too. File
 * system errors pass through as they are.
 */
export function summarizeMessage(file: string): Promise<MessageSummary> {
  return mailWorkers().run({ kind: 'summarize', file });
}
