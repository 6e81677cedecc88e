import { extension } from 'mime-types';

/** Longest filename we hand on, in characters; room for the longest names file systems allow. */
export const MAX_FILENAME_LENGTH = 200;

/** An extension this long or longer is kept out of truncation (it is probably not one). */
const MAX_EXTENSION_LENGTH = 16;

// C0 and C1 control characters, DEL, and the Unicode line and paragraph separators.
// biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is the point
const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g;
const PATH_SEPARATORS = /[/\\]/g;
// Unicode's explicit bidirectional formatting characters (UAX #9 §2): embeddings and overrides
// U+202A–202E, isolates U+2066–2069, and the implicit marks U+200E LRM, U+200F RLM, U+061C ALM.
// An override displays "invoice\u202Efdp.exe" as "invoiceexe.pdf"; a mark next to right-to-left
// letters can still move the dot before an extension. All are invisible and carry no character
// of the name, so removing them changes what a name shows, never what it says.
const BIDI_CONTROLS = /[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

/**
 * A filename as metadata, safe to show and to offer as a download name: no
 * control characters, no bidirectional formatting characters (no extension
 * spoofing), no path separators (a name is never a path), no surrounding
 * blanks, at most MAX_FILENAME_LENGTH characters with the extension kept.
 * Undefined when nothing usable is left.
 */
export function safeFilename(name: string | undefined): string | undefined {
  if (name === undefined) return undefined;
  const cleaned = name.normalize('NFC').replace(CONTROL_CHARACTERS, '').replace(BIDI_CONTROLS, '').replace(PATH_SEPARATORS, '_').replace(/\s+/g, ' ').trim();
  if (cleaned === '' || /^\.+$/.test(cleaned)) return undefined;
  return truncateKeepingExtension(cleaned);
}

function truncateKeepingExtension(name: string): string {
  const chars = Array.from(name); // by code point, never splitting a surrogate pair
  if (chars.length <= MAX_FILENAME_LENGTH) return name;
  const dot = name.lastIndexOf('.');
  const ext = dot > 0 ? Array.from(name.slice(dot)) : [];
  const keep = ext.length > 0 && ext.length <= MAX_EXTENSION_LENGTH ? ext : [];
  return (
    chars
      .slice(0, MAX_FILENAME_LENGTH - keep.length)
      .join('')
      .trimEnd() + keep.join('')
  );
}

/**
 * The name an attachment without one is given: an attached message is called
 * after its own subject (as mail clients save it), anything else
 * `attachment-<partId>` with the usual extension of its content type.
 */
export function fallbackFilename(args: { partId: string; contentType: string; isMessage: boolean; subject?: string }): string {
  if (args.isMessage) {
    const fromSubject = safeFilename(args.subject === undefined ? undefined : `${args.subject}.eml`);
    return fromSubject ?? `message-${args.partId}.eml`;
  }
  const ext = extension(args.contentType);
  return ext === false ? `attachment-${args.partId}` : `attachment-${args.partId}.${ext}`;
}
