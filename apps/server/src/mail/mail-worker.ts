import { parentPort } from 'node:worker_threads';
import { cutParts } from './cut-parts.js';
import type { JobMessage, MailJob, WorkerMessage } from './mail-worker-protocol.js';
import { toWireError } from './mail-worker-protocol.js';
import { readSummary } from './read-summary.js';

/**
 * The entry of a mail worker thread (started by MailWorkerPool): runs one job
 * at a time and answers each, errors included; anything it cannot survive
 * (out of memory, a timeout) ends the thread and the pool reports it.
 */

function run(job: MailJob): Promise<unknown> {
  return job.kind === 'summarize' ? readSummary(job.file) : cutParts(job.args);
}

const port = parentPort;
if (port === null) throw new Error('mail-worker.ts runs as a worker thread only');

port.on('message', ({ id, job }: JobMessage) => {
  run(job).then(
    (result) => port.postMessage({ id, ok: true, result } satisfies WorkerMessage),
    (error: unknown) => port.postMessage({ id, ok: false, error: toWireError(error) } satisfies WorkerMessage),
  );
});
port.postMessage({ ready: true } satisfies WorkerMessage);
