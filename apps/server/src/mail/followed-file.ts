import { type FileHandle, open } from 'node:fs/promises';
import { Readable } from 'node:stream';

/** Bytes asked of the file at a time, as a file read stream's default. */
const CHUNK_BYTES = 64 * 1024;

/** How long a reader that has caught up with the writer waits before it looks again, in ms. */
const CATCH_UP_WAIT_MS = 5;

/**
 * The bytes of a file while another thread is still writing it (an upload
 * streaming into its temporary), in order, from the start: each read takes
 * what the file holds past the last one, and a reader that has caught up
 * looks again after a few milliseconds. It ends once it has read the `size`
 * that `complete` announces, and fails when `fail` is called (the writer
 * broke off). It only reads: whatever the writer does, the reader never holds
 * more than one chunk of its own, so a reader that falls behind costs page
 * cache, not memory, and never slows the writer down.
 */
export class FollowedFile extends Readable {
  private handle: FileHandle | undefined;
  private position = 0;
  private size: number | undefined;
  private wake: (() => void) | undefined;

  constructor(private readonly file: string) {
    super({ highWaterMark: CHUNK_BYTES });
  }

  /** The writer has finished: the file holds `size` bytes. */
  complete(size: number): void {
    this.size = size;
    this.wake?.();
  }

  /** The writer broke off: the reader fails with `reason`. */
  fail(reason: string): void {
    this.destroy(new Error(reason));
  }

  override _construct(callback: (error?: Error | null) => void): void {
    open(this.file, 'r').then((handle) => {
      this.handle = handle;
      callback();
    }, callback);
  }

  override _read(): void {
    this.readNext().catch((error: unknown) => this.destroy(error instanceof Error ? error : new Error(String(error))));
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    this.wake?.();
    const closing = this.handle?.close() ?? Promise.resolve();
    this.handle = undefined;
    closing.then(
      () => callback(error),
      () => callback(error),
    );
  }

  /** Pushes the next chunk, or the end; waits while the reader has caught up with a writer that is not done. */
  private async readNext(): Promise<void> {
    for (;;) {
      const handle = this.handle;
      if (handle === undefined || this.destroyed) return;
      const left = this.size === undefined ? CHUNK_BYTES : Math.min(CHUNK_BYTES, this.size - this.position);
      if (left <= 0) {
        this.push(null);
        return;
      }
      const buffer = Buffer.allocUnsafe(left);
      const { bytesRead } = await handle.read(buffer, 0, left, this.position);
      if (bytesRead > 0) {
        this.position += bytesRead;
        this.push(buffer.subarray(0, bytesRead));
        return;
      }
      // the writer may have finished during the read
      if (this.size !== undefined) {
        if (this.position < this.size) throw new Error(`the file ended after ${this.position} of its ${this.size} bytes`);
        this.push(null);
        return;
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, CATCH_UP_WAIT_MS);
        this.wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.wake = undefined;
    }
  }
}
