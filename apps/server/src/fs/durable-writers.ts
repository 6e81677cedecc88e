import { Worker } from 'node:worker_threads';
import { AppError } from '../errors.js';
import { workerEntry } from '../worker-entry.js';

/** Which file was written: a rename keeps all three, so the caller knows the file at its final name without a `stat`. */
export interface WrittenFile {
  ino: bigint;
  size: bigint;
  mtimeNs: bigint;
}

/** One durable sequence a writer thread runs with synchronous calls (durable-writer-worker.ts). */
export type DurableJob =
  /** a new file (`wx`) with `data`, flushed */
  | { kind: 'write'; file: string; data: string | Uint8Array }
  /** `write` of `tmp`, renamed to `target`, the folder of `target` flushed */
  | { kind: 'replace'; tmp: string; target: string; data: string | Uint8Array }
  /** `from` renamed to `to`, the folder of `to` flushed */
  | { kind: 'rename'; from: string; to: string }
  /** each of `dirs` made in order (none may exist), then each of `flush` flushed */
  | { kind: 'folders'; dirs: string[]; flush: string[] }
  /** a folder flushed, so that the entries made in it survive a crash */
  | { kind: 'flush'; dir: string };

/** What a writer thread answers: the job's result or its errno error; `renamed` first, when asked, as soon as a rename is done. */
export type WriterAnswer =
  | { id: number; written: WrittenFile | undefined }
  | { id: number; renamed: true }
  | { id: number; error: { message: string; code?: string; errno?: number; syscall?: string; path?: string } };

interface Waiting {
  resolve(written: WrittenFile | undefined): void;
  reject(error: Error): void;
  renamed: (() => void) | undefined;
}

interface Writer {
  worker: Worker;
  pending: Map<number, Waiting>;
}

/**
 * Threads at once: each runs one job at a time and waits in its fsyncs, so
 * they are what keeps flushes in flight, as the thread pool's four threads
 * did when each call was its own hand-over.
 */
const WRITERS = 4;

/** Seconds a client is asked to wait when no writer thread could be started. */
const RETRY_SECONDS = 2;

/**
 * Worker threads that run the durable write sequences of the storage
 * (durable-writer-worker.ts), one message a sequence: writing import.json
 * atomically was eight thread-pool calls, each resumed on the main thread
 * (about 15 µs of its time each, measured); as one job it is one message
 * there and back. The disk sees the same calls in the same order.
 *
 * Started on first use, referenced only while they have jobs. A writer that
 * fails (it could not start, out of descriptors; it ended) fails the jobs it
 * had with RESOURCES_EXHAUSTED (503, Retry-After), like a mail worker that
 * cannot start, and the next job starts a writer afresh. A job's file-system
 * error comes back as the errno error it is (ENOSPC, EMFILE, ENOENT...).
 */
export class DurableWriters {
  readonly #writers: Array<Writer | undefined> = new Array(WRITERS).fill(undefined);
  #nextId = 0;

  /**
   * Runs `job` on the writer with the fewest jobs; `renamed` runs as soon as
   * the job's rename is done, before its folder is flushed. Resolves with
   * the file written (`write`, `replace`).
   */
  run(job: DurableJob, renamed?: () => void): Promise<WrittenFile | undefined> {
    let writer: Writer;
    try {
      writer = this.#leastBusy();
    } catch (error) {
      return Promise.reject(unavailable(error));
    }
    const id = this.#nextId++;
    return new Promise((resolve, reject) => {
      writer.pending.set(id, { resolve, reject, renamed });
      writer.worker.ref();
      writer.worker.postMessage({ id, job, announce: renamed !== undefined });
    });
  }

  #leastBusy(): Writer {
    let chosen = 0;
    for (let index = 0; index < WRITERS; index += 1) {
      const writer = this.#writers[index];
      if (!writer) {
        chosen = index;
        break;
      }
      if (writer.pending.size < (this.#writers[chosen]?.pending.size ?? 0)) chosen = index;
    }
    return this.#writers[chosen] ?? this.#start(chosen);
  }

  #start(index: number): Writer {
    const { entry, eval: isSource } = workerEntry(import.meta.url, 'durable-writer-worker');
    const writer: Writer = { worker: new Worker(entry, { eval: isSource }), pending: new Map() };
    writer.worker.unref();
    writer.worker.on('message', (answer: WriterAnswer) => this.#settle(writer, answer));
    writer.worker.on('error', (error: Error) => this.#fail(index, writer, error));
    writer.worker.on('exit', (code) => this.#fail(index, writer, new Error(`it ended (exit code ${code})`)));
    this.#writers[index] = writer;
    return writer;
  }

  #settle(writer: Writer, answer: WriterAnswer): void {
    const waiting = writer.pending.get(answer.id);
    if (!waiting) return;
    if ('renamed' in answer) {
      waiting.renamed?.();
      return;
    }
    writer.pending.delete(answer.id);
    if (writer.pending.size === 0) writer.worker.unref();
    if ('error' in answer) waiting.reject(Object.assign(new Error(answer.error.message), answer.error));
    else waiting.resolve(answer.written);
  }

  #fail(index: number, writer: Writer, error: Error): void {
    if (this.#writers[index] === writer) this.#writers[index] = undefined;
    const failure = unavailable(error);
    for (const waiting of writer.pending.values()) waiting.reject(failure);
    writer.pending.clear();
    void writer.worker.terminate();
  }
}

function unavailable(error: unknown): AppError {
  const reason = error instanceof Error ? error.message : String(error);
  return new AppError('RESOURCES_EXHAUSTED', `the server could not write to its disk for the moment (a writer thread failed: ${reason}); try again shortly`, {
    cause: error,
    retryAfterSeconds: RETRY_SECONDS,
  });
}

let shared: DurableWriters | undefined;

/** The writers every durable write of this process uses, started on first use. */
export function durableWriters(): DurableWriters {
  shared ??= new DurableWriters();
  return shared;
}
