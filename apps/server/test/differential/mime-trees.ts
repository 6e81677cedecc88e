/**
 * Seeded random MIME messages for the differential test: random nesting
 * (mixed, alternative, related, signed), transfer encodings (base64,
 * quoted-printable, 7bit, 8bit), charsets, filenames plain and encoded
 * (RFC 2047, RFC 2231), transport padding on delimiter lines (RFC 2046
 * §5.1.1), close delimiters left out at the end of the message, preambles and
 * epilogues, LF or CRLF line ends. Each message comes with what it holds: the
 * part id and decoded bytes of every leaf, so a disagreement between two
 * parsers can be checked against what was written.
 */
import { seededRandom } from '../crash/payloads.js';

type Encoding = 'base64' | 'quoted-printable' | '7bit' | '8bit';

/** A leaf as written: its part id (undefined for the body of a single-part message) and its decoded bytes. */
export interface WrittenLeaf {
  partId: string | undefined;
  contentType: string;
  encoding: Encoding;
  disposition: 'attachment' | 'inline' | undefined;
  /** the decoded bytes, line ends as the message writes them */
  content: Buffer;
}

export interface GeneratedMessage {
  bytes: Buffer;
  eol: '\r\n' | '\n';
  leaves: WrittenLeaf[];
  /** the message ends without the close delimiters of the multiparts still open there */
  truncated: boolean;
}

interface Leaf {
  kind: 'leaf';
  contentType: string;
  params: string;
  encoding: Encoding;
  disposition: 'attachment' | 'inline' | undefined;
  filenameHeader: string;
  contentId: string | undefined;
  content: Buffer;
}

interface Multipart {
  kind: 'multipart';
  subtype: 'mixed' | 'alternative' | 'related' | 'signed';
  boundary: string;
  children: Node[];
}

type Node = Leaf | Multipart;

const WORDS = ['invoice', 'report', 'meeting', 'Faktura', 'Übersicht', 'září', 'naïve', 'total', 'EUR', '42', 'Straße', 'ok'];
const CHARSETS = ['utf-8', 'iso-8859-1', 'windows-1250', 'us-ascii'];

class Writer {
  private counter = 0;

  constructor(
    readonly random: () => number,
    readonly eol: '\r\n' | '\n',
  ) {}

  int(min: number, max: number): number {
    return min + Math.floor(this.random() * (max - min + 1));
  }

  chance(p: number): boolean {
    return this.random() < p;
  }

  pick<T>(items: readonly T[]): T {
    return items[this.int(0, items.length - 1)] as T;
  }

  unique(): number {
    this.counter += 1;
    return this.counter;
  }

  /** Text lines joined by the message's line end, without one at the end: the part's decoded bytes as RFC 2046 counts them. */
  textLines(eightBit: boolean): Buffer {
    const lines: string[] = [];
    for (let i = this.int(0, 6); i > 0; i -= 1) {
      const words = Array.from({ length: this.int(0, 12) }, () => this.pick(WORDS));
      let line = words.join(this.chance(0.1) ? '  ' : ' ');
      if (!eightBit) line = line.replace(/[^\x20-\x7e]/g, '?');
      // a leading "--" is fine as long as no boundary follows it
      if (this.chance(0.05)) line = `-- ${line}`;
      lines.push(line);
    }
    lines.push(`marker ${this.unique()}`);
    return Buffer.from(lines.join(this.eol), eightBit ? 'utf8' : 'latin1');
  }

  binary(): Buffer {
    const bytes = Buffer.alloc(this.int(0, 600));
    for (let i = 0; i < bytes.length; i += 1) bytes[i] = this.int(0, 255);
    return Buffer.concat([bytes, Buffer.from(`#${this.unique()}`)]);
  }

  /** Whitespace a transport may add after the boundary (RFC 2046 §5.1.1), sometimes. */
  padding(): string {
    if (!this.chance(0.25)) return '';
    return Array.from({ length: this.int(1, 4) }, () => this.pick([' ', '\t'])).join('');
  }

  boundary(): string {
    return `=_b${this.unique()}_${Math.floor(this.random() * 1e9).toString(36)}`;
  }
}

function base64Body(content: Buffer, eol: string): string {
  const text = content.toString('base64');
  const lines: string[] = [];
  for (let i = 0; i < text.length; i += 76) lines.push(text.slice(i, i + 76));
  return lines.join(eol);
}

