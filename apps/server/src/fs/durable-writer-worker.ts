import { closeSync, fstatSync, fsyncSync, mkdirSync, openSync, renameSync, writeSync } from 'node:fs';
import path from 'node:path';
import { parentPort } from 'node:worker_threads';
import type { DurableJob, WriterAnswer, WrittenFile } from './durable-writers.js';

/**
 * The entry of a durable writer thread (started by `DurableWriters`): runs
 * one job, a whole durable sequence (create, write, fsync, rename, flush
 * the folder), with synchronous calls. On this thread a call costs no
 * hand-over to the thread pool and no promise; the main thread posts one
 * message and hears back once, instead of resuming after each of the
 * sequence's five to eight calls.
 */

/** Runs `action` on a new descriptor of `file` and closes it; a failed close fails the job only when the action did not. */
function withDescriptor<T>(file: string, flags: string, action: (fd: number) => T): T {
  const fd = openSync(file, flags);
  let result: T;
  try {
    result = action(fd);
  } catch (error) {
    try {
      closeSync(fd);
    } catch {
      // the action's error is the one to report
    }
    throw error;
  }
  closeSync(fd);
  return result;
}

/** A new file with `data`, flushed; fails if it exists. */
function writeDurable(file: string, data: string | Uint8Array): WrittenFile {
  return withDescriptor(file, 'wx', (fd) => {
    const bytes = typeof data === 'string' ? Buffer.from(data) : data;
    for (let offset = 0; offset < bytes.length; ) offset += writeSync(fd, bytes, offset);
    fsyncSync(fd);
    const { ino, size, mtimeNs } = fstatSync(fd, { bigint: true });
    return { ino, size, mtimeNs };
  });
}

function flushFolder(dir: string): void {
  withDescriptor(dir, 'r', (fd) => fsyncSync(fd));
}

/** Renames `from` to `to`, says so (`renamed`: readers see the new name now), then flushes the folder of `to`. */
function renameDurable(from: string, to: string, renamed: () => void): void {
  renameSync(from, to);
  renamed();
  flushFolder(path.dirname(to));
}

function run(job: DurableJob, renamed: () => void): WrittenFile | undefined {
  switch (job.kind) {
    case 'write':
      return writeDurable(job.file, job.data);
    case 'replace': {
      const written = writeDurable(job.tmp, job.data);
      renameDurable(job.tmp, job.target, renamed);
      return written;
    }
    case 'rename':
      renameDurable(job.from, job.to, renamed);
      return undefined;
    case 'folders':
      for (const dir of job.dirs) mkdirSync(dir);
      for (const dir of job.flush) flushFolder(dir);
      return undefined;
    case 'flush':
      flushFolder(job.dir);
      return undefined;
  }
}

const port = parentPort;
if (port) {
  port.on('message', ({ id, job, announce }: { id: number; job: DurableJob; announce: boolean }) => {
    let answer: WriterAnswer;
    try {
      answer = { id, written: run(job, () => announce && port.postMessage({ id, renamed: true } satisfies WriterAnswer)) };
    } catch (error) {
      const { message, code, errno, syscall, path: where } = error as NodeJS.ErrnoException;
      answer = { id, error: { message, code, errno, syscall, path: where } };
    }
    port.postMessage(answer);
  });
}
