import type { Mailbox } from '@toa/api/imports';
import { DateTime } from 'luxon';
import type { AddressObject, EmailAddress, HeaderLines } from 'mailparser';

/** Header fields of which at least one marks a header block as that of an e-mail message. */
const MESSAGE_FIELDS = new Set([
  'from',
  'sender',
  'reply-to',
  'to',
  'cc',
  'bcc',
  'subject',
  'date',
  'message-id',
  'in-reply-to',
  'references',
  'received',
  'return-path',
  'mime-version',
  'content-type',
]);

/** A header field line: a field name of printable ASCII without ':', then ':' (blanks before it are obsolete syntax, still seen). */
const FIELD_LINE = /^[\x21-\x39\x3b-\x7e]+[ \t]*:/;

/**
 * Why a parsed header block is not that of an e-mail message, or undefined
 * when it is. "Not an e-mail at all" means: no header block (an empty file, or
 * one starting with a blank line), a first line that is no header field
 * (binary data, a PDF, plain text), NUL bytes in the header block (binary
 * data), or header fields none of which a message carries (a text file that
 * merely starts with `Word: …`). Everything else is a message, however broken
 * its fields, encodings or MIME structure: those are for the parser to cope
 * with. An mbox `From ` line in front is tolerated (mailsplit strips it).
 */
export function notAMessageReason(lines: HeaderLines): string | undefined {
  const first = lines[0];
  if (first === undefined) return 'it has no header block';
  if (!FIELD_LINE.test(first.line)) return 'it does not start with a header field';
  if (lines.some((entry) => entry.line.includes('\u0000'))) return 'its header block holds binary data';
  if (!lines.some((entry) => MESSAGE_FIELDS.has(entry.key))) return 'none of its header fields is one an e-mail message has';
  return undefined;
}

/** The first mailbox of an address header (looking into groups), without empty members. */
export function firstMailbox(value: AddressObject | undefined): Mailbox | undefined {
  const mailboxes = (value?.value ?? []).flatMap((entry: EmailAddress) => entry.group ?? [entry]);
  for (const { name, address } of mailboxes) {
    const mailbox: Mailbox = {};
    if (name) mailbox.name = name;
    if (address) mailbox.address = address;
    if (mailbox.name !== undefined || mailbox.address !== undefined) return mailbox;
  }
  return undefined;
}

/**
 * The Date header as ISO 8601 keeping the sender's offset, or undefined when
 * it does not parse as an RFC 5322 date. mailparser's own `date` cannot tell:
 * it substitutes the current time for a date it cannot read.
 *
 * The day of the week is dropped before parsing: it is optional and redundant,
 * senders get it wrong, and luxon refuses a date whose weekday disagrees.
 * Luxon knows every obsolete zone name of RFC 5322 §4.3 except "UT".
 */
export function messageDate(lines: HeaderLines): string | undefined {
  const line = lines.find((entry) => entry.key === 'date')?.line;
  if (line === undefined) return undefined;
  const value = line
    .slice(line.indexOf(':') + 1)
    .replace(/\s+/g, ' ')
    .trim()
    .replace(/^[A-Za-z]+ ?, ?/, '')
    .replace(/ UT$/, ' GMT');
  const parsed = DateTime.fromRFC2822(value, { setZone: true });
  return parsed.isValid ? (parsed.toISO() ?? undefined) : undefined;
}
