import type { Transform as DecoderStream } from 'node:stream';
import { Transform, type TransformCallback } from 'node:stream';
import type { MessageChunk, MimeNode, SplitterChunk } from '@zone-eu/mailsplit';
import { AppError } from '../errors.js';
import { partDecoder } from './part-decoder.js';
import { partIdOf } from './part-numbering.js';

/** Receives the decoded content stream of a chosen part as soon as the part begins. */
export type PartSink = (index: number, decoded: DecoderStream) => void;

/**
 * Sits between mailsplit's Splitter and Joiner and drops the chosen parts
 * from the stream while decoding their bodies into `sink`.
 *
 * A part's bytes, as the splitter emits them, are: the `data` chunk of its
 * delimiter line (the splitter attaches to it the line break in front, which
 * RFC 2046 counts as part of the delimiter), the `node` (its header block) and
 * its `body` chunks. Dropping exactly those leaves the enclosing multipart
 * valid: its other delimiters, preamble and epilogue stay as they were, and
 * removing its last part leaves the close delimiter in place. The delimiter
 * chunk comes before the node it opens, so `data` chunks are held back by one
 * step until the next chunk tells whether they open a chosen part (the
 * splitter gives a delimiter chunk the node it opens).
 *
 * Where a part's body is empty, mailsplit hands the line break in front of
 * the next delimiter to the part (as its body, or at the end of its header
 * block) and the next delimiter chunk comes without it. A part whose own
 * delimiter chunk brought its line break then gives that trailing one back to
 * the next delimiter (and it goes with that delimiter if its part is dropped
 * too): the span dropped is always one delimiter line break, the part,
 * nothing else.
 *
 * Everything that passes through unchanged is counted, and the count must
 * equal the source size: the Joiner then wrote every other byte as it was
 * (mailsplit rebuilds an unchanged header block from its original bytes).
 *
 * With `keep`, nothing is dropped: the chosen parts are only decoded (copied
 * out of a message that must stay whole, see `protection`).
 */
export class PartCutter extends Transform {
  private held: MessageChunk | undefined;
  /** a line break owed to the held delimiter chunk (see the class comment) */
  private heldPrefix: Buffer | undefined;
  private current: { node: MimeNode; decoder: DecoderStream; openedWithBreak?: boolean; tail?: Buffer } | undefined;
  private readonly found = new Set<string>();
  private bytesSeen = 0;

  constructor(
    private readonly chosen: ReadonlyMap<string, number>,
    private readonly sourceSize: number,
    private readonly sink: PartSink,
    private readonly keep = false,
  ) {
    super({ objectMode: true });
  }

  override _transform(chunk: SplitterChunk, _encoding: BufferEncoding, callback: TransformCallback): void {
    if (chunk.type === 'node') this.bytesSeen += chunk._headerlen;
    else this.bytesSeen += chunk.value.length;

    if (chunk.type === 'body' && this.current?.node === chunk.node) {
      if (this.keep) this.push(chunk);
      else this.current.tail = lastTwo(this.current.tail, chunk.value);
      if (this.current.decoder.write(chunk.value)) callback();
      else this.current.decoder.once('drain', () => callback());
      return;
    }
    const owed = this.owedBreak(chunk);
    this.endCurrent();

    if (chunk.type === 'node') {
      const partId = partIdOf(chunk);
      const index = partId === undefined ? undefined : this.chosen.get(partId);
      if (partId !== undefined && index !== undefined) {
        const { decoder } = partDecoder(chunk);
        if (this.keep) {
          this.releaseHeld();
          this.push(chunk);
          this.current = { node: chunk, decoder };
        } else if (this.held?.node !== chunk) {
          callback(new AppError('MESSAGE_UNPARSEABLE', `The start of part ${partId} cannot be located in the message.`));
          return;
        } else {
          const openedWithBreak = this.heldPrefix !== undefined || startsWithBreak(this.held.value);
          this.current = { node: chunk, decoder, openedWithBreak, tail: lastTwo(undefined, chunk.getHeaders()) };
        }
        this.held = undefined;
        this.heldPrefix = undefined;
        this.found.add(partId);
        this.sink(index, decoder);
        callback();
        return;
      }
    }

    this.releaseHeld();
    if (chunk.type === 'data') {
      this.held = chunk;
      this.heldPrefix = owed;
    } else {
      this.push(chunk);
    }
    callback();
  }

  override _flush(callback: TransformCallback): void {
    this.endCurrent();
    this.releaseHeld();
    const missing = [...this.chosen.keys()].filter((partId) => !this.found.has(partId));
    if (missing.length > 0) {
      callback(new AppError('MESSAGE_UNPARSEABLE', `Part ${missing.join(', ')} was not found when the message was read again.`));
    } else if (!this.keep && this.bytesSeen !== this.sourceSize) {
      // mailsplit drops the header lines of a part cut short by the next
      // delimiter; a rewrite would then lose bytes that are not ours to drop
      const parts = [...this.chosen.keys()].join(', ');
      callback(new AppError('MESSAGE_UNPARSEABLE', `The MIME structure of the message is too broken to take part ${parts} out of it.`));
    } else {
      callback();
    }
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    this.current?.decoder.destroy(error ?? undefined);
    callback(error);
  }

  /** The line break a dropped part owes the delimiter chunk `next` (see the class comment), if any. */
  private owedBreak(next: SplitterChunk): Buffer | undefined {
    const { current } = this;
    if (current?.openedWithBreak !== true || next.type !== 'data' || startsWithBreak(next.value)) return undefined;
    const tail = current.tail ?? Buffer.alloc(0);
    if (tail.subarray(-2).equals(CRLF)) return CRLF;
    return tail.subarray(-1).equals(LF) ? LF : undefined;
  }

  private endCurrent(): void {
    this.current?.decoder.end();
    this.current = undefined;
  }

  private releaseHeld(): void {
    if (this.heldPrefix !== undefined) this.push(this.heldPrefix);
    if (this.held !== undefined) this.push(this.held);
    this.held = undefined;
    this.heldPrefix = undefined;
  }
}

const CRLF = Buffer.from('\r\n');
const LF = Buffer.from('\n');

function startsWithBreak(value: Buffer): boolean {
  return value[0] === 0x0d || value[0] === 0x0a;
}

/** The last two bytes of `tail` followed by `more`. */
function lastTwo(tail: Buffer | undefined, more: Buffer): Buffer {
  return more.length >= 2 ? more.subarray(-2) : Buffer.concat([tail ?? Buffer.alloc(0), more]).subarray(-2);
}
