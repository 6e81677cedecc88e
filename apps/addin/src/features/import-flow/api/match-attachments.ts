import { type AttachmentInfo, type Document, isMessageType } from '@toa/api/imports';
import type { MessageAttachment } from '../../../lib/office/mailbox';

/**
 * Outlook and the server describe the same attachments differently: Outlook has
 * its own ids and a size that is close to (not equal to) the decoded MIME size,
 * the server has MIME part ids that shift when a part is extracted. So an
 * attachment is first paired with its sidecar entry by name, kind and nearest
 * size, and from then on found again by the server's own description of it.
 */
export interface PartIdentity {
  filename?: string | undefined;
  contentType: string;
  size: number;
  isMessage: boolean;
  /** among parts with the same description, in part order */
  ordinal: number;
}

type Description = Pick<PartIdentity, 'filename' | 'contentType' | 'size' | 'isMessage'>;

function sameDescription(a: Description, b: Description): boolean {
  return a.filename === b.filename && a.contentType === b.contentType && a.size === b.size && a.isMessage === b.isMessage;
}

export function identityOf(parts: readonly AttachmentInfo[], part: AttachmentInfo): PartIdentity {
  const description = { filename: part.filename, contentType: part.contentType, size: part.size, isMessage: part.isMessage };
  const ordinal = parts.slice(0, parts.indexOf(part)).filter((p) => sameDescription(description, p)).length;
  return { ...description, ordinal };
}

/** The part that still has this identity, after `removedBefore` identical twins ahead of it were extracted. */
export function findPart(parts: readonly AttachmentInfo[], identity: PartIdentity, removedBefore: number): AttachmentInfo | undefined {
  return parts.filter((p) => sameDescription(identity, p))[identity.ordinal - removedBefore];
}

const normalise = (name: string | undefined) => (name ?? '').trim().toLowerCase();

/**
 * Pairs every Outlook attachment (in Outlook's order) with a distinct sidecar entry.
 * Attachments are paired in order so identical twins are claimed one by one.
 */
export function pairAttachments(attachments: readonly MessageAttachment[], parts: readonly AttachmentInfo[]): Map<string, AttachmentInfo> {
  const free = new Set(parts);
  const pairs = new Map<string, AttachmentInfo>();
  const closest = (candidates: AttachmentInfo[], size: number) =>
    candidates.sort((a, b) => Math.abs(a.size - size) - Math.abs(b.size - size) || parts.indexOf(a) - parts.indexOf(b))[0];
  for (const attachment of attachments) {
    const unclaimed = [...free].filter((p) => p.isMessage === attachment.isItem);
    const name = normalise(attachment.name);
    const byName = unclaimed.filter((p) => {
      const filename = normalise(p.filename);
      // An attached Outlook item is named after its subject; MIME often adds ".eml".
      return filename === name || (attachment.isItem && filename === `${name}.eml`);
    });
    const byKind = unclaimed.filter((p) => p.inline === attachment.isInline && normalise(p.contentType) === normalise(attachment.contentType));
    const match = closest(byName.length > 0 ? byName : byKind, attachment.size);
    if (match) {
      pairs.set(attachment.id, match);
      free.delete(match);
    }
  }
  return pairs;
}

/** How many identical twins ahead of `identity` have been extracted already (each shifts its ordinal down). */
export function countTwinsAhead(identity: PartIdentity, extracted: readonly (PartIdentity | undefined)[]): number {
  return extracted.filter((other) => other !== undefined && sameDescription(other, identity) && other.ordinal < identity.ordinal).length;
}

/**
 * Pairs sibling documents with the attachments they were extracted from, by
 * their page's file name, type and size: for extractions whose answer never
 * reached the pane (a reload in between), so no document number was recorded.
 */
export function pairDocuments(attachments: readonly MessageAttachment[], documents: readonly Document[]): Map<string, number> {
  const parts = documents.flatMap((document) => {
    const page = document.pages[0];
    if (!page) return [];
    const isMessage = isMessageType(page.contentType);
    return [{ partId: String(document.n), filename: page.filename, contentType: page.contentType, size: page.size, inline: false, isMessage }];
  });
  return new Map([...pairAttachments(attachments, parts)].map(([id, part]) => [id, Number(part.partId)]));
}
