import { write } from 'node:fs';

/**
 * Writes all of `chunk` at the descriptor's position (at the end for an
 * `O_APPEND` descriptor) through the thread pool: a short write (a full disk
 * gives one before ENOSPC) goes on with the rest. Rejects with the errno
 * error of the write that failed; what was written before it stays written.
 */
export function writeAll(fd: number, chunk: Uint8Array): Promise<void> {
  return new Promise((resolve, reject) => {
    const from = (offset: number): void => {
      write(fd, chunk, offset, chunk.length - offset, null, (error, written) => {
        if (error) reject(error);
        else if (offset + written < chunk.length) from(offset + written);
        else resolve();
      });
    };
    from(0);
  });
}
