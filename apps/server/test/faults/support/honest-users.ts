import { createHash, randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { addPageResponseSchema, importSchema } from '@toa/api/imports';
import { paths } from '@toa/api/routes';
import { ImportPaths, Layout } from '../../../src/storage/layout.js';
import { VALID_INVOICE } from '@toa/fixtures/catalogue';
import type { Ledger } from './ledger.js';

const HONEST = ['alice@acme.example', 'bob@acme.example', 'carol@acme.example'];

/** A small scanned page and a small e-mail: what an honest user files. */
function pageBodies(email: string, round: number): Array<{ bytes: Buffer; filename: string; type: string }> {
  return [
    { bytes: Buffer.concat([Buffer.from('%PDF-1.7\n'), randomBytes(8 * 1024)]), filename: 'scan.pdf', type: 'application/pdf' },
    {
      bytes: Buffer.from(
        `From: ${email}\r\nTo: archive@acme.example\r\nSubject: invoice ${round}\r\nMessage-ID: <${randomBytes(8).toString('hex')}@acme.example>\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nPlease file the invoice, round ${round}.\r\n`,
      ),
      filename: 'message.eml',
      type: 'message/rfc822',
    },
  ];
}

/** A page upload body: `bytes` as `type`, named `filename`. */
export function pageForm(bytes: Buffer, filename: string, type: string): FormData {
  const body = new FormData();
  body.append('file', new Blob([bytes], { type }), filename);
  return body;
}

/**
 * Files one import as a user does in the pane: create, a scanned page and
 * an e-mail, template and attributes, submit, read it back. Every answer goes
 * to the ledger; a page answered 201 is acknowledged. Stops at the first
 * step that is refused. Resolves with the import's id when every step
 * succeeded.
 */
export async function fileOnce(ledger: Ledger, baseUrl: string, email: string, round: number, options: { submit?: boolean } = {}): Promise<string | undefined> {
  const created = await ledger.call(baseUrl, paths.imports('acme'), { method: 'POST', email, headers: { 'Content-Type': 'application/json' }, body: '{}' });
  if (created.status !== 201) return undefined;
  const { id } = importSchema.parse(created.body);
  for (const page of pageBodies(email, round)) {
    const stored = await ledger.call(baseUrl, paths.pages('acme', id, 1), { method: 'POST', email, body: pageForm(page.bytes, page.filename, page.type) });
    if (stored.status !== 201) return undefined;
    const { m, sha256 } = addPageResponseSchema.parse(stored.body);
    const sent = createHash('sha256').update(page.bytes).digest('hex');
    // the acknowledgement promises these bytes; a different digest would be a loss already
    ledger.acknowledged.push({ id, m, sha256: sent });
    if (sha256 !== sent) ledger.violations.push(`${email}: page ${id}/1/${m} acknowledged with sha256 ${sha256}, sent ${sent}`);
  }
  const put = await ledger.call(baseUrl, paths.document('acme', id, 1), {
    method: 'PUT',
    email,
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ templateId: 'invoice', attributes: VALID_INVOICE }),
  });
  if (put.status !== 200) return undefined;
  if (options.submit !== false) {
    const submitted = await ledger.call(baseUrl, paths.submit('acme', id), { method: 'POST', email });
    if (submitted.status !== 202) return undefined;
  }
  return (await ledger.call(baseUrl, paths.import('acme', id), { email })).status === 200 ? id : undefined;
}

/** Three users filing one import after another, each with a short pause, until stopped. */
export class HonestUsers {
  #running = true;
  readonly #loops: Array<Promise<void>>;

  constructor(ledger: Ledger, baseUrl: string, options: { pauseMs?: number; submit?: boolean } = {}) {
    this.#loops = HONEST.map(async (email) => {
      for (let round = 1; this.#running; round += 1) {
        await fileOnce(ledger, baseUrl, email, round, options);
        await new Promise((resolve) => setTimeout(resolve, options.pauseMs ?? 200));
      }
    });
  }

  /** Lets each user finish the request in flight (a call never outlives HANG_MS). */
  async stop(): Promise<void> {
    this.#running = false;
    await Promise.all(this.#loops);
  }
}

/**
 * Milliseconds until `condition` holds, tried every 100 ms; `undefined`
 * when it did not within `withinMs`.
 */
export async function timeUntil(condition: () => Promise<boolean>, withinMs = 60_000): Promise<number | undefined> {
  const started = performance.now();
  while (performance.now() - started < withinMs) {
    if (await condition()) return performance.now() - started;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return undefined;
}

/**
 * Every acknowledged page that is not on disk byte for byte, read from the
 * stopped server's data root: what was promised must have been durable.
 */
export async function lostPages(dataRoot: string, ledger: Ledger): Promise<string[]> {
  const layout = new Layout(dataRoot);
  const lost: string[] = [];
  for (const page of ledger.acknowledged) {
    const file = new ImportPaths(layout.importDir('acme', page.id)).pageFile(1, page.m);
    const bytes = await readFile(file).catch(() => undefined);
    const digest = bytes && createHash('sha256').update(bytes).digest('hex');
    if (digest !== page.sha256) lost.push(`${page.id} page ${page.m}: ${digest ? `sha256 ${digest}` : 'missing'}`);
  }
  return lost;
}
