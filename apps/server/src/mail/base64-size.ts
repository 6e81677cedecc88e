import { type Transform, Writable } from 'node:stream';

/** Anything but the base64 alphabet (RFC 2045 §6.8) and line breaks: padding, blanks, garbage. */
const IRREGULAR = /[^A-Za-z0-9+/\r\n]/;

const LF = 0x0a;
const CR = 0x0d;

/**
 * The decoded size of a base64 body without decoding it: every 4
 * characters of the alphabet are 3 bytes, line breaks are nothing. That is
 * exactly what the part's decoder (`partDecoder`, which the extraction
 * writes with) gives for a body of the alphabet and line breaks only, the
 * body of nearly every attachment. From the first chunk that holds anything
 * else — the padding at its end, blanks, garbage — the rest of the body is
 * handed to that decoder after all, with the characters of the incomplete
 * quartet before it, so the size stays the decoder's to the byte whatever
 * the body holds. `size` is final once the stream has finished.
 */
export class Base64Size extends Writable {
  /** decoded bytes: final after 'finish' */
  size = 0;
  private alphabet = 0;
  /** the last (up to 3) alphabet characters seen: the incomplete quartet a fallback decoder starts from */
  private tail = '';
  private decoder: Transform | undefined;

  /** `decoder` makes the part's own decoder, for the rest of a body that is not plain base64. */
  constructor(private readonly makeDecoder: () => Transform) {
    super();
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    if (this.decoder === undefined) {
      const text = chunk.toString('latin1');
      if (!IRREGULAR.test(text)) {
        this.alphabet += chunk.length - count(chunk, LF) - count(chunk, CR);
        this.tail = (this.tail + alphabetTail(text)).slice(-3);
        callback();
        return;
      }
      this.startDecoder();
    }
    const decoder = this.decoder as Transform;
    if (decoder.write(chunk)) callback();
    else decoder.once('drain', () => callback());
  }

  override _final(callback: (error?: Error | null) => void): void {
    const decoder = this.decoder;
    if (decoder === undefined) {
      // an incomplete last quartet of 2 or 3 characters still decodes to 1 or 2 bytes, as the decoder's does
      this.size = Math.floor((this.alphabet * 3) / 4);
      callback();
      return;
    }
    decoder.once('end', () => callback());
    decoder.once('error', callback);
    decoder.end();
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    this.decoder?.destroy();
    callback(error);
  }

  /** From here on the decoder counts: it starts from the complete quartets counted and the characters of the incomplete one. */
  private startDecoder(): void {
    const decoder = this.makeDecoder();
    const partial = this.alphabet % 4;
    this.size = Math.floor(this.alphabet / 4) * 3;
    decoder.on('data', (bytes: Buffer) => {
      this.size += bytes.length;
    });
    decoder.once('error', (error: Error) => this.destroy(error));
    if (partial > 0) decoder.write(Buffer.from(this.tail.slice(-partial), 'latin1'));
    this.decoder = decoder;
  }
}

/** How often `byte` occurs in `chunk` (native searches: a base64 line is 76 characters). */
function count(chunk: Buffer, byte: number): number {
  let found = 0;
  for (let at = chunk.indexOf(byte); at !== -1; at = chunk.indexOf(byte, at + 1)) found += 1;
  return found;
}

/** The last up to 3 alphabet characters of a chunk of alphabet and line breaks. */
function alphabetTail(text: string): string {
  let tail = '';
  for (let at = text.length - 1; at >= 0 && tail.length < 3; at -= 1) {
    const char = text[at] as string;
    if (char !== '\r' && char !== '\n') tail = char + tail;
  }
  return tail;
}
