/** The type of bytes nothing more is known about (RFC 2046 §4.5.1): what a type that cannot be used becomes. */
export const UNKNOWN_MEDIA_TYPE = 'application/octet-stream';

// RFC 6838 §4.2 restricted-name on both sides of the slash: ASCII only, at most 127 characters each
const MEDIA_TYPE = /^[a-z0-9][a-z0-9!#$&^_.+-]{0,126}\/[a-z0-9][a-z0-9!#$&^_.+-]{0,126}$/;

/**
 * The one cleaning of every media type that may reach an HTTP header: an
 * upload's declared type, an extracted attachment's `Content-Type`, a type
 * already stored in `import.json`, the type of an archive upload's part.
 * Returns `type/subtype` in lowercase without parameters when both names are
 * RFC 6838 restricted names, `application/octet-stream` otherwise (anything
 * that is not a string, `text/h€ml`, a CR or LF, an empty name). The result
 * is plain ASCII, so setting it as a header can never throw.
 */
export function cleanMediaType(raw: unknown): string {
  if (typeof raw !== 'string') return UNKNOWN_MEDIA_TYPE;
  const type = (raw.split(';')[0] ?? '').trim().toLowerCase();
  return MEDIA_TYPE.test(type) ? type : UNKNOWN_MEDIA_TYPE;
}
