import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { AppError } from '../errors.js';
import { FairQueue } from './fair-queue.js';
import { fromWireError, type JobMessage, type MailJob, type MailJobResult, type WorkerMessage } from './mail-worker-protocol.js';
import { formatDuration } from '../duration.js';

/**
 * Parsing a message is the one thing the server does whose cost the sender
 * of an e-mail controls. It runs in worker threads so that no message can
 * block the event loop, exhaust the server's heap or run forever: each
 * worker has its own capped heap and each job a wall-clock limit, and a
 * worker that breaks either is thrown away, its job answered with
 * MESSAGE_UNPARSEABLE. The pool is small and fixed, so a flood of messages
 * waits in line instead of starting a thread each. The line is shared
 * fairly between owners (FairQueue): one user's flood of heavy messages
 * delays another user's message by the jobs being parsed and at most one
 * job of each other user waiting, not by the whole backlog.
 */

export interface MailWorkerLimits {
  /** worker threads parsing at once; further jobs wait in line */
  workers: number;
  /** wall-clock limit of one job, from the moment a worker takes it */
  timeoutMs: number;
  /** V8 old-generation heap of one worker, in MB */
  maxOldGenerationSizeMb: number;
  /** jobs that may wait in line; one more is refused at once with 503 `PARSE_QUEUE_FULL` */
  maxQueued?: number;
  /** jobs one owner may have waiting in line; one more of theirs is refused at once with 429 `PARSE_QUEUE_USER_FULL` */
  maxQueuedPerOwner?: number;
  /** longest wait in line, in ms; a job waiting longer is refused with 503 `PARSE_QUEUE_FULL` */
  maxWaitMs?: number;
}

export const DEFAULT_MAIL_WORKER_LIMITS: MailWorkerLimits = {
  workers: 2,
  timeoutMs: 30_000,
  maxOldGenerationSizeMb: 256,
  maxQueued: 64,
  maxQueuedPerOwner: 8,
  maxWaitMs: 60_000,
};

/** The owner of jobs given none (callers outside the services: benches, tests); they share one line. */
export const NO_OWNER = '';

/** What a refused job's sender is told to wait: about one parse. */
const QUEUE_RETRY_SECONDS = 5;

type Answer = Exclude<WorkerMessage, { ready: true }> | { dead: string };

/** The line at one moment (the metrics read it at each scrape). */
export interface MailQueueState {
  workers: number;
  /** jobs on a worker now */
  busy: number;
  /** jobs waiting for one */
  queued: number;
  /** `maxQueued`; Infinity when unbounded */
  maxQueued: number;
  /** how long the longest-waiting job has waited, ms (0 when none waits) */
  oldestWaitMs: number;
}

export class MailWorkerPool {
  private readonly idle: Worker[] = [];
  /** jobs waiting for a worker, per owner; each entry hands its job the turn */
  private readonly waiting = new FairQueue<() => void>();
  /** when each waiting job joined the line (`performance.now()`), in arrival order: the first is the longest wait */
  private readonly waitingSince = new Map<() => void, number>();
  private running = 0;
  private nextId = 1;
  private closed = false;

  constructor(readonly limits: MailWorkerLimits = DEFAULT_MAIL_WORKER_LIMITS) {}

  /**
   * Runs one job on a worker; a worker that dies or overruns makes it
   * MESSAGE_UNPARSEABLE. `owner` is the owner key of the user the job is for
   * (Identity.userId): an owner who has had fewer turns lately goes first
   * (FairQueue). Throws 429 PARSE_QUEUE_USER_FULL when the owner already has
   * `maxQueuedPerOwner` jobs waiting, 503 PARSE_QUEUE_FULL when the whole line
   * is full or the job waited longer than `maxWaitMs`, both with a retry delay.
   */
  async run<J extends MailJob>(job: J, owner: string): Promise<MailJobResult<J>> {
    await this.takeTurn(owner);
    try {
      const worker = this.idle.pop() ?? (await startWorker(this.limits));
      const answer = await this.exchange(worker, { id: this.nextId++, job });
      if ('dead' in answer) throw new AppError('MESSAGE_UNPARSEABLE', `The message cannot be parsed: ${answer.dead}.`);
      this.park(worker);
      if (!answer.ok) throw fromWireError(answer.error);
      return answer.result as MailJobResult<J>;
    } finally {
      this.endTurn();
    }
  }

