/**
 * Reads a `Retry-After` header (RFC 9110 §10.2.3): `delay-seconds` (a
 * non-negative integer) or an `HTTP-date`. Answers the pause it asks for in
 * milliseconds from `now` (0 for a date already past), or `undefined` when the
 * header is absent or unreadable. Not capped: each caller caps it to what it
 * can wait (the server's archive client, the task pane).
 */
export function retryAfterMs(header: string | null | undefined, now: number = Date.now()): number | undefined {
  if (header === null || header === undefined) return undefined;
  const value = header.trim();
  // an HTTP date always names a month; a bare "-5" would otherwise parse as a year
  const ms = /^\d+$/.test(value) ? Number(value) * 1000 : /[a-z]/i.test(value) ? Date.parse(asGmt(value)) - now : Number.NaN;
  return Number.isFinite(ms) ? Math.max(0, ms) : undefined;
}

/** The obsolete asctime form (`Sun Nov  6 08:49:37 1994`) is GMT but names no zone, which `Date.parse` would read as local time. */
function asGmt(date: string): string {
  return /^[a-z]{3} [a-z]{3} [ \d]\d \d\d:\d\d:\d\d \d{4}$/i.test(date) ? `${date} GMT` : date;
}
