import { createHash } from 'node:crypto';
import { open, rm } from 'node:fs/promises';
import { Transform, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';

export interface FileDigest {
  size: number;
  /** SHA-256 of the file's bytes, lowercase hex */
  sha256: string;
}

/** Passes bytes through unchanged while counting and hashing them. */
class DigestTap extends Transform {
  private readonly hash = createHash('sha256');
  private size = 0;

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.hash.update(chunk);
    this.size += chunk.length;
    callback(null, chunk);
  }

  digest(): FileDigest {
    return { size: this.size, sha256: this.hash.digest('hex') };
  }
}

type PipelineStage = NodeJS.ReadableStream | NodeJS.ReadWriteStream;

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
  const handle = await open(file, 'wx');
  try {
    const tap = new DigestTap();
    // `flush` syncs the file before the stream closes the handle
    await pipeline([...stages, tap, handle.createWriteStream({ flush: true })]);
    return tap.digest();
  } catch (error) {
    await handle.close(); // a no-op when the stream closed it already
    await rm(file, { force: true });
    throw error;
  }
}
