import { mailWorkers, NO_OWNER } from './mail-worker-pool.js';
import type { MessageSummary } from './read-summary.js';

export type { ListedAttachment, MessageSummary } from './read-summary.js';

/**
 * Reads an EML file and lists what the sidecar needs (see `readSummary` for
 * what is listed and refused), in a mail worker: however hostile the message,
 * the server's event loop and heap are not at stake. A message whose parsing
 * overruns the worker's time or memory is MESSAGE_UNPARSEABLE too. File
 * system errors pass through as they are. `owner` is the owner key of the
 * user it is parsed for (their line in the pool; see MailWorkerPool.run for
 * the 429 and 503 refusals of a full line).
 */
export function summarizeMessage(file: string, owner: string = NO_OWNER): Promise<MessageSummary> {
  return mailWorkers().run({ kind: 'summarize', file }, owner);
}
