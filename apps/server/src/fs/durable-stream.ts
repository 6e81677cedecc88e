import { open, rm } from 'node:fs/promises';
import { pipeline } from 'node:stream/promises';
import { DigestTap, type FileDigest } from './digest.js';

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