/** Quoted-printable (RFC 2045 §6.7): the content's line ends become hard line breaks, everything else is encoded as needed. */
function quotedPrintableBody(content: Buffer, eol: string): string {
  const out: string[] = [];
  for (const line of content.toString('latin1').split(eol)) {
    let encoded = '';
    for (let i = 0; i < line.length; i += 1) {
      const code = line.charCodeAt(i);
      const last = i === line.length - 1;
      const plain = (code >= 33 && code <= 126 && code !== 61) || ((code === 32 || code === 9) && !last);
      encoded += plain ? line[i] : `=${code.toString(16).toUpperCase().padStart(2, '0')}`;
    }
    const soft: string[] = [];
    while (encoded.length > 75) {
      let cut = 75;
      // never split an =XX escape
      const lastEscape = encoded.lastIndexOf('=', cut);
      if (lastEscape > cut - 3) cut = lastEscape;
      soft.push(`${encoded.slice(0, cut)}=`);
      encoded = encoded.slice(cut);
    }
    soft.push(encoded);
    out.push(soft.join(eol));
  }
  return out.join(eol);
}

function filenameHeader(w: Writer, extension: string): { header: string; has: boolean } {
  const n = w.unique();
  switch (w.int(0, 4)) {
    case 0:
      return { header: '', has: false };
    case 1:
      return { header: `; filename="file-${n}.${extension}"`, has: true };
    case 2:
      return { header: `; filename="=?UTF-8?B?${Buffer.from(`Přehled ${n}.${extension}`).toString('base64')}?="`, has: true };
    case 3:
      return { header: `; filename*=utf-8''${encodeURIComponent(`Übersicht ${n}.${extension}`)}`, has: true };
    default:
      return { header: `; filename="scan ${n}.${extension}"`, has: true };
  }
}

function leaf(w: Writer, contentType: string, options: { encoding?: Encoding; disposition?: Leaf['disposition']; contentId?: boolean } = {}): Leaf {
  const text = contentType.startsWith('text/');
  // binary content is sent base64; quoted-printable and 7bit/8bit carry text
  const encoding: Encoding = options.encoding ?? (text ? w.pick(['quoted-printable', '7bit', '8bit', 'base64'] as const) : 'base64');
  const content = text || encoding === '7bit' || encoding === '8bit' ? w.textLines(encoding !== '7bit') : w.binary();
  const extension = contentType.split('/')[1]?.replace(/[^a-z]/g, '') || 'bin';
  const disposition = 'disposition' in options ? options.disposition : w.pick([undefined, 'attachment', 'attachment', 'inline'] as const);
  const name = disposition === undefined && w.chance(0.5) ? { header: '', has: false } : filenameHeader(w, extension);
  const charset = text ? `; charset=${w.pick(CHARSETS)}` : '';
  const method = contentType === 'text/calendar' ? '; method=REQUEST' : '';
  return {
    kind: 'leaf',
    contentType,
    params: `${charset}${method}`,
    encoding,
    disposition,
    filenameHeader: name.header,
    contentId: options.contentId ? `<part${w.unique()}@example.com>` : undefined,
    content,
  };
}

/** An attached message, written 7bit or base64: its decoded bytes are a small message of its own. */
function attachedMessage(w: Writer): Leaf {
  const inner = Buffer.from(
    [
      `From: inner@example.com`,
      `Subject: attached ${w.unique()}`,
      'MIME-Version: 1.0',
      'Content-Type: text/plain; charset=us-ascii',
      '',
      w.textLines(false).toString('latin1'),
    ].join(w.eol),
    'latin1',
  );
  const encoding: Encoding = w.pick(['7bit', 'base64'] as const);
  return { ...leaf(w, 'message/rfc822', { encoding, disposition: w.pick([undefined, 'attachment', 'inline'] as const) }), content: inner };
}

function attachment(w: Writer): Leaf {
  const type = w.pick(['application/pdf', 'application/octet-stream', 'image/png', 'text/csv', 'text/plain', 'application/json', 'message/rfc822']);
  if (type === 'message/rfc822') return attachedMessage(w);
  return leaf(w, type);
}

function body(w: Writer, depth: number): Node {
  if (depth >= 3 || w.chance(0.3)) return leaf(w, w.pick(['text/plain', 'text/html']), { disposition: undefined });
  const children: Node[] = [leaf(w, 'text/plain', { disposition: undefined }), leaf(w, 'text/html', { disposition: undefined })];
  if (w.chance(0.2)) children.push(leaf(w, 'text/calendar', { disposition: undefined }));
  return { kind: 'multipart', subtype: 'alternative', boundary: w.boundary(), children };
}

function node(w: Writer, depth: number): Node {
  const roll = w.random();
  if (depth >= 3 || roll < 0.45) return attachment(w);
  if (roll < 0.6) return body(w, depth + 1);
  if (roll < 0.75) {
    const images = Array.from({ length: w.int(1, 2) }, () => leaf(w, 'image/png', { contentId: true, disposition: w.pick([undefined, 'inline'] as const) }));
    return { kind: 'multipart', subtype: 'related', boundary: w.boundary(), children: [body(w, depth + 1), ...images] };
  }
  if (roll < 0.85) return signed(w, depth);
  return { kind: 'multipart', subtype: 'mixed', boundary: w.boundary(), children: Array.from({ length: w.int(1, 4) }, () => node(w, depth + 1)) };
}

