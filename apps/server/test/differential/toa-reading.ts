import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { isAppError } from '../../src/errors.js';
import { extractParts } from '../../src/mail/extract-parts.js';
import { type ListedAttachment, summarizeMessage } from '../../src/mail/summarize-message.js';

/** A listed attachment with what extracting it gave. */
export interface ToaAttachment extends ListedAttachment {
  extracted?: { size: number; sha256: string; content: Buffer };
}

export type ToaReading = { ok: true; attachments: ToaAttachment[]; rewritten?: Buffer; extractError?: string } | { ok: false; error: string };

/**
 * Reads `bytes` as TOA does: the sidecar pass (`summarizeMessage`, what the
 * sidecar lists) and the extraction pass (`extractParts`) taking every listed
 * attachment out at once, both in the server's mail workers, on real files in
 * a folder `dir/name` (removed afterwards). Errors TOA answers with (AppError)
 * are results; anything else throws.
 */
export async function readWithToa(bytes: Uint8Array, dir: string, name: string): Promise<ToaReading> {
  const folder = path.join(dir, name);
  await mkdir(folder);
  const source = path.join(folder, 'message.eml');
  const rewrittenPath = path.join(folder, 'rewritten.eml');
  const partPath = (index: number): string => path.join(folder, `part-${index}.bin`);
  await writeFile(source, bytes);
  try {
    let attachments: ToaAttachment[];
    try {
      attachments = (await summarizeMessage(source)).attachments;
    } catch (error) {
      if (isAppError(error)) return { ok: false, error: `${error.code}: ${error.message}` };
      throw error;
    }
    if (attachments.length === 0) return { ok: true, attachments };
    try {
      const result = await extractParts({ source, partIds: attachments.map((a) => a.partId), rewrittenPath, partPath });
      for (const part of result.parts) {
        const listed = attachments.find((a) => a.partId === part.partId);
        if (listed !== undefined) listed.extracted = { size: part.size, sha256: part.sha256, content: await readFile(part.path) };
      }
      // no rewrite: the message is kept whole (signed or encrypted) and the parts were copied
      if (result.rewritten === undefined) return { ok: true, attachments };
      return { ok: true, attachments, rewritten: await readFile(rewrittenPath) };
    } catch (error) {
      if (isAppError(error)) return { ok: true, attachments, extractError: `${error.code}: ${error.message}` };
      throw error;
    }
  } finally {
    await rm(folder, { recursive: true, force: true });
  }
}
