import { parentPort } from 'node:worker_threads';
import { cutParts } from './cut-parts.js';
import { FollowedFile } from './followed-file.js';
import type { BodyMessage, JobMessage, MailJob, WorkerMessage } from './mail-worker-protocol.js';
import { toWireError } from './mail-worker-protocol.js';
import { readSummary, readSummaryFrom } from './read-summary.js';

/**
 * The entry of a mail worker thread (started by MailWorkerPool): runs one job
 * at a time and answers each, errors included; anything it cannot survive
 * (out of memory, a timeout) ends the thread and the pool reports it.
 */

/** The files `follow` jobs are reading, by job id, until their job ends. */
const followed = new Map<number, FollowedFile>();

function run(id: number, job: MailJob): Promise<unknown> {
  switch (job.kind) {
    case 'summarize':
      return readSummary(job.file);
    case 'follow': {
      const file = new FollowedFile(job.file);
      followed.set(id, file);
      return readSummaryFrom(file).finally(() => followed.delete(id));
    }
    default:
      return cutParts(job.args);
  }
}

const port = parentPort;
if (port === null) throw new Error('mail-worker.ts runs as a worker thread only');

port.on('message', (message: JobMessage | BodyMessage) => {
  if (!('job' in message)) {
    const file = followed.get(message.id);
    if ('bodySize' in message) file?.complete(message.bodySize);
    else file?.fail(message.bodyFailed);
    return;
  }
  const { id, job } = message;
  run(id, job).then(
    (result) => port.postMessage({ id, ok: true, result } satisfies WorkerMessage),
    (error: unknown) => port.postMessage({ id, ok: false, error: toWireError(error) } satisfies WorkerMessage),
  );
});
port.postMessage({ ready: true } satisfies WorkerMessage);
