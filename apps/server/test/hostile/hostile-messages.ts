import { base64Body, binaryContent, nestedMixed, relatedImage, render } from '../fixtures/mail/messages.js';

/**
 * Generated hostile e-mail messages (SPEC §12 "bad input"), built by code so
 * that nothing pathological is committed. Sizes scale with
 * `TOA_HOSTILE_SCALE` (default 1): the defaults are the sizes the issue
 * names; a larger scale is for longer runs by hand.
 */

export interface HostileMessage {
  name: string;
  bytes: Buffer;
}

const SCALE = Number(process.env.TOA_HOSTILE_SCALE ?? '1') || 1;
const scaled = (value: number): number => Math.max(1, Math.round(value * SCALE));

const HEAD = ['From: "Mallory" <mallory@example.com>', 'To: bob@example.com', 'Subject: hostile', 'Date: Sat, 21 Nov 2026 09:42:00 +0100', 'MIME-Version: 1.0'];
const CRLF = '\r\n';

function message(lines: readonly string[], body = ''): Buffer {
  return Buffer.from(`${[...HEAD, ...lines].join(CRLF)}${CRLF}${CRLF}${body}`, 'latin1');
}

/** `depth` multiparts each holding the next one, the innermost holding an attachment. */
function deepNesting(depth: number): Buffer {
  const open: string[] = [];
  const close: string[] = [];
  for (let level = 1; level <= depth; level += 1) {
    open.push(`--b${level - 1}${CRLF}Content-Type: multipart/mixed; boundary="b${level}"${CRLF}${CRLF}`);
    close.unshift(`${CRLF}--b${level}--${CRLF}`);
  }
  const leaf = `--b${depth}${CRLF}Content-Type: application/pdf${CRLF}Content-Disposition: attachment; filename=deep.pdf${CRLF}Content-Transfer-Encoding: base64${CRLF}${CRLF}JVBERi0=`;
  return message(['Content-Type: multipart/mixed; boundary="b0"'], `${open.join('')}${leaf}${close.join('')}${CRLF}--b0--${CRLF}`);
}

/** One multipart with `count` tiny attachments. */
function manyParts(count: number): Buffer {
  const parts = Array.from(
    { length: count },
    (_, i) => `--p${CRLF}Content-Type: text/plain${CRLF}Content-Disposition: attachment; filename=p${i}.txt${CRLF}${CRLF}${i}${CRLF}`,
  );
  return message(['Content-Type: multipart/mixed; boundary="p"'], `${parts.join('')}--p--${CRLF}`);
}

/** Every byte sequence of an encoding's error paths: stray characters, bad padding, cut escapes. */
function brokenEncodings(): Buffer {
  const parts = [
    ['application/pdf; name=bad64.pdf', 'base64', '%%%%not*base64!!\r\nJVBER===i0=\r\n====\r\nA'],
    ['text/plain; charset=utf-8', 'quoted-printable', 'caf=C3=A9 =ZZ =\r\n=4 =E2=82 soft break at end='],
    ['text/plain; charset="x-no-such-charset-\u00ff"', '8bit', 'caf\u00e9'],
    ['text/plain; charset=utf-8', '8bit', Buffer.from([0xff, 0xfe, 0xc3, 0x28, 0xe2, 0x82, 0xf0, 0x9f, 0x92]).toString('latin1')],
    ['text/plain; charset=utf-16', 'x-unknown-encoding', 'abc'],
    ['application/octet-stream; name="=?x-bogus?B?////?="', 'base64', 'AAAA'],
  ];
  const body = parts
    .map(
      ([type, encoding, content], i) =>
        `--e${CRLF}Content-Type: ${type}${CRLF}Content-Transfer-Encoding: ${encoding}${CRLF}Content-Disposition: attachment; filename="=?utf-8?B?${'\u00ff'}?= ${i}"${CRLF}${CRLF}${content}${CRLF}`,
    )
    .join('');
  return message(['Subject: =?x-unknown?Q?caf=E9?= =?utf-8?B?wyg=?= =?utf-8?Q?=FF=FE?=', 'Content-Type: multipart/mixed; boundary="e"'], `${body}--e--${CRLF}`);
}

/**
 * One header folded over `lines` continuation lines: the most expensive
 * thing found for mailparser per byte (1 MB of it needs 48-64 MB of heap),
 * while staying under mailsplit's 1 MiB header limit up to 262 000 lines.
 */
export function foldedHeader(lines: number): Buffer {
  return message([`X-Folded: a${`${CRLF} b`.repeat(lines)}`], 'body');
}

/** A deterministic pseudo-random sequence, so a failing offset can be reproduced. */
function* offsets(seed: number, count: number, max: number): Generator<number> {
  let state = seed;
  for (let i = 0; i < count; i += 1) {
    state = (state * 1_103_515_245 + 12_345) % 2 ** 31;
    yield state % max;
  }
}

/** A rich message cut short at seeded random offsets. */
function truncated(count: number): HostileMessage[] {
  const original = Buffer.from(render(nestedMixed, '\r\n') + render(relatedImage, '\r\n'));
  return [...offsets(20_261_121, count, original.length)].map((at) => ({ name: `truncated at byte ${at}`, bytes: original.subarray(0, at) }));
}

/** An attachment whose base64 body fills most of `maxBytes`: the largest decode a page can ask for. */
function largeBase64(maxBytes: number): Buffer {
  const decoded = binaryContent(Math.floor((maxBytes * 0.7) / 4) * 3);
  return message(
    ['Content-Type: multipart/mixed; boundary="z"'],
    `--z${CRLF}Content-Type: application/octet-stream${CRLF}Content-Disposition: attachment; filename=bomb.bin${CRLF}Content-Transfer-Encoding: base64${CRLF}${CRLF}${base64Body(decoded)}${CRLF}--z--${CRLF}`,
  );
}

/** The hostile messages, each small enough to stay under `maxBytes` (the page size limit of the test server). */
export function hostileMessages(maxBytes: number): HostileMessage[] {
  return [
    { name: `nesting ${scaled(5000)} multiparts deep`, bytes: deepNesting(scaled(5000)) },
    { name: `${scaled(20_000)} tiny parts`, bytes: manyParts(scaled(20_000)) },
    { name: `a ${scaled(5)} MB single header`, bytes: message([`X-Huge: ${'a'.repeat(scaled(5) * 1024 * 1024)}`], 'body') },
    {
      name: `${scaled(100_000)} header lines`,
      bytes: message(
        Array.from({ length: scaled(100_000) }, (_, i) => `X-H${i}: v`),
        'body',
      ),
    },
    { name: `a header folded over ${scaled(100_000)} lines`, bytes: foldedHeader(scaled(100_000)) },
    { name: 'broken encodings and charsets', bytes: brokenEncodings() },
    { name: 'a large base64 attachment', bytes: largeBase64(maxBytes) },
    ...truncated(scaled(20)),
  ].filter((entry) => entry.bytes.length <= maxBytes);
}
