import http from 'node:http';
import { importSchema } from '@toa/api/imports';
import { DEV_IDENTITY_HEADERS, PAGE_UPLOAD_FIELD, paths } from '@toa/api/routes';
import { DOMAIN } from './toa-server';

const BOUNDARY = 'toa-held-upload';

/** An upload that has sent its head and first bytes and waits: it holds one of its user's upload slots (`limits.uploadsPerUser`). */
export interface HeldUpload {
  /** the `Retry-After` the server answers the user's next upload with while this one is held, in seconds */
  retryAfterSeconds: number;
  /** sends the rest of the body; answers the server's status for it (201 when stored) */
  release(): Promise<number>;
  /** breaks the connection off, giving the slot back without storing anything */
  abandon(): void;
}

/**
 * Starts a page upload as `email` to an import of its own in the test domain,
 * sends part of the body and holds it, then makes sure the server counts it:
 * with `uploadsPerUser: 1`, the user's next upload is refused with 429
 * `UPLOADS_IN_PROGRESS` until this one is released or abandoned.
 */
export async function holdUpload(serverUrl: string, email: string): Promise<HeldUpload> {
  const identity = { [DEV_IDENTITY_HEADERS.email]: email };
  const created = await fetch(serverUrl + paths.imports(DOMAIN), { method: 'POST', headers: { ...identity, 'Content-Type': 'application/json' }, body: '{}' });
  const { id } = importSchema.parse(await created.json());
  const head = `--${BOUNDARY}\r\nContent-Disposition: form-data; name="${PAGE_UPLOAD_FIELD}"; filename="held.pdf"\r\nContent-Type: application/pdf\r\n\r\n%PDF-1.7\n`;
  const rest = `held page\n%%EOF\n\r\n--${BOUNDARY}--\r\n`;
  const request = http.request(serverUrl + paths.pages(DOMAIN, id, 1), {
    method: 'POST',
    headers: { ...identity, 'Content-Type': `multipart/form-data; boundary=${BOUNDARY}`, 'Content-Length': Buffer.byteLength(head + rest) },
  });
  const answered = new Promise<number>((resolve, reject) => {
    request.on('response', (response) => {
      response.resume();
      resolve(response.statusCode ?? 0);
    });
    request.on('error', reject);
  });
  answered.catch(() => {}); // an abandoned upload ends in a reset nobody waits for
  request.write(head);
  request.flushHeaders();
  return {
    retryAfterSeconds: await refusedWhileHeld(serverUrl, identity),
    release: () => {
      request.end(rest);
      return answered;
    },
    abandon: () => request.destroy(),
  };
}

/**
 * Waits until the server counts the held upload: a probe upload to an import
 * that does not exist is refused 429 once the slot is taken (404 before, the
 * slot being taken and given back at once). Answers the probe's Retry-After.
 */
async function refusedWhileHeld(serverUrl: string, identity: Record<string, string>): Promise<number> {
  const missing = paths.pages(DOMAIN, '2000-01-01_0000-00000000', 1);
  for (;;) {
    const probe = await fetch(serverUrl + missing, { method: 'POST', headers: identity });
    await probe.arrayBuffer();
    if (probe.status === 429) return Number(probe.headers.get('Retry-After'));
    if (probe.status !== 404) throw new Error(`the probe upload was answered ${probe.status}, not 404 or 429`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
