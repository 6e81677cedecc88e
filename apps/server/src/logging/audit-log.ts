import { closeSync, createReadStream, fstatSync, mkdirSync, openSync, statSync } from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { DOMAIN_CODE_PATTERN } from '@toa/api/ids';
import { type AuditEntry, type AuditQuery, auditEntrySchema } from '@toa/api/identity';
import { errnoCode } from '../errors.js';
import { writeAll } from '../fs/write-all.js';

/** A descriptor kept open on an audit file, and which file it is (device and inode). */
interface OpenFile {
  fd: number;
  dev: number;
  ino: number;
}

/**
 * `audit-<domain>.log`: one JSON line per import action, appended in order.
 * Appends of one file are chained so lines never interleave; the lines that
 * arrive while an append is under way go together in the next one, one
 * `write(2)` in the thread pool for all of them. The file stays open between
 * appends (`O_APPEND`); before each one a `stat` of its name (a few
 * microseconds, on the main thread) tells whether the name is still that
 * file: one rotated away (renamed) or removed by hand is closed and the name
 * opened anew, created if need be, so no line goes to a file nobody reads.
 * `close()` at shutdown.
 */
export class AuditLog {
  private readonly tails = new Map<string, Promise<void>>();
  /** per file, the lines waiting for the append under way to finish, and when they are written */
  private readonly waiting = new Map<string, { lines: string[]; written: Promise<void> }>();
  private readonly open = new Map<string, OpenFile>();
  /** after `close()`: an append opens its file and closes it again */
  private closed = false;

  constructor(private readonly logDir: string) {}

  file(domain: string): string {
    if (!DOMAIN_CODE_PATTERN.test(domain)) throw new Error(`not a domain code: ${domain}`);
    return path.join(this.logDir, `audit-${domain}.log`);
  }

  /** Resolves once the line is in the file; rejects with the append's error. */
  append(entry: Omit<AuditEntry, 'at'> & { at?: string }): Promise<void> {
    // built by the server itself (the query side validates what it reads back)
    const line = `${JSON.stringify({ at: new Date().toISOString(), ...entry })}\n`;
    const file = this.file(entry.domain);
    const batch = this.waiting.get(file);
    if (batch) {
      batch.lines.push(line);
      return batch.written;
    }
    const lines = [line];
    const previous = this.tails.get(file) ?? Promise.resolve();
    const written = previous.then(
      () => {
        // from here on, new lines wait for this append
        this.waiting.delete(file);
        return this.appendLines(file, lines.join(''));
      },
      (error: unknown) => {
        this.waiting.delete(file);
        throw error;
      },
    );
    this.waiting.set(file, { lines, written });
    const settled = written.catch(() => {});
    this.tails.set(file, settled);
    void settled.then(() => {
      if (this.tails.get(file) === settled) this.tails.delete(file);
    });
    return written;
  }

  /**
   * Closes the files kept open once no append is under way or waiting (a
   * descriptor closed under a write could be reused by the next open and
   * take its lines). An append after this opens its file and closes it
   * again when its line is written.
   */
  async close(): Promise<void> {
    this.closed = true;
    // a batch waiting behind the ones waited for runs in its turn: wait until none is left
    while (this.tails.size > 0) await Promise.all(this.tails.values());
    for (const file of [...this.open.keys()]) this.release(file);
  }

  private async appendLines(file: string, text: string): Promise<void> {
    try {
      await writeAll(this.descriptor(file), Buffer.from(text));
    } finally {
      if (this.closed) this.release(file);
    }
  }

  /** Closes the descriptor kept for `file`, if any; only when no write of it is under way. */
  private release(file: string): void {
    const kept = this.open.get(file);
    if (!kept) return;
    this.open.delete(file);
    closeQuietly(kept.fd);
  }

  /**
   * The descriptor to append to `file` with: the one kept open while the name
   * still is that file, else the name opened anew (`O_APPEND`, created if
   * missing). The log folder is made when an open finds it missing (the
   * first, or after it was removed), not looked at on every append.
   */
  private descriptor(file: string): number {
    const kept = this.open.get(file);
    const current = statSync(file, { throwIfNoEntry: false });
    if (kept && current && current.ino === kept.ino && current.dev === kept.dev) return kept.fd;
    this.release(file);
    const fd = openForAppend(file, this.logDir);
    try {
      const { dev, ino } = fstatSync(fd);
      this.open.set(file, { fd, dev, ino });
    } catch (error) {
      closeQuietly(fd);
      throw error;
    }
    return fd;
  }

  /** Entries matching the query, oldest first, at most `limit` (the newest ones). */
  async query(domain: string, query: AuditQuery): Promise<AuditEntry[]> {
    await this.tails.get(this.file(domain));
    const from = query.from ? Date.parse(query.from) : Number.NEGATIVE_INFINITY;
    const to = query.to ? Date.parse(query.to) : Number.POSITIVE_INFINITY;
    const found: AuditEntry[] = [];
    const lines = createInterface({ input: createReadStream(this.file(domain)), crlfDelay: Number.POSITIVE_INFINITY });
    try {
      for await (const line of lines) {
        if (line.trim() === '') continue;
        let parsed: ReturnType<typeof auditEntrySchema.safeParse>;
        try {
          parsed = auditEntrySchema.safeParse(JSON.parse(line));
        } catch {
          continue; // a torn last line after a crash
        }
        if (!parsed.success) continue;
        const entry = parsed.data;
        const at = Date.parse(entry.at);
        if (query.importId && entry.importId !== query.importId) continue;
        if (at < from || at > to) continue;
        found.push(entry);
        if (found.length > query.limit) found.shift();
      }
    } catch (error) {
      if (errnoCode(error) === 'ENOENT') return [];
      throw error;
    }
    return found;
  }
}

/** Opens `file` for appending, creating it, and `logDir` too when it is missing; throws the open's errno error (EISDIR, EACCES...). */
function openForAppend(file: string, logDir: string): number {
  try {
    return openSync(file, 'a');
  } catch (error) {
    if (errnoCode(error) !== 'ENOENT') throw error;
    mkdirSync(logDir, { recursive: true });
    return openSync(file, 'a');
  }
}

function closeQuietly(fd: number): void {
  try {
    closeSync(fd);
  } catch {
    // already gone: nothing was waiting on it
  }
}
