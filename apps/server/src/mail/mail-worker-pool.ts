import { Worker } from 'node:worker_threads';
import { AppError } from '../errors.js';
import { FairQueue } from './fair-queue.js';
import { type BodyMessage, fromWireError, type JobMessage, type MailJob, type MailJobResult, type WorkerMessage } from './mail-worker-protocol.js';
import type { MessageSummary } from './read-summary.js';
import { formatDuration } from '../duration.js';
import { workerEntry } from '../worker-entry.js';

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

/**
 * V8 young generation of one worker, in MB. A parse makes garbage fast (a
 * slice per line of the message); with V8's default a worker's peak RSS grew
 * by about 20 MB more per 50 MB message before the first scavenge (issue 12
 * row 7), for no speed that the benches could see.
 */
const YOUNG_GENERATION_MB = 16;

/** What a refused job's sender is told to wait: about one parse. */
const QUEUE_RETRY_SECONDS = 5;

/** `abandoned`: a `follow` job's body did not arrive within the time limit (the worker was stopped for that, not for the message) */
type Answer = Exclude<WorkerMessage, { ready: true }> | { dead: string; abandoned?: true };

/**
 * A message parsed while its body is still being written to its file
 * (`MailWorkerPool.follow`). The writer says how it ended: `complete` or
 * `fail`. `summary` is undefined when the parse was given up — the body
 * broke off, or did not arrive within the time limit — and the message is
 * then for the ordinary line (`run`), once its body is whole.
 */
export interface FollowedParse {
  /** the body is whole: `size` bytes */
  complete(size: number): void;
  /** the body broke off; `reason` says why */
  fail(reason: string): void;
  /** what `readSummary` gives for the whole body; rejects as a `run` of it would (MESSAGE_UNPARSEABLE and the like) */
  summary: Promise<MessageSummary | undefined>;
}

