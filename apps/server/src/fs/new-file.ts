import { close, open } from 'node:fs';

/**
 * A descriptor for writing a file that must not exist yet (`wx`), through
 * the callback API: a FileHandle's bookkeeping costs the main thread more
 * than the open and close themselves. Rejects with the errno error (EEXIST,
 * ENOENT, EMFILE...).
 */
export function openNewFile(file: string): Promise<number> {
  return new Promise((resolve, reject) => open(file, 'wx', (error, fd) => (error ? reject(error) : resolve(fd))));
}

/** Closes `fd` through the thread pool, queued behind a write of it already waiting there; rejects with the close's error. */
export function closeDescriptor(fd: number): Promise<void> {
  return new Promise((resolve, reject) => close(fd, (error) => (error ? reject(error) : resolve())));
}
