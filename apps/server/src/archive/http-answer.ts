import { STATUS_CODES } from 'node:http';
import { parseJson } from './json.js';

/** Longest refusal reason quoted to the user. */
const REASON_LENGTH = 200;

/** `500 Internal Server Error`: the standard phrase, so that odd servers cannot put arbitrary text here. */
export function describeStatus(response: Response): string {
  const phrase = STATUS_CODES[response.status] ?? response.statusText.slice(0, 60);
  return `${response.status} ${phrase}`.trim();
}

/** Reads at most `limit` bytes of the body as text, then lets go of the rest. */
export async function readBounded(response: Response, limit: number): Promise<string> {
  if (!response.body) return '';
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  while (total < limit) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value);
    total += value.length;
  }
  await reader.cancel();
  return new TextDecoder().decode(Buffer.concat(chunks).subarray(0, limit));
}

/**
 * A short, printable reason from a refusal body: the `detail`, `message`,
 * `error` or `title` of a JSON answer (problem details and the usual ad-hoc
 * shapes), or plain text; never an HTML page.
 */
export function refusalReason(body: string, contentType: string | null): string | undefined {
  const json = parseJson(body);
  let reason: string | undefined;
  if (typeof json === 'object' && json !== null) {
    const fields = json as Record<string, unknown>;
    const found = ['detail', 'message', 'error', 'title'].map((key) => fields[key]).find((value) => typeof value === 'string');
    reason = found as string | undefined;
  } else if (!/html|xml/i.test(contentType ?? '') && !body.trimStart().startsWith('<')) {
    reason = body;
  }
  // biome-ignore lint/suspicious/noControlCharactersInRegex: an archive's error text may hold control characters; they never reach a user
  const printable = reason?.replace(/[\u0000-\u001f\u007f\s]+/g, ' ').trim();
  if (!printable) return undefined;
  return printable.length > REASON_LENGTH ? `${printable.slice(0, REASON_LENGTH - 1)}…` : printable;
}
