import { type FileHandle, mkdir, open } from 'node:fs/promises';
import path from 'node:path';
import type { Logger } from 'pino';
import type { ArchiveKind } from '../config/schema.js';

export const ARCHIVE_CALL_LOG_FILE = 'archive-calls.log';

/** One line of `archive-calls.log`: one attempt to hand one import to the archive. */
export interface ArchiveCallEntry {
  /** when the attempt started, ISO 8601 */
  at: string;
  domain: string;
  importId: string;
  /** the key the batch was sent under (the import id plus its content digest) */
  idempotencyKey: string;
  client: ArchiveKind;
  /** archive root folder, or the URL without user info and query (never credentials) */
  target: string;
  /** 1 for the first try */
  attempt: number;
  outcome: 'ok' | 'error';
  /** HTTP status of the answer, when there was one */
  status?: number;
  batchId?: string;
  /** the message the user sees */
  error?: string;
  durationMs: number;
}

/** What an attempt is about, known before it starts. */
export type ArchiveCallSubject = Pick<ArchiveCallEntry, 'domain' | 'importId' | 'idempotencyKey' | 'client' | 'target' | 'attempt'>;
/** How it ended. */
export type ArchiveCallResult = Pick<ArchiveCallEntry, 'outcome' | 'status' | 'batchId' | 'error'>;

/**
 * Appends JSON lines to `<logDir>/archive-calls.log`. Lines are written one at
 * a time in call order, each with a single append. A write failure never
 * fails a submit (the archive call already happened); it goes to the server
 * log instead. `observe`, when given, sees every entry as it is appended
 * (the metrics count calls by outcome and time them).
 */
export class ArchiveCallLog {
  /** touched only inside `tail`, so never by two operations at once */
  private handle: FileHandle | undefined;
  private tail: Promise<void> = Promise.resolve();

  constructor(
    private readonly logDir: string,
    private readonly logger?: Logger,
    private readonly observe?: (entry: ArchiveCallEntry) => void,
  ) {}

  append(entry: ArchiveCallEntry): Promise<void> {
    this.observe?.(entry);
    const line = `${JSON.stringify(entry)}\n`;
    return this.enqueue('could not write to the archive call log', async () => {
      if (!this.handle) {
        await mkdir(this.logDir, { recursive: true });
        this.handle = await open(path.join(this.logDir, ARCHIVE_CALL_LOG_FILE), 'a');
      }
      await this.handle.appendFile(line);
    });
  }

  /** Starts timing one attempt; the returned function writes its line. */
  begin(subject: ArchiveCallSubject): (result: ArchiveCallResult) => Promise<void> {
    const at = new Date().toISOString();
    const started = performance.now();
    return (result) => this.append({ at, ...subject, ...result, durationMs: Math.round(performance.now() - started) });
  }

  /** Waits for pending lines and closes the file; a later `append` reopens it. */
  close(): Promise<void> {
    return this.enqueue('could not close the archive call log', async () => {
      const handle = this.handle;
      this.handle = undefined;
      await handle?.close();
    });
  }

  private enqueue(failure: string, operation: () => Promise<void>): Promise<void> {
    this.tail = this.tail.then(operation).catch((error: unknown) => {
      this.logger?.warn({ err: error }, failure);
    });
    return this.tail;
  }
}
