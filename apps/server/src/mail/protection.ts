import { type Protection, SIGNATURE_TYPES } from '@toa/api/imports';
import type { MimeNode } from '@zone-eu/mailsplit';
import { partIdOf } from './part-numbering.js';

const SMIME_OPAQUE: ReadonlySet<string> = new Set(['application/pkcs7-mime', 'application/x-pkcs7-mime']);

/**
 * The signed or encrypted entity a MIME node is, if it is one:
 * `multipart/signed` and `multipart/encrypted` (RFC 1847) by their `protocol`
 * (S/MIME, RFC 8551 §3.5; PGP/MIME, RFC 3156), and opaque S/MIME
 * `application/pkcs7-mime` by its `smime-type` (`signed-data` is signed,
 * anything else, enveloped data above all, is encrypted).
 */
export function protectionOf(node: MimeNode): Protection | undefined {
  const type = node.contentType || '';
  const header = node.headers ? node.headers.getFirst('content-type') : '';
  const partId = partIdOf(node);
  const at = partId === undefined ? {} : { partId };
  if (type === 'multipart/signed') {
    const protocol = parameter(header, 'protocol');
    const kind = !SIGNATURE_TYPES.includes(protocol) ? 'signed' : protocol === 'application/pgp-signature' ? 'pgp-signed' : 'smime-signed';
    return { kind, ...at };
  }
  if (type === 'multipart/encrypted') {
    return { kind: parameter(header, 'protocol') === 'application/pgp-encrypted' ? 'pgp-encrypted' : 'encrypted', ...at };
  }
  if (SMIME_OPAQUE.has(type)) return { kind: parameter(header, 'smime-type') === 'signed-data' ? 'smime-signed' : 'smime-encrypted', ...at };
  return undefined;
}

/**
 * Whether a leaf part is the protection of its parent rather than content:
 * the signature (every part after the first) of `multipart/signed`, or a part
 * of `multipart/encrypted` (the control part and the ciphertext). These are
 * evidence about the message, kept in it and never listed as attachments.
 */
export function isProtectionPart(node: MimeNode): boolean {
  const parent = node.parentNode;
  if (!parent) return false;
  if (parent.multipart === 'encrypted') return true;
  return parent.multipart === 'signed' && !(partIdOf(node) ?? '').match(/(?:^|\.)1$/);
}

/** A Content-Type parameter's value, lowercase ('' when absent). */
function parameter(header: string, name: string): string {
  const match = new RegExp(`;\\s*${name}\\s*=\\s*(?:"([^"]*)"|([^;\\s]*))`, 'i').exec(header);
  return (match?.[1] ?? match?.[2] ?? '').trim().toLowerCase();
}