/** What a `follow` job's exchange is told of its body. */
interface BodyWatch {
  /** set once the body is whole */
  complete: boolean;
  /** called once when it is */
  onComplete?: () => void;
}

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
  /** `follow` jobs on a worker now */
  private following = 0;
  private nextId = 1;
  private closed = false;
  /** every worker started and not yet exited, idle or busy */
  private readonly live = new Set<Worker>();

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
      const worker = this.idle.pop() ?? (await this.startWorker());
      const answer = await this.exchange(worker, { id: this.nextId++, job });
      if ('dead' in answer) throw new AppError('MESSAGE_UNPARSEABLE', `The message cannot be parsed: ${answer.dead}.`);
      this.park(worker);
      if (!answer.ok) throw fromWireError(answer.error);
      return answer.result as MailJobResult<J>;
    } finally {
      this.endTurn();
    }
  }

  /**
   * Starts summarizing a message while its body is still being written to
   * `file` (ADR 0020), or answers undefined — the caller then `run`s a
   * summary once the body is whole — unless the parse would take no turn
   * from anyone: a worker is idle, nobody waits in line, and fewer than
   * `max(1, workers − 1)` followed parses run, so another worker stays for
   * the line. Started, it is a turn of `owner` in the line like any job. Its
   * time limit counts from the moment the body is whole; a body that takes
   * longer than the limit to arrive has its parse given up (the worker is
   * stopped, `summary` is undefined), so a slow upload never holds a worker
   * for longer than one job may.
   */
  follow(file: string, owner: string): FollowedParse | undefined {
    const { workers } = this.limits;
    if (this.closed || this.running >= workers || this.waiting.size > 0 || this.following >= Math.max(1, workers - 1)) return undefined;
    const id = this.nextId++;
    const body: BodyWatch & { size?: number; failure?: string; worker?: Worker } = { complete: false };
    const tell = (message: BodyMessage) => body.worker?.postMessage(message);
    this.following += 1;
    const summary = (async (): Promise<MessageSummary | undefined> => {
      // admitted above, so the turn is given at once: no await comes between the check and the turn
      await this.takeTurn(owner).catch((error: unknown) => {
        this.following -= 1;
        throw error;
      });
      try {
        const worker = this.idle.pop() ?? (await this.startWorker());
        const answering = this.exchange(worker, { id, job: { kind: 'follow', file } }, body);
        body.worker = worker;
        if (body.size !== undefined) tell({ id, bodySize: body.size });
        if (body.failure !== undefined) tell({ id, bodyFailed: body.failure });
        const answer = await answering;
        body.worker = undefined;
        if ('dead' in answer) {
          if (answer.abandoned || body.failure !== undefined) return undefined;
          throw new AppError('MESSAGE_UNPARSEABLE', `The message cannot be parsed: ${answer.dead}.`);
        }
        this.park(worker);
        if (body.failure !== undefined) return undefined;
        if (!answer.ok) throw fromWireError(answer.error);
        return answer.result as MessageSummary;
      } finally {
        this.following -= 1;
        this.endTurn();
      }
    })();
    return {
      complete: (size) => {
        if (body.complete || body.failure !== undefined) return;
        body.size = size;
        body.complete = true;
        tell({ id, bodySize: size });
        body.onComplete?.();
      },
      fail: (reason) => {
        if (body.complete || body.failure !== undefined) return;
        body.failure = reason;
        tell({ id, bodyFailed: reason });
      },
      summary,
    };
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

  /**
   * Stops idle workers now and busy ones when their job ends; resolves once
   * every worker has exited (graceful shutdown: no parser thread outlives
   * the server).
   */
  async close(): Promise<void> {
    this.closed = true;
    for (const worker of this.idle.splice(0)) void worker.terminate();
    await Promise.all([...this.live].map((worker) => new Promise((resolve) => worker.once('exit', resolve))));
  }

  /** A new worker, counted as live until it exits. */
  private async startWorker(): Promise<Worker> {
    const worker = await startWorker(this.limits);
    if (worker.threadId === -1) return worker; // exited meanwhile: the job's exchange sees it dead
    this.live.add(worker);
    worker.once('exit', () => this.live.delete(worker));
    return worker;
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

  /**
   * Sends the job and waits for its answer, the worker's death, or the time
   * limit (which kills it). A `follow` job's limit starts when its `body` is
   * whole; one whose body takes longer than the limit is `abandoned`.
   */
  private exchange(worker: Worker, message: JobMessage, body?: BodyWatch): Promise<Answer> {
    const { timeoutMs, maxOldGenerationSizeMb } = this.limits;
    return new Promise<Answer>((resolve) => {
      let crash: (Error & { code?: string }) | undefined;
      let timedOut = false;
      let abandoned = false;
      const limit = () =>
        setTimeout(() => {
          timedOut = true;
          abandoned = body?.complete === false;
          void worker.terminate();
        }, timeoutMs);
      let timer = limit();
      if (body) {
        body.onComplete = () => {
          clearTimeout(timer);
          if (!timedOut) timer = limit();
        };
      }
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
        if (abandoned) resolve({ dead: `its body took longer than ${formatDuration(timeoutMs)} to arrive`, abandoned: true });
        else if (timedOut) resolve({ dead: `parsing it took longer than ${formatDuration(timeoutMs)}` });
        else if (crash?.code === 'ERR_WORKER_OUT_OF_MEMORY') resolve({ dead: `parsing it needed more than ${maxOldGenerationSizeMb} MB of memory` });
        else resolve({ dead: `the parser stopped unexpectedly${crash ? ` (${crash.message})` : ''}` });
      };
      const finish = () => {
        clearTimeout(timer);
        if (body) body.onComplete = undefined;
        worker.off('message', onMessage).off('error', onError).off('exit', onExit);
      };
      worker.on('message', onMessage).on('error', onError).on('exit', onExit);
      worker.ref();
      worker.postMessage(message);
    });
  }
}

/**
 * Starts a worker and waits until it has loaded its modules. Failing to start
 * is never the message's fault: out of descriptors a worker fails in several
 * ways (EMFILE, "Worker initialization failure", a module "not found" that
 * could not be opened), so any failure is RESOURCES_EXHAUSTED (503, Retry-After)
 * with the reason in the server log, and the next job starts a worker afresh.
 */
function startWorker(limits: MailWorkerLimits): Promise<Worker> {
  const { entry, eval: isSource } = workerEntry(import.meta.url, 'mail-worker');
  const worker = new Worker(entry, {
    eval: isSource,
    resourceLimits: { maxOldGenerationSizeMb: limits.maxOldGenerationSizeMb, maxYoungGenerationSizeMb: YOUNG_GENERATION_MB },
  });
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
  void shared?.close();
  shared = undefined;
}

/** Closes the shared pool (graceful shutdown) and resolves once its workers have exited; a later job starts a fresh one. */
export async function closeMailWorkers(): Promise<void> {
  const closing = shared;
  shared = undefined;
  await closing?.close();
}
