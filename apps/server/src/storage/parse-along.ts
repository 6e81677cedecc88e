import { Transform, type TransformCallback } from 'node:stream';
import type { FollowedParse, MessageSummary } from '../mail/summarize-message.js';

/**
 * A pass-through stage in front of an upload's temporary that starts the
 * parse of the message as the first bytes go by (ADR 0020): by then the
 * temporary exists (`writeNewFileDurable` opens it before any byte flows),
 * so the worker can open it and read behind the writer. The bytes are not
 * touched or copied here; the worker reads them from the file.
 */
export class ParseAlong extends Transform {
  private parse: FollowedParse | undefined;
  private started = false;

  /** `start` begins a followed parse of the temporary, or answers undefined when no worker is free for one. */
  constructor(private readonly start: () => FollowedParse | undefined) {
    super();
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    if (!this.started) {
      this.started = true;
      this.parse = this.start();
      // read by summarizeUpload, or never when the upload fails first: not an unhandled rejection either way
      this.parse?.summary.catch(() => {});
    }
    callback(null, chunk);
  }

  /** The body is whole and flushed: `size` bytes. The summary, or undefined when no parse was started (an empty body, no worker free). */
  complete(size: number): Promise<MessageSummary | undefined> | undefined {
    this.parse?.complete(size);
    return this.parse?.summary;
  }

  /** The body broke off: a parse under way is given up. */
  fail(reason: string): void {
    this.parse?.fail(reason);
  }
}