/** A multipart/signed wrapper (RFC 1847): the signed content and a detached signature. */
function signed(w: Writer, depth: number): Multipart {
  const content = w.chance(0.5) ? body(w, depth + 1) : node(w, depth + 1);
  const signature = { ...leaf(w, 'application/pkcs7-signature', { encoding: 'base64', disposition: 'attachment' }), filenameHeader: '; filename="smime.p7s"' };
  return { kind: 'multipart', subtype: 'signed', boundary: w.boundary(), children: [content, signature] };
}

function root(w: Writer): Node {
  const roll = w.random();
  if (roll < 0.1) return attachment(w);
  if (roll < 0.2) return signed(w, 0);
  return { kind: 'multipart', subtype: 'mixed', boundary: w.boundary(), children: [body(w, 1), ...Array.from({ length: w.int(0, 4) }, () => node(w, 1))] };
}

function leafHeaders(part: Leaf): string[] {
  const headers = [`Content-Type: ${part.contentType}${part.params}${part.disposition === undefined ? part.filenameHeader.replace('filename', 'name') : ''}`];
  headers.push(`Content-Transfer-Encoding: ${part.encoding}`);
  if (part.disposition !== undefined) headers.push(`Content-Disposition: ${part.disposition}${part.filenameHeader}`);
  if (part.contentId !== undefined) headers.push(`Content-ID: ${part.contentId}`);
  return headers;
}

function multipartType(part: Multipart): string {
  const protocol = part.subtype === 'signed' ? '; protocol="application/pkcs7-signature"; micalg=sha-256' : '';
  return `Content-Type: multipart/${part.subtype}; boundary="${part.boundary}"${protocol}`;
}

function encodedBody(part: Leaf, eol: string): string {
  if (part.encoding === 'base64') return base64Body(part.content, eol);
  if (part.encoding === 'quoted-printable') return quotedPrintableBody(part.content, eol);
  return part.content.toString('latin1');
}

interface Shape {
  leaves: WrittenLeaf[];
  /** leave out the close delimiters at the end of the message */
  truncated: boolean;
}

/**
 * Writes `part` (headers, blank line, body) and records its leaves. `atEnd`:
 * nothing of the message follows this part, so in a truncated message its
 * close delimiter is left out. A nested multipart that is not at the end may
 * forget its close delimiter too (software that does so exists).
 */
function write(w: Writer, part: Node, partId: string | undefined, headers: string[], atEnd: boolean, shape: Shape): string {
  const { eol } = w;
  const { leaves } = shape;
  if (part.kind === 'leaf') {
    leaves.push({ partId, contentType: part.contentType, encoding: part.encoding, disposition: part.disposition, content: part.content });
    return [...headers, ...leafHeaders(part), '', encodedBody(part, eol)].join(eol);
  }
  const lines = [...headers, multipartType(part), ''];
  if (w.chance(0.2)) lines.push(`This is a multi-part message in MIME format. ${w.unique()}`);
  const children = part.children.map((child, index) => {
    const childId = partId === undefined ? String(index + 1) : `${partId}.${index + 1}`;
    const last = index === part.children.length - 1;
    return `--${part.boundary}${w.padding()}${eol}${write(w, child, childId, [], atEnd && last, shape)}`;
  });
  let text = `${lines.join(eol)}${eol}${children.join(eol)}`;
  if (atEnd && shape.truncated) return text;
  if (!atEnd && w.chance(0.04)) return text; // a delimiter of the enclosing multipart follows
  text += `${eol}--${part.boundary}--${w.padding()}`;
  if (w.chance(0.2)) text += `${eol}epilogue ${w.unique()}`;
  return text;
}

/** The `index`-th message of the series `seed`. */
export function generateMessage(seed: number, index: number): GeneratedMessage {
  const random = seededRandom((Math.imul(seed, 0x9e3779b1) + index) >>> 0);
  const w = new Writer(random, random() < 0.5 ? '\r\n' : '\n');
  const shape: Shape = { leaves: [], truncated: w.chance(0.1) };
  const headers = [
    `From: Sender ${index} <sender@example.com>`,
    'To: Alice <alice@acme.example>',
    `Subject: generated ${seed}/${index}`,
    'Date: Tue, 04 Nov 2025 10:15:00 +0100',
    `Message-ID: <${seed}.${index}@example.com>`,
    'MIME-Version: 1.0',
  ];
  const top = root(w);
  const text = write(w, top, undefined, headers, true, shape);
  const last = shape.leaves.at(-1);
  if (shape.truncated && top.kind === 'multipart' && last !== undefined && last.encoding !== 'base64') {
    // no delimiter claims the line end the message closes with: it is content of its last part
    last.content = Buffer.concat([last.content, Buffer.from(w.eol)]);
  }
  return { bytes: Buffer.from(`${text}${w.eol}`, 'latin1'), eol: w.eol, ...shape };
}
