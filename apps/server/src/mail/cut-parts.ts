import { createReadStream } from 'node:fs';
import { rm, stat } from 'node:fs/promises';
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Joiner, Splitter } from '@zone-eu/mailsplit';
import type { FileDigest } from '../fs/digest.js';
import { writeNewFileDurable } from '../fs/durable-stream.js';
import { PartCutter } from './part-cutter.js';
import { SPLITTER_OPTIONS } from './part-numbering.js';

export interface CutPartsArgs {
  /** the EML to take parts out of; it is only read */
  source: string;
  /** the part ids to take out, in message order, as `readSummary` listed them */
  partIds: readonly string[];
  /** where the EML without those parts is written; undefined: the message is kept whole and the parts are copied */
  rewrittenPath?: string;
  /** where the i-th part of `partIds` is written */
  partPaths: readonly string[];
}

export interface CutPartsResult {
  /** undefined when the message was kept whole */
  rewritten?: FileDigest;
  /** the digest of the i-th part of `partIds` */
  parts: FileDigest[];
}

/**
 * The byte-level pass of `extractParts`, run inside a mail worker: mailsplit
 * splits the message with the same options as the listing pass, so the same part
 * ids, and a PartCutter drops the chosen parts on their way to the Joiner
 * while their bodies are decoded straight into their files. Outputs are
 * created with 'wx' and flushed, never renamed. On any failure every output
 * written is removed before the error is rethrown. Without `rewrittenPath`
 * nothing is cut: the chosen parts are decoded into their files and the
 * message is only read.
 */
export async function cutParts(args: CutPartsArgs): Promise<CutPartsResult> {
  const { size: sourceSize } = await stat(args.source);

  const completed: string[] = [];
  const track = async (file: string, writing: Promise<FileDigest>): Promise<FileDigest> => {
    const digest = await writing;
    completed.push(file);
    return digest;
  };

  const partWrites: Promise<FileDigest>[] = [];
  const { rewrittenPath } = args;
  const cutter = new PartCutter(
    new Map(args.partIds.map((partId, index) => [partId, index])),
    sourceSize,
    (index, decoded) => {
      const target = args.partPaths[index] as string; // one path per chosen part
      const writing = track(target, writeNewFileDurable(target, [decoded]));
      // a part that cannot be written stops the whole pass
      writing.catch((error: unknown) => cutter.destroy(error instanceof Error ? error : new Error(String(error))));
      partWrites[index] = writing;
    },
    rewrittenPath === undefined,
  );

  try {
    const source = [createReadStream(args.source), new Splitter(SPLITTER_OPTIONS), cutter] as const;
    if (rewrittenPath === undefined) {
      await pipeline(...source, discard());
      return { parts: await Promise.all(partWrites) };
    }
    const rewritten = await track(rewrittenPath, writeNewFileDurable(rewrittenPath, [...source, new Joiner()]));
    // the cutter found every chosen part, or it failed the pass
    return { rewritten, parts: await Promise.all(partWrites) };
  } catch (error) {
    // let every writer finish failing (each removes its own partial file), then remove the finished ones
    await Promise.allSettled(partWrites);
    await Promise.all(completed.map((file) => rm(file, { force: true })));
    throw error;
  }
}

/** A sink for the splitter's chunks of a message that is only read. */
function discard(): Writable {
  return new Writable({ objectMode: true, write: (_chunk, _encoding, callback) => callback() });
}
