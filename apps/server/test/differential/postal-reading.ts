import { createHash } from 'node:crypto';
import PostalMime, { type Attachment } from 'postal-mime';

/** One attachment as postal-mime reads it, with the part id mailsplit would give its MIME node. */
export interface PostalAttachment {
  /** undefined for the body of a single-part message */
  partId: string | undefined;
  contentType: string;
  /** the transfer encoding postal-mime decoded the part with, lowercased (`base64`, `7bit`, …) */
  encoding: string;
  /** the type of the multipart the part is in (`multipart/alternative`, …); undefined for the message's own body */
  parentType: string | undefined;
  content: Buffer;
  sha256: string;
}

export interface PostalReading {
  attachments: PostalAttachment[];
  text: string | undefined;
  html: string | undefined;
}

/** The part of postal-mime's MIME node this test reads; not in its published types. */
interface PostalNode {
  parentNode?: PostalNode;
  childNodes: PostalNode[];
  contentType: { parsed: { value: string } };
  contentTransferEncoding: { encoding: string };
}

interface PostalInternals {
  collectAttachment(node: PostalNode, ...rest: unknown[]): void;
  attachments: Attachment[];
}

/** `1.2`-style ids counted like mailsplit's: a child's 1-based position under each multipart, the message's own node has none. */
function partIdOf(node: PostalNode): string | undefined {
  const path: number[] = [];
  for (let current = node; current.parentNode !== undefined; current = current.parentNode) {
    path.unshift(current.parentNode.childNodes.indexOf(current) + 1);
  }
  return path.length === 0 ? undefined : path.join('.');
}

/**
 * Reads a message with postal-mime, as a second opinion on TOA's own parsing.
 * `forceRfc822Attachments` keeps every attached message one attachment, as TOA
 * does (its mailsplit passes leave `message/rfc822` a leaf). postal-mime does
 * not say which MIME node an attachment came from, so its `collectAttachment`
 * (one call per attachment, with the node) is wrapped to learn it; the wrap
 * fails loudly if a postal-mime release renames the method.
 */
export async function readWithPostalMime(bytes: Uint8Array): Promise<PostalReading> {
  const parser = new PostalMime({ forceRfc822Attachments: true, attachmentEncoding: 'arraybuffer' });
  const internals = parser as unknown as PostalInternals;
  const collect = internals.collectAttachment;
  if (typeof collect !== 'function') throw new Error('postal-mime no longer has collectAttachment: update test/differential/postal-reading.ts');
  const nodes = new Map<Attachment, PostalNode>();
  internals.collectAttachment = function (this: PostalInternals, node: PostalNode, ...rest: unknown[]): void {
    const before = this.attachments.length;
    collect.call(this, node, ...rest);
    for (const added of this.attachments.slice(before)) nodes.set(added, node);
  };

  const email = await parser.parse(bytes);
  const attachments = email.attachments.map((attachment): PostalAttachment => {
    const node = nodes.get(attachment);
    if (node === undefined) throw new Error('postal-mime listed an attachment without collectAttachment');
    const content = Buffer.from(attachment.content as ArrayBuffer);
    return {
      partId: partIdOf(node),
      contentType: attachment.mimeType,
      encoding: node.contentTransferEncoding.encoding,
      parentType: node.parentNode?.contentType.parsed.value,
      content,
      sha256: createHash('sha256').update(content).digest('hex'),
    };
  });
  return { attachments, text: email.text, html: email.html };
}
