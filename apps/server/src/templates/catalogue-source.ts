import { open } from 'node:fs/promises';

/**
 * Reading a catalogue from disk or the network, never holding more than
 * `maxBytes + 1` bytes: one byte more than allowed is enough for
 * `parseCatalogueXml` to refuse it as too large.
 */

export async function readFileBounded(file: string, maxBytes: number): Promise<Buffer> {
  const handle = await open(file, 'r');
  try {
    const buffer = Buffer.alloc(maxBytes + 1);
    let length = 0;
    while (length < buffer.length) {
      const { bytesRead } = await handle.read(buffer, length, buffer.length - length, null);
      if (bytesRead === 0) break;
      length += bytesRead;
    }
    return buffer.subarray(0, length);
  } finally {
    await handle.close();
  }
}

export interface DownloadOptions {
  fetch: typeof fetch;
  /** aborts the request and the body (timeout, shutdown) */
  signal: AbortSignal;
  maxBytes: number;
  /** the `Authorization` header value, when the source needs one */
  authorization?: string;
}

/** GETs `url`; a non-2xx answer is an error, and a body over the limit is cut off. */
export async function downloadBounded(url: string, options: DownloadOptions): Promise<Buffer> {
  const headers: Record<string, string> = { accept: 'application/xml, text/xml;q=0.9, */*;q=0.1' };
  if (options.authorization) headers.authorization = options.authorization;
  const response = await options.fetch(url, { signal: options.signal, headers });
  if (!response.ok) {
    await response.body?.cancel();
    throw new Error(`HTTP ${response.status}${response.statusText ? ` ${response.statusText}` : ''}`);
  }
  if (!response.body) return Buffer.alloc(0);
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let length = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value);
    length += value.length;
    if (length > options.maxBytes) {
      await reader.cancel();
      break;
    }
  }
  return Buffer.concat(chunks).subarray(0, options.maxBytes + 1);
}
