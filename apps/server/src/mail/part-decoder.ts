import type { Transform } from 'node:stream';
import type { MimeNode } from '@zone-eu/mailsplit';
import { UUENCODE_ENCODINGS, UudecodeStream } from './uudecode.js';

/** Encodings whose bodies are the bytes themselves (RFC 2045 §6.2); mailsplit's decoder passes them through. */
const IDENTITY_ENCODINGS: ReadonlySet<string> = new Set(['', '7bit', '8bit', 'binary']);

/** mailsplit decodes these itself (RFC 2045 §6.7, §6.8). */
const MAILSPLIT_ENCODINGS: ReadonlySet<string> = new Set(['base64', 'quoted-printable']);

export interface PartDecoder {
  /** decoded bytes out for the body bytes in */
  decoder: Transform;
  /** the part's Content-Transfer-Encoding when it is none TOA knows: the body passes through as sent */
  unknownEncoding?: string;
}

/**
 * The decoder of one MIME part's body, the same in every pass (listing and
 * cutting), so sizes listed are the sizes extracted. mailsplit knows base64
 * and quoted-printable (the encoding value lowercased, comments and blanks
 * stripped); uuencoding is decoded here; anything else passes through and is
 * named, so the sidecar can say that the bytes are not decoded.
 */
export function partDecoder(node: MimeNode): PartDecoder {
  const encoding = node.encoding || '';
  if (UUENCODE_ENCODINGS.has(encoding)) return { decoder: new UudecodeStream() };
  const decoder = node.getDecoder() as Transform;
  if (IDENTITY_ENCODINGS.has(encoding) || MAILSPLIT_ENCODINGS.has(encoding)) return { decoder };
  return { decoder, unknownEncoding: encoding };
}
