import { type BigIntStats, close, open, read, readdir, stat } from 'node:fs';

/**
 * Reads of many small files and folders, as the start-up pass makes them (a
 * folder listing and an import.json per import): node:fs's callback API, one
 * thread-pool job and one promise per call. `fs/promises` costs several
 * times as much of the main thread per file — a FileHandle per open, an
 * fstat before every read, a promise per step — which at 100 000 imports
 * was most of the pass (docs/benchmarks.md, "Start-up").
 */

/** The names in `dir` (readdir(3)); rejects with the errno error (ENOENT, ENOTDIR...). */
export function listFolder(dir: string): Promise<string[]> {
  return new Promise((resolve, reject) => {
    readdir(dir, (error, entries) => (error ? reject(error) : resolve(entries)));
  });
}

/** stat(2) of `file`, times in nanoseconds (bigint), or undefined when there is none to be had (gone, not allowed). */
export function statOrNone(file: string): Promise<BigIntStats | undefined> {
  return new Promise((resolve) => {
    stat(file, { bigint: true }, (error, stats) => resolve(error ? undefined : stats));
  });
}

/** What one read asks for: an import.json is 1–20 KiB; a larger file takes more reads. */
const CHUNK_BYTES = 16 * 1024;
/** Buffers kept for the next reads: enough for the pass's concurrent reads, bounded for a burst of them. */
const SPARE_LIMIT = 64;
const spare: Buffer[] = [];

function openForReading(file: string): Promise<number> {
  return new Promise((resolve, reject) => {
    open(file, 'r', (error, fd) => (error ? reject(error) : resolve(fd)));
  });
}

/** From the descriptor's position (not a pread: a FIFO has no offsets to read at). */
function readOn(fd: number, buffer: Buffer): Promise<number> {
  return new Promise((resolve, reject) => {
    read(fd, buffer, 0, buffer.length, null, (error, bytesRead) => (error ? reject(error) : resolve(bytesRead)));
  });
}

/**
 * The whole of a regular file as UTF-8 text (no BOM handling, as
 * `readFile(file, 'utf8')`): open, reads, close — three pool jobs for a file
 * of up to 16 KiB. A read that returns fewer bytes than asked is taken as
 * the end of the file, as read(2) of a regular file does only at its end; a
 * file that fills the buffer is read on until a read returns nothing. The
 * descriptor is closed without waiting for the close. Rejects with the
 * errno error of the open or a read (ENOENT, EISDIR, EMFILE...).
 */
export async function readText(file: string): Promise<string> {
  const fd = await openForReading(file);
  const buffer = spare.pop() ?? Buffer.allocUnsafe(CHUNK_BYTES);
  try {
    const first = await readOn(fd, buffer);
    if (first < buffer.length) return buffer.toString('utf8', 0, first);
    const parts = [Buffer.from(buffer)];
    let total = first;
    for (;;) {
      const bytesRead = await readOn(fd, buffer);
      if (bytesRead === 0) break;
      parts.push(Buffer.from(buffer.subarray(0, bytesRead)));
      total += bytesRead;
    }
    return Buffer.concat(parts, total).toString('utf8');
  } finally {
    close(fd, () => {}); // a read-only descriptor: nothing a failed close could lose
    if (spare.length < SPARE_LIMIT) spare.push(buffer);
  }
}
