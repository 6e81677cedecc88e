import { createReadStream } from 'node:fs';
import { rm, stat } from 'node:fs/promises';
import { Joiner, Splitter } from '@zone-eu/mailsplit';
import { AppError } from '../errors.js';
import { type FileDigest, writeNewFileDurable } from '../storage/durable-stream.js';
import { PartCutter } from './part-cutter.js';
import { SPLITTER_OPTIONS } from './part-numbering.js';
import { type ListedAttachment, summarizeMessage } from './summarize-message.js';

export interface ExtractedPart {
  partId: string;
  filename: string;
  contentType: string;
  size: number;
  sha256: string;
  /** the file holding the decoded bytes (for an attached message: the embedded EML) */
  path: string;
  isMessage: boolean;
}

export interface ExtractPartsArgs {
  /** the EML to take parts out of; it is only read */
  source: string;
  /** part ids to take out; undefined = every attachment that is not inline */
  partIds?: readonly string[];
  /** where the EML without those parts is written */
  rewrittenPath: string;
  /** where the i-th chosen part (0-based, in message order) is written */
  partPath: (index: number) => string;
}

export interface ExtractPartsResult {
  parts: ExtractedPart[];
  rewritten: FileDigest;
}

/**
 * Writes `rewrittenPath`, the source EML without the chosen parts and every
 * other byte unchanged, and one file per chosen part at `partPath(i)` with its
 * decoded bytes. Outputs are created with 'wx' and flushed, never renamed: the
 * caller renames them under its lock. On any failure every output written is
 * removed before the error is rethrown.
 *
 * Two streamed passes: mailparser lists the attachments (part ids, names,
 * which are inline) exactly as `summarizeMessage` does; then mailsplit splits
 * the message again with the same options, so the same part ids, and a
 * PartCutter drops the chosen parts on their way to the Joiner while their
 * bodies are decoded straight into their files.
 *
 * Throws AppError ATTACHMENT_NOT_FOUND for a part id the message does not
 * list, NOTHING_TO_EXTRACT when nothing is chosen, MESSAGE_UNPARSEABLE when
 * the source is not a message or its structure cannot be cut safely.
 */
export async function extractParts(args: ExtractPartsArgs): Promise<ExtractPartsResult> {
  const summary = await summarizeMessage(args.source);
  const chosen = chooseParts(summary.attachments, args.partIds);
  const { size: sourceSize } = await stat(args.source);

  const completed: string[] = [];
  const track = async (file: string, writing: Promise<FileDigest>): Promise<FileDigest> => {
    const digest = await writing;
    completed.push(file);
    return digest;
  };

  const partWrites: Promise<FileDigest>[] = [];
  const cutter = new PartCutter(new Map(chosen.map((part, index) => [part.partId, index])), sourceSize, (index, decoded) => {
    const writing = track(args.partPath(index), writeNewFileDurable(args.partPath(index), [decoded]));
    // a part that cannot be written stops the whole pass
    writing.catch((error: unknown) => cutter.destroy(error instanceof Error ? error : new Error(String(error))));
    partWrites[index] = writing;
  });

  try {
    const rewritten = await track(
      args.rewrittenPath,
      writeNewFileDurable(args.rewrittenPath, [createReadStream(args.source), new Splitter(SPLITTER_OPTIONS), cutter, new Joiner()]),
    );
    const digests = await Promise.all(partWrites);
    return {
      rewritten,
      parts: chosen.map((part, index) => {
        const digest = digests[index] as FileDigest; // the cutter found every chosen part
        return {
          partId: part.partId,
          filename: part.filename,
          contentType: part.contentType,
          size: digest.size,
          sha256: digest.sha256,
          path: args.partPath(index),
          isMessage: part.isMessage,
        };
      }),
    };
  } catch (error) {
    // let every writer finish failing (each removes its own partial file), then remove the finished ones
    await Promise.allSettled(partWrites);
    await Promise.all(completed.map((file) => rm(file, { force: true })));
    throw error;
  }
}

/** The chosen attachments in message order; see extractParts for the errors. */
function chooseParts(attachments: ListedAttachment[], partIds: readonly string[] | undefined): ListedAttachment[] {
  if (partIds === undefined) {
    const attached = attachments.filter((attachment) => !attachment.inline);
    if (attached.length === 0) throw new AppError('NOTHING_TO_EXTRACT', 'The message has no attachment that is not inline.');
    return attached;
  }
  const wanted = new Set(partIds);
  const unknown = [...wanted].filter((partId) => !attachments.some((attachment) => attachment.partId === partId));
  if (unknown.length > 0) {
    throw new AppError('ATTACHMENT_NOT_FOUND', `The message has no attachment with part id ${unknown.join(', ')}.`);
  }
  if (wanted.size === 0) throw new AppError('NOTHING_TO_EXTRACT', 'No attachment was chosen.');
  return attachments.filter((attachment) => wanted.has(attachment.partId));
}
