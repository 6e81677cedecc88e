import { type FollowedParse, mailWorkers, NO_OWNER } from './mail-worker-pool.js';
import type { MessageSummary } from './read-summary.js';

export type { FollowedParse } from './mail-worker-pool.js';
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

/**
 * Starts summarizing a message while its body is still being written to
 * `file` (which must exist), when a mail worker is free for it; undefined
 * otherwise (see MailWorkerPool.follow and ADR 0020).
 */
export function followMessage(file: string, owner: string = NO_OWNER): FollowedParse | undefined {
  return mailWorkers().follow(file, owner);
}
