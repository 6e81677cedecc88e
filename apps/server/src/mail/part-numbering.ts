import type { MimeNode, SplitterOptions } from '@zone-eu/mailsplit';

/**
 * Splitter options shared by every pass over a message, so that mailparser
 * (which hands them to its own Splitter) and our byte-level passes build the
 * same MIME tree and therefore the same part ids.
 *
 * `ignoreEmbedded` keeps an attached `message/rfc822` a leaf: mailsplit would
 * otherwise descend into one marked `inline` and mailparser would list the
 * embedded message's parts as attachments of the outer one, parts that cannot
 * be taken out without tearing the embedded message apart. As a leaf it is one
 * attachment whose decoded bytes are the embedded EML. Part numbers of the
 * outer parts do not change either way: siblings are numbered by their parent.
 */
export const SPLITTER_OPTIONS = { ignoreEmbedded: true } as const satisfies SplitterOptions;

/**
 * The part id mailparser gives the attachment a node holds (`2`, `1.2`), or
 * undefined for the message's own body, which mailparser leaves without one
 * (it is not a part of any multipart). Mirrors mail-parser.js `processChunk`.
 */
export function partIdOf(node: MimeNode): string | undefined {
  if (!node._parentBoundary || !node.partNr) return undefined;
  return node.partNr.filter((item) => typeof item === 'number').join('.') || undefined;
}
