/**
 * How a message's people and subject become keys for filing suggestions:
 * addresses lower-cased (RFC 5321 §2.4 lets the local part be case-sensitive,
 * but no mail system in use treats it so), subjects cut into words.
 */

/** The address of `Name <address>` or of a bare address, lower case; `undefined` when there is none. */
export function addressOf(mailbox: string): string | undefined {
  const angle = /<([^<>]*)>\s*$/.exec(mailbox);
  const address = (angle ? angle[1] : mailbox)?.trim().toLowerCase() ?? '';
  return /^[^\s@]+@[^\s@]+$/.test(address) ? address : undefined;
}

/** The part after the `@`. */
export function mailDomainOf(address: string): string | undefined {
  const at = address.lastIndexOf('@');
  return at < 0 ? undefined : address.slice(at + 1);
}

/**
 * Mail domains anyone can have an address at: a sender there says nothing of
 * the organisation they write for.
 */
export const PUBLIC_MAIL_DOMAINS: ReadonlySet<string> = new Set([
  'gmail.com',
  'googlemail.com',
  'outlook.com',
  'hotmail.com',
  'live.com',
  'msn.com',
  'yahoo.com',
  'icloud.com',
  'me.com',
  'aol.com',
  'gmx.de',
  'gmx.net',
  'web.de',
  'proton.me',
  'protonmail.com',
  'seznam.cz',
  'email.cz',
  'centrum.cz',
]);

/** Reply and forward markers of several languages (RFC 5322 §3.6.5 names "Re: "; clients add the rest). */
const MARKERS = new Set(['re', 'fw', 'fwd', 'aw', 'wg', 'sv', 'vs', 'tr', 'rv', 'odp', 'fwd']);
/** Words too common in business mail to tell one matter from another. */
const STOP_WORDS = new Set(
  (
    'the and for with from your our you are this that was were will have has had not but all any can about into over more ' +
    'please thanks thank regards dear hello kind best re fw fwd meeting call update question request information info ' +
    'attached attachment document documents file files draft final new note notes follow following today tomorrow week ' +
    'monday tuesday wednesday thursday friday urgent important reminder'
  ).split(' '),
);
/** At most this many words of a subject count: the first ones name the matter, long subjects add noise. */
const MAX_WORDS = 12;

/** The words of a subject that may say which matter it is about: lower case, markers and common words left out, each once. */
export function subjectWords(subject: string): string[] {
  const words: string[] = [];
  for (const word of subject.toLowerCase().match(/[\p{L}\p{N}][\p{L}\p{N}\-/.]*[\p{L}\p{N}]|[\p{L}\p{N}]/gu) ?? []) {
    if (MARKERS.has(word) || STOP_WORDS.has(word)) continue;
    if (word.length < 3 && !/\d/.test(word)) continue;
    if (!words.includes(word)) words.push(word);
    if (words.length === MAX_WORDS) break;
  }
  return words;
}