  /** The line now, read-only (the metrics read it at each scrape). */
  state(): MailQueueState {
    const oldest = this.waitingSince.values().next().value;
    return {
      workers: this.limits.workers,
      busy: this.running,
      queued: this.waiting.size,
      maxQueued: this.limits.maxQueued ?? Number.POSITIVE_INFINITY,
      oldestWaitMs: oldest === undefined ? 0 : performance.now() - oldest,
    };
  }

  /** Stops idle workers now and busy ones when their job ends. */
  close(): void {
    this.closed = true;
    for (const worker of this.idle.splice(0)) void worker.terminate();
  }

  /** Waits for a worker's turn in `owner`'s line; see `run` for the refusals. */
  private async takeTurn(owner: string): Promise<void> {
    const { maxQueued = Number.POSITIVE_INFINITY, maxQueuedPerOwner = Number.POSITIVE_INFINITY, maxWaitMs = Number.POSITIVE_INFINITY } = this.limits;
    const retry = { retryAfterSeconds: QUEUE_RETRY_SECONDS };
    // with a worker free nobody waits, so these refuse only when every worker is busy; the
    // sender's own backlog is named first, as waiting would not help them while it lasts
    const own = this.waiting.sizeOf(owner);
    if (own >= maxQueuedPerOwner) {
      throw new AppError(
        'PARSE_QUEUE_USER_FULL',
        `${own} of your messages are waiting to be parsed (the limit is ${maxQueuedPerOwner}); try again shortly`,
        retry,
      );
    }
    const busy = (why: string) => new AppError('PARSE_QUEUE_FULL', `the server is busy parsing other messages (${why}); try again shortly`, retry);
    if (this.waiting.size >= maxQueued) throw busy(`${this.waiting.size} are waiting`);
    // every job goes through the line, so that the jobs started at once count in their owner's share too
    await new Promise<void>((resolve, reject) => {
      const turn = () => {
        clearTimeout(timer);
        resolve();
      };
      const timer = Number.isFinite(maxWaitMs)
        ? setTimeout(() => {
            this.waiting.remove(owner, turn);
            this.waitingSince.delete(turn);
            reject(busy(`waited ${maxWaitMs / 1000} s`));
          }, maxWaitMs)
        : undefined;
      this.waiting.push(owner, turn);
      this.waitingSince.set(turn, performance.now());
      this.dispatch();
    });
  }

  private endTurn(): void {
    this.running -= 1;
    this.dispatch();
  }

  /** Gives free workers to the jobs whose turn it is. */
  private dispatch(): void {
    while (this.running < this.limits.workers) {
      const turn = this.waiting.shift();
      if (!turn) return;
      this.waitingSince.delete(turn);
      this.running += 1;
      turn();
    }
  }

  private park(worker: Worker): void {
    if (this.closed) {
      void worker.terminate();
      return;
    }
    // an idle worker must not keep the process alive (a CLI command ends when its work does)
    worker.unref();
    this.idle.push(worker);
  }

