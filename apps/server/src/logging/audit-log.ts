import { appendFile, createReadStream } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { DOMAIN_CODE_PATTERN } from '@toa/api/ids';
import { type AuditEntry, type AuditQuery, auditEntrySchema } from '@toa/api/identity';
import { errnoCode } from '../errors.js';

/**
 * `audit-<domain>.log`: one JSON line per import action, appended in order.
 * Appends of one file are chained so lines never interleave; the lines that
 * arrive while an append is under way go together in the next one (one
 * open, write and close for all of them, not three system calls a line).
 */
export class AuditLog {
  private readonly tails = new Map<string, Promise<void>>();
  /** per file, the lines waiting for the append under way to finish, and when they are written */
  private readonly waiting = new Map<string, { lines: string[]; written: Promise<void> }>();

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

  /** The log folder is made when an append finds it missing (the first, or after it was removed), not looked at on every append. */
  private async appendLines(file: string, text: string): Promise<void> {
    try {
      await appendText(file, text);
    } catch (error) {
      if (errnoCode(error) !== 'ENOENT') throw error;
      await mkdir(this.logDir, { recursive: true });
      await appendText(file, text);
    }
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

/** `appendFile` through the callback API: opened, appended (`O_APPEND`) and closed per batch, so a file removed by hand is created anew. */
function appendText(file: string, text: string): Promise<void> {
  return new Promise((resolve, reject) => appendFile(file, text, (error) => (error ? reject(error) : resolve())));
}
