import { writeSync } from 'node:fs';
import { fileProblem } from '../errors.js';
import { writeAll } from '../fs/write-all.js';

/** Lines waiting for the file beyond this many bytes are dropped (and counted) rather than held in memory. */
const MAX_PENDING_BYTES = 4 * 1024 * 1024;

/** What `/api/health` reports about the server log file. */
export interface LogFileState {
  writable: boolean;
  /** lines lost since the start because the file could not take them */
  dropped: number;
  /** why the last write failed: `ENOSPC (no space left on device)` */
  detail?: string;
}

/**
 * The server log file as a pino destination that can fail without harm.
 * pino's own file stream (sonic-boom) keeps a failed chunk and, on the way
 * out, retries it in a synchronous loop that never ends when the disk is
 * full, so the process neither answers nor exits. Here a write is one
 * asynchronous `write(2)` at a time; a line the file refuses (ENOSPC,
 * EDQUOT, EIO) is dropped and counted, the next line tries again, and once
 * the file takes lines again the count of what was lost is written first.
 * Nothing here ever blocks or throws.
 *
 * Lines are gathered for the rest of the event loop's turn (and while a
 * write is under way) and written together: one `write(2)` in the thread pool
 * for all the requests answered in that turn rather than one per line. What
 * is still waiting when the process exits — `process.exit`, the end of a
 * graceful shutdown, an uncaught exception — is written synchronously in one
 * attempt (`flushSync`, run from the process's `exit` event).
 */
export class LogFile {
  readonly #fd: number;
  readonly #onFirstFailure: (detail: string) => void;
  #pending: string[] = [];
  #pendingBytes = 0;
  #writing = false;
  /** a write of the lines gathered so far is due at the end of this turn of the event loop */
  #due = false;
  #dropped = 0;
  /** dropped since the last line the file took: reported in the file when it recovers */
  #unreported = 0;
  #detail: string | undefined;
  #failedBefore = false;
  #drained: Array<() => void> = [];

  /** `fd`: an open, appendable file; `onFirstFailure` hears once, the first time a write fails. */
  constructor(fd: number, onFirstFailure: (detail: string) => void) {
    this.#fd = fd;
    this.#onFirstFailure = onFirstFailure;
    for (const ref of flushedAtExit) if (ref.deref() === undefined) flushedAtExit.delete(ref);
    flushedAtExit.add(new WeakRef(this));
  }

  state(): LogFileState {
    return this.#detail === undefined ? { writable: true, dropped: this.#dropped } : { writable: false, dropped: this.#dropped, detail: this.#detail };
  }

  /** pino's stream interface: one JSON line. */
  write(line: string): boolean {
    const bytes = Buffer.byteLength(line);
    if (this.#pendingBytes + bytes > MAX_PENDING_BYTES) {
      this.#drop(1);
      return true;
    }
    this.#pending.push(line);
    this.#pendingBytes += bytes;
    if (!this.#due && !this.#writing) {
      this.#due = true;
      setImmediate(() => {
        this.#due = false;
        this.#next();
      });
    }
    return true;
  }

  /** Calls back once what was written so far has reached the file or been dropped; never waits on a retry. */
  flush(callback: () => void = () => {}): void {
    if (!this.#writing && this.#pending.length === 0) callback();
    else this.#drained.push(callback);
  }

  /**
   * Writes what is waiting now, synchronously, in one attempt (at exit: see
   * the class). A line written asynchronously and not yet done may follow
   * these in the file. A failure drops and counts them, never retried: a
   * retry loop is what hangs sonic-boom on a full disk.
   */
  flushSync(): void {
    if (this.#pending.length === 0) return;
    const lines = this.#pending.splice(0);
    this.#pendingBytes = 0;
    try {
      writeSync(this.#fd, Buffer.from(lines.join('')));
    } catch {
      this.#drop(lines.length);
    }
  }

  #next(): void {
    if (this.#writing) return;
    if (this.#pending.length === 0) {
      for (const callback of this.#drained.splice(0)) callback();
      return;
    }
    const lines = this.#pending.splice(0);
    this.#pendingBytes = 0;
    if (this.#unreported > 0) {
      lines.unshift(
        `${JSON.stringify({ level: 40, time: new Date().toISOString(), service: 'toa-server', dropped: this.#unreported, msg: `${this.#unreported} log lines were lost while the log file could not be written (${this.#detail ?? 'unknown'})` })}\n`,
      );
    }
    const chunk = Buffer.from(lines.join(''));
    this.#writing = true;
    void writeAll(this.#fd, chunk)
      .then(
        () => {
          this.#unreported = 0;
          this.#detail = undefined;
        },
        // a partly written chunk leaves a torn line; the readers of the log skip lines that are not JSON
        (error: unknown) => this.#fail(fileProblem(error), lines.length),
      )
      .then(() => {
        this.#writing = false;
        this.#next();
      });
  }

  #fail(detail: string, lineCount: number): void {
    this.#detail = detail;
    // the loss notice itself is not a lost line
    this.#drop(this.#unreported > 0 ? lineCount - 1 : lineCount);
    if (this.#failedBefore) return;
    this.#failedBefore = true;
    this.#onFirstFailure(detail);
  }

  #drop(lines: number): void {
    this.#dropped += lines;
    this.#unreported += lines;
  }
}

/** Every log file of the process, written out at exit (a WeakRef each: a file nobody logs to any more may go). */
const flushedAtExit = new Set<WeakRef<LogFile>>();
process.on('exit', () => {
  for (const ref of flushedAtExit) ref.deref()?.flushSync();
});