  /** Sends the job and waits for its answer, the worker's death, or the time limit (which kills it). */
  private exchange(worker: Worker, message: JobMessage): Promise<Answer> {
    const { timeoutMs, maxOldGenerationSizeMb } = this.limits;
    return new Promise<Answer>((resolve) => {
      let crash: (Error & { code?: string }) | undefined;
      let timedOut = false;
      const timer = setTimeout(() => {
        timedOut = true;
        void worker.terminate();
      }, timeoutMs);
      const onMessage = (answer: WorkerMessage) => {
        if (timedOut || !('id' in answer) || answer.id !== message.id) return;
        finish();
        resolve(answer);
      };
      const onError = (error: Error) => {
        crash = error;
      };
      // answered only once the thread is gone, so the caller may clean up after it safely
      const onExit = () => {
        finish();
        if (timedOut) resolve({ dead: `parsing it took longer than ${formatDuration(timeoutMs)}` });
        else if (crash?.code === 'ERR_WORKER_OUT_OF_MEMORY') resolve({ dead: `parsing it needed more than ${maxOldGenerationSizeMb} MB of memory` });
        else resolve({ dead: `the parser stopped unexpectedly${crash ? ` (${crash.message})` : ''}` });
      };
      const finish = () => {
        clearTimeout(timer);
        worker.off('message', onMessage).off('error', onError).off('exit', onExit);
      };
      worker.on('message', onMessage).on('error', onError).on('exit', onExit);
      worker.ref();
      worker.postMessage(message);
    });
  }
}

/**
 * The worker entry beside this module, with this module's own extension:
 * `.js` in the build, `.ts` when running from source (vitest, tsx). Node 20
 * cannot load TypeScript in a worker, and does not apply a loader given in a
 * worker's execArgv to its entry, so from source the worker first registers
 * tsx itself and then imports the entry.
 */
function workerEntry(): { entry: URL | string; eval: boolean } {
  const ownPath = fileURLToPath(import.meta.url);
  const entry = new URL(`./mail-worker${path.extname(ownPath)}`, import.meta.url);
  if (!ownPath.endsWith('.ts')) return { entry, eval: false };
  const tsx = import.meta.resolve('tsx/esm/api');
  const source = `import(${JSON.stringify(tsx)}).then((tsx) => { tsx.register(); return import(${JSON.stringify(entry.href)}); });`;
  return { entry: source, eval: true };
}

/**
 * Starts a worker and waits until it has loaded its modules. Failing to start
 * is never the message's fault: out of descriptors a worker fails in several
 * ways (EMFILE, "Worker initialization failure", a module "not found" that
 * could not be opened), so any failure is RESOURCES_EXHAUSTED (503, Retry-After)
 * with the reason in the server log, and the next job starts a worker afresh.
 */
function startWorker(limits: MailWorkerLimits): Promise<Worker> {
  const { entry, eval: isSource } = workerEntry();
  const worker = new Worker(entry, { eval: isSource, resourceLimits: { maxOldGenerationSizeMb: limits.maxOldGenerationSizeMb } });
  // without a listener an 'error' event would be thrown in the main thread; exchange reads errors through its own
  worker.on('error', () => {});
  return new Promise<Worker>((resolve, reject) => {
    const settle = () => worker.off('message', onReady).off('error', onFail).off('exit', onFail);
    const onReady = (message: WorkerMessage) => {
      if (!('ready' in message)) return;
      settle();
      resolve(worker);
    };
    const onFail = (error: Error | number) => {
      settle();
      const reason = typeof error === 'number' ? `it exited with code ${error}` : error.message;
      reject(
        new AppError('RESOURCES_EXHAUSTED', `no mail parser could be started for the moment (${reason}); try again shortly`, {
          cause: error,
          retryAfterSeconds: QUEUE_RETRY_SECONDS,
        }),
      );
    };
    worker.on('message', onReady).on('error', onFail).on('exit', onFail);
  });
}

let sharedLimits = DEFAULT_MAIL_WORKER_LIMITS;
let shared: MailWorkerPool | undefined;

/** The pool `summarizeMessage` and `extractParts` use, started on first use. */
export function mailWorkers(): MailWorkerPool {
  shared ??= new MailWorkerPool(sharedLimits);
  return shared;
}

/** The shared pool's line, without starting a pool: nothing runs or waits before the first job. */
export function mailQueueState(): MailQueueState {
  return shared?.state() ?? new MailWorkerPool(sharedLimits).state();
}

/** Sets the limits of the shared pool (at start, from the configuration); later jobs get a fresh pool. */
export function configureMailWorkers(limits: Partial<MailWorkerLimits>): void {
  sharedLimits = { ...DEFAULT_MAIL_WORKER_LIMITS, ...limits };
  shared?.close();
  shared = undefined;
}
