import { Transform, type TransformCallback } from 'node:stream';

/** Content-Transfer-Encoding values that name uuencoding; none is registered, all are seen in mail (RFC 2045 §6.3 `x-` tokens). */
export const UUENCODE_ENCODINGS: ReadonlySet<string> = new Set(['x-uuencode', 'uuencode', 'x-uue']);

/** The longest line kept while looking for its end: uuencoded lines are 61 characters, a begin line a filename long. */
const MAX_LINE = 64 * 1024;

type State = 'begin' | 'uu' | 'base64' | 'done' | 'raw';

/**
 * Decodes a uuencoded body as the POSIX `uudecode` utility defines it
 * (IEEE Std 1003.1, "uuencode": extended description of the output format):
 *
 * - a `begin <mode> <name>` line, before which anything is skipped;
 * - data lines: the first character gives the line's byte count as
 *   `(c - 0x20) & 0x3f`, then each group of four characters gives three bytes,
 *   six bits each, `(c - 0x20) & 0x3f` (so both space and backtick are 0);
 * - a line of count 0, then `end`; nothing after `end` is data;
 * - `begin-base64 <mode> <name>`: the data lines are base64 up to a `====` line.
 *
 * Lenient where mailers are sloppy: a short line is zero-padded to its count,
 * trailing blanks and CR are ignored, a missing `end` ends the data at the end
 * of input. A body whose first non-blank line is no `begin` line is not
 * uuencoded after all and passes through unchanged.
 */
export class UudecodeStream extends Transform {
  private state: State = 'begin';
  private pending = Buffer.alloc(0);
  /** lines before `begin`, kept in case the body turns out not to be uuencoded */
  private skipped: Buffer[] = [];

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    if (this.state === 'raw') {
      this.push(chunk);
      callback();
      return;
    }
    if (this.state === 'done') {
      callback();
      return;
    }
    let data = this.pending.length > 0 ? Buffer.concat([this.pending, chunk]) : chunk;
    let start = 0;
    for (let end = data.indexOf(0x0a, start); end >= 0; end = data.indexOf(0x0a, start)) {
      this.line(data.subarray(start, end + 1));
      start = end + 1;
      // line() may have found that this is no uuencoded body
      if ((this.state as State) === 'raw') {
        this.push(data.subarray(start));
        this.pending = Buffer.alloc(0);
        callback();
        return;
      }
    }
    data = data.subarray(start);
    if (data.length > MAX_LINE) {
      // no line this long is uuencoded data; treat what came so far as one line
      this.line(data);
      data = Buffer.alloc(0);
    }
    this.pending = Buffer.from(data);
    callback();
  }

  override _flush(callback: TransformCallback): void {
    if (this.pending.length > 0 && this.state !== 'done' && this.state !== 'raw') this.line(this.pending);
    if (this.state === 'begin') for (const line of this.skipped) this.push(line);
    callback();
  }

  private line(raw: Buffer): void {
    const text = raw.toString('latin1').replace(/[\s]+$/, '');
    switch (this.state) {
      case 'begin': {
        if (/^begin-base64 [0-7]{3,4}( |$)/.test(text)) this.state = 'base64';
        else if (/^begin [0-7]{3,4}( |$)/.test(text)) this.state = 'uu';
        else if (text === '') this.skipped.push(raw);
        else {
          this.state = 'raw';
          for (const line of this.skipped) this.push(line);
          this.push(raw);
        }
        this.skipped = this.state === 'begin' ? this.skipped : [];
        return;
      }
      case 'uu':
        this.uuLine(text);
        return;
      case 'base64':
        if (text === '====') this.state = 'done';
        else this.push(Buffer.from(text, 'base64'));
        return;
      default:
        return;
    }
  }

  private uuLine(text: string): void {
    if (text === 'end') {
      this.state = 'done';
      return;
    }
    if (text === '') return; // a blank line between data lines: not data
    const count = sixBits(text.charCodeAt(0));
    if (count === 0) return; // the last data line; `end` follows
    const out = Buffer.alloc(Math.ceil(count / 3) * 3);
    for (let group = 0; group * 3 < count; group += 1) {
      const at = 1 + group * 4;
      const [a, b, c, d] = [0, 1, 2, 3].map((i) => sixBits(text.charCodeAt(at + i))) as [number, number, number, number];
      out[group * 3] = (a << 2) | (b >> 4);
      out[group * 3 + 1] = ((b & 0x0f) << 4) | (c >> 2);
      out[group * 3 + 2] = ((c & 0x03) << 6) | d;
    }
    this.push(out.subarray(0, count));
  }
}

/** One character's six bits; a character beyond the line's end (NaN) reads as 0, as a short line is zero-padded. */
function sixBits(code: number): number {
  return Number.isNaN(code) ? 0 : (code - 0x20) & 0x3f;
}
