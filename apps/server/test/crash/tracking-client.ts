import { DEV_IDENTITY_HEADERS, paths } from '@toa/api/routes';
import { type Document, type Import, importSchema } from '@toa/api/imports';
import { type Payload, sha256 } from './payloads.js';

export const DOMAIN = 'acme';
const USER = 'crash@acme.example';

/** A page the server answered 201 for: it must survive any later crash. */
export interface AckedPage {
  importId: string;
  n: number;
  m: number;
  sha256: string;
  contentType: string;
}

/** What the client knows of the server's promises, across restarts. */
export interface Acks {
  pages: AckedPage[];
  /** extractions answered 201: the new document must stay listed */
  extractions: Array<{ importId: string; source: { n: number; m: number }; document: Document }>;
  /** documents whose deletion was sent (answered or not): their source EML may stay rewritten without them */
  deletionsSent: Array<{ importId: string; n: number }>;
  /** imports whose deletion was sent (answered or not): their pages may be gone */
  importDeletionsSent: Set<string>;
  /** every hash an extracted page may have */
  attachmentShas: Set<string>;
}

export function emptyAcks(): Acks {
  return { pages: [], extractions: [], deletionsSent: [], importDeletionsSent: new Set(), attachmentShas: new Set() };
}

/** A non-2xx answer; a request cut short by a kill rejects with fetch's own error instead. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    body: string,
  ) {
    super(`HTTP ${status}: ${body.slice(0, 300)}`);
  }
}

/**
 * The API as one user sees it, recording every acknowledgement in `acks`.
 * `url` is reassigned when the server is restarted.
 */
export class TrackingClient {
  constructor(
    public url: string,
    readonly acks: Acks = emptyAcks(),
  ) {}

  private async call(pathname: string, init: RequestInit = {}): Promise<Response> {
    const headers = new Headers(init.headers);
    headers.set(DEV_IDENTITY_HEADERS.email, USER);
    const response = await fetch(`${this.url}${pathname}`, { ...init, headers });
    if (!response.ok) throw new HttpError(response.status, await response.text());
    return response;
  }

  private async send(method: string, pathname: string, body: unknown): Promise<Response> {
    return this.call(pathname, { method, headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
  }

  async create(): Promise<string> {
    return importSchema.parse(await (await this.send('POST', paths.imports(DOMAIN), {})).json()).id;
  }

  async get(id: string): Promise<Import> {
    return importSchema.parse(await (await this.call(paths.import(DOMAIN, id))).json());
  }

  async upload(id: string, n: number, payload: Payload): Promise<AckedPage> {
    const form = new FormData();
    form.append('file', new Blob([payload.bytes], { type: payload.contentType }), payload.filename);
    const response = await this.call(paths.pages(DOMAIN, id, n), { method: 'POST', body: form });
    const page = (await response.json()) as { m: number; sha256: string; contentType: string };
    if (page.sha256 !== sha256(payload.bytes)) throw new Error(`the server acknowledged page ${page.m} of ${id} with a different sha256`);
    const acked = { importId: id, n, m: page.m, sha256: page.sha256, contentType: page.contentType };
    this.acks.pages.push(acked);
    return acked;
  }

  async extract(id: string, n: number, m: number): Promise<Document> {
    const document = (await (await this.send('POST', paths.extract(DOMAIN, id, n, m), {})).json()) as Document;
    this.acks.extractions.push({ importId: id, source: { n, m }, document });
    return document;
  }

  async setNote(id: string, n: number, title: string): Promise<void> {
    await this.send('PUT', paths.document(DOMAIN, id, n), { templateId: 'note', attributes: { title } });
  }

  async deleteDocument(id: string, n: number): Promise<void> {
    this.acks.deletionsSent.push({ importId: id, n });
    await this.call(paths.document(DOMAIN, id, n), { method: 'DELETE' });
  }

  async deleteImport(id: string): Promise<void> {
    this.acks.importDeletionsSent.add(id);
    await this.call(paths.import(DOMAIN, id), { method: 'DELETE' });
  }

  async submit(id: string): Promise<void> {
    await this.call(paths.submit(DOMAIN, id), { method: 'POST' });
  }

  /** Polls until the import leaves PENDING (the archive runs in the background). */
  async settled(id: string): Promise<Import> {
    for (let i = 0; i < 1000; i += 1) {
      const current = await this.get(id);
      if (current.status !== 'PENDING') return current;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    throw new Error(`${id} stayed PENDING`);
  }
}
