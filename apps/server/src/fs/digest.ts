import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { Transform, type TransformCallback, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';

/** Size and hash of a file's bytes: how pages, parts and archive copies are recorded and checked. */
export interface FileDigest {
  /** bytes */
  size: number;
  /** SHA-256 of the bytes, lowercase hex */
  sha256: string;
}

/** Passes bytes through unchanged while counting and hashing them (the one streaming SHA-256). */
export class DigestTap extends Transform {
  private readonly hash = createHash('sha256');
  private size = 0;

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.hash.update(chunk);
    this.size += chunk.length;
    callback(null, chunk);
  }

  /** The size and hash of everything that passed; call once, after the stream ended. */
  digest(): FileDigest {
    return { size: this.size, sha256: this.hash.digest('hex') };
  }
}

/** Reads a file through a `DigestTap`; rejects with the file system's error (ENOENT for a missing file). */
export async function digestFile(file: string): Promise<FileDigest> {
  const tap = new DigestTap();
  const sink = new Writable({ write: (_chunk, _encoding, callback) => callback() });
  await pipeline(createReadStream(file), tap, sink);
  return tap.digest();
}
