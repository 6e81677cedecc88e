import { createHash } from 'node:crypto';
import { fsync, writev } from 'node:fs';
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { FileDigest } from './digest.js';
import { removeTemporary } from './leftovers.js';
import { closeDescriptor, openNewFile } from './new-file.js';

type PipelineStage = NodeJS.ReadableStream | NodeJS.ReadWriteStream;

/** Bytes the sink takes before it asks the source to wait: several socket reads' worth, written with one `writev`. */
const HIGH_WATER_MARK = 1024 * 1024;

/**
 * The last stage of a durable write: hashes and counts each chunk, then
 * writes it to the descriptor at the file's end (`writev`, chunks gathered
 * while the previous write was under way), and flushes the file (`fsync`)
 * before it finishes. Hashing here rather than in a Transform in front
 * saves a stream hop per chunk on the hot path of every upload. The
 * descriptor stays the caller's to close.
 */
class DigestingFileSink extends Writable {
  readonly #fd: number;
  readonly #hash = createHash('sha256');
  #size = 0;

  constructor(fd: number) {
    super({ highWaterMark: HIGH_WATER_MARK });
    this.#fd = fd;
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    this._writev([{ chunk }], callback);
  }

  override _writev(chunks: Array<{ chunk: Buffer }>, callback: (error?: Error | null) => void): void {
    const buffers = chunks.map(({ chunk }) => chunk);
    for (const buffer of buffers) {
      this.#hash.update(buffer);
      this.#size += buffer.length;
    }
    this.#writeAll(buffers, callback);
  }

  override _final(callback: (error?: Error | null) => void): void {
    fsync(this.#fd, callback);
  }

  /** A short write (a full disk gives one before ENOSPC) goes on with the rest. */
  #writeAll(buffers: Buffer[], callback: (error?: Error | null) => void): void {
    writev(this.#fd, buffers, (error, written) => {
      if (error) {
        callback(error);
        return;
      }
      let left = written;
      while (buffers.length > 0 && left >= (buffers[0] as Buffer).length) left -= (buffers.shift() as Buffer).length;
      if (buffers.length === 0) {
        callback();
        return;
      }
      buffers[0] = (buffers[0] as Buffer).subarray(left);
      this.#writeAll(buffers, callback);
    });
  }

  /** The size and hash of everything written; call once, after the stream finished. */
  digest(): FileDigest {
    return { size: this.#size, sha256: this.#hash.digest('hex') };
  }
}

/**
 * Streams `stages` (a source and any transforms) into a file that must not
 * exist yet ('wx'), flushes it to disk and returns the size and hash of what
 * was written. On failure the file it created is removed, so a caller only
 * ever has to clean up outputs this function returned successfully. It never
 * touches a file that existed before.
 */
export async function writeNewFileDurable(file: string, stages: readonly PipelineStage[]): Promise<FileDigest> {
  // opened here rather than by the stream, so that an existing file fails
  // before anything starts and is never mistaken for one of ours
  const fd = await openNewFile(file);
  try {
    const sink = new DigestingFileSink(fd);
    await pipeline([...stages, sink]);
    await closeDescriptor(fd);
    return sink.digest();
  } catch (error) {
    await closeDescriptor(fd).catch(() => {});
    await removeTemporary(file);
    throw error;
  }
}
