import { rm } from 'node:fs/promises';
import { isMessageType } from '@toa/api/imports';
import { lookup } from 'mime-types';
import { AppError } from '../errors.js';
import { UNKNOWN_MEDIA_TYPE } from '../media-type.js';
import { pathExists } from '../fs/atomic-fs.js';
import type { FileDigest } from '../fs/digest.js';
import { mailWorkers, NO_OWNER } from './mail-worker-pool.js';
import { type ListedAttachment, type MessageSummary, summarizeMessage } from './summarize-message.js';

export interface ExtractedPart {
  partId: string;
  filename: string;
  contentType: string;
  size: number;
  sha256: string;
  /** the file holding the decoded bytes (for an attached message: the embedded EML) */
  path: string;
  /** an attached message that reads as e-mail: its page is an EML with a sidecar */
  isMessage: boolean;
}

export interface ExtractPartsArgs {
  /** the EML to take parts out of; it is only read */
  source: string;
  /**
   * what `summarizeMessage` lists for `source` (its sidecar, bound to the
   * bytes by size and hash); without it the message is read once more to
   * list its parts before they are cut
   */
  listing?: Pick<MessageSummary, 'attachments' | 'protection'>;
  /** part ids to take out; undefined = every attachment that is not inline */
  partIds?: readonly string[];
  /** where the EML without those parts is written (not written when the message is kept whole) */
  rewrittenPath: string;
  /** where the i-th chosen part (0-based, in message order) is written */
  partPath: (index: number) => string;
  /** the owner key of the user it is done for: each pass waits in their line of the mail worker pool */
  owner?: string;
}

export interface ExtractPartsResult {
  parts: ExtractedPart[];
  /** the rewritten EML; undefined when the message is signed or encrypted and was kept whole (the parts are copies) */
  rewritten?: FileDigest;
}

/**
 * Writes `rewrittenPath`, the source EML without the chosen parts and every
 * other byte unchanged, and one file per chosen part at `partPath(i)` with its
 * decoded bytes. Outputs are created with 'wx' and flushed, never renamed: the
 * caller renames them under its lock. On any failure every output written is
 * removed before the error is rethrown.
 *
 * One streamed pass in a mail worker, `cutParts`, over the parts the
 * `listing` names (part ids, names, which are inline: the sidecar, made by
 * the same mailsplit options, so the same part ids); without a listing,
 * `summarizeMessage` first lists them in a pass of its own. The choice in
 * between happens here, where `partPath` lives.
 *
 * A signed or encrypted message (the listing says `protection`) is evidence:
 * no byte of it changes. Its chosen parts are copied into their files and
 * `rewrittenPath` is not written (ADR 0011).
 *
 * Throws AppError ATTACHMENT_NOT_FOUND for a part id the message does not
 * list, NOTHING_TO_EXTRACT when nothing is chosen, MESSAGE_UNPARSEABLE when
 * the source is not a message, its structure cannot be cut safely, or the
 * worker gave up on it; PARSE_QUEUE_USER_FULL (429) or PARSE_QUEUE_FULL (503)
 * when a pass finds the owner's or the whole parse line full.
 */
export async function extractParts(args: ExtractPartsArgs): Promise<ExtractPartsResult> {
  const summary = args.listing ?? (await summarizeMessage(args.source, args.owner));
  const chosen = chooseParts(summary.attachments, args.partIds);
  const partPaths = chosen.map((_, index) => args.partPath(index));
  // a file that is there already is not ours to remove: the pass fails on it ('wx') and it stays
  const fresh = (await Promise.all([args.rewrittenPath, ...partPaths].map(async (file) => ((await pathExists(file)) ? [] : [file])))).flat();

  try {
    const partIds = chosen.map((part) => part.partId);
    const keepWhole = summary.protection !== undefined;
    const cut = await mailWorkers().run(
      { kind: 'cut', args: { source: args.source, partIds, partPaths, ...(keepWhole ? {} : { rewrittenPath: args.rewrittenPath }) } },
      args.owner ?? NO_OWNER,
    );
    const parts = chosen.map((part, index) => {
      const digest = cut.parts[index] as FileDigest; // one digest per chosen part
      const { partId, filename, isMessage } = part;
      const contentType = pageContentType(part);
      return { partId, filename, contentType, isMessage, size: digest.size, sha256: digest.sha256, path: partPaths[index] as string };
    });
    return cut.rewritten === undefined ? { parts } : { parts, rewritten: cut.rewritten };
  } catch (error) {
    // the worker removes its outputs when the pass fails, but not when it is killed mid-pass
    await Promise.all(fresh.map((file) => rm(file, { force: true })));
    throw error;
  }
}

/**
 * The content type of the page a part becomes: the declared one (SPEC §3.5),
 * except for an attached "message" that does not read as e-mail: it becomes a
 * plain page, typed after its filename where that names something other
 * than a message, else `application/octet-stream`.
 */
export function pageContentType(part: Pick<ListedAttachment, 'contentType' | 'filename' | 'isMessage'>): string {
  if (part.isMessage || !isMessageType(part.contentType)) return part.contentType;
  const fromName = lookup(part.filename);
  return fromName === false || isMessageType(fromName) ? UNKNOWN_MEDIA_TYPE : fromName;
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
