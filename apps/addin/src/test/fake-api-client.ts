import { ApiError, type ApiClient, NetworkError } from '../lib/api-client';
import type { AttachmentInfo, Attributes, Document, Import, ImportStatus, ImportSummary, Protection } from '@toa/api/imports';
import type { FieldError } from '@toa/api/errors';
import type { Suggestion, SuggestionRequest } from '@toa/api/suggestions';
import { INVOICE, LETTER } from './fixtures';

/**
 * An in-memory server for hook and component tests: one domain, imports kept in
 * a map, extraction renumbering the remaining parts as a rewritten EML would.
 */
export class FakeApiClient implements ApiClient {
  readonly calls: string[] = [];
  readonly imports = new Map<string, Import>();
  /** attachments of the next uploaded EML, as the sidecar lists them */
  emlAttachments: Omit<AttachmentInfo, 'partId'>[] = [];
  /** the next uploaded EML is signed or encrypted: extraction copies its parts and leaves it as it is */
  emlProtection: Protection | undefined;
  /** earlier imports of the message, for the duplicate check */
  earlier: ImportSummary[] = [];
  /** what `suggestions` answers, best first */
  suggestionList: Suggestion[] = [];
  /** the body of every `suggestions` call */
  readonly suggestionRequests: SuggestionRequest[] = [];
  /** what each submit ends in, one entry per submit; default SUBMITTED */
  submitOutcomes: ImportStatus[] = [];
  /** polls that still answer PENDING before the outcome shows */
  pendingPolls = 0;
  /** 422 field errors for `PUT …/documents/n`, answered once */
  documentErrors = new Map<number, FieldError[]>();
  /** one-shot failures by method name */
  failures = new Map<string, Error>();
  /** methods whose next call is carried out but its answer lost on the way back (a network error) */
  lostAnswers = new Set<string>();
  private parts = new Map<string, AttachmentInfo[]>();
  private outcome = new Map<string, Import>();
  private counter = 0;

  private record(call: string, method: string) {
    this.calls.push(call);
    const failure = this.failures.get(method);
    if (failure) {
      this.failures.delete(method);
      throw failure;
    }
  }

  private get(id: string): Import {
    const found = this.imports.get(id);
    if (!found) throw problem(404, 'IMPORT_NOT_FOUND');
    return found;
  }

  async me() {
    return { userId: 'bob@acme.example', email: 'bob@acme.example', name: 'Bob', roles: [], authMode: 'dev' as const };
  }
  async domains() {
    return { domains: [{ code: 'acme', name: 'ACME archive', catalogueAvailable: true }] };
  }
  async templates(domain: string) {
    return { domain, source: 'file' as const, loadedAt: '2026-11-03T09:00:00.000Z', templates: [INVOICE, LETTER] };
  }
  /** what the user last filed per template, as `GET …/last-values` answers */
  lastFiled: Record<string, Attributes> = {};
  async lastValues(_domain: string) {
    return { templates: this.lastFiled };
  }
  async listImports(domain: string, query: { messageId?: string } = {}) {
    this.record(`list ${domain}${query.messageId ? ` ${query.messageId}` : ''}`, 'listImports');
    const items = query.messageId ? this.earlier : [];
    return { items, total: items.length, limit: 20, offset: 0 };
  }
  async suggestions(domain: string, body: SuggestionRequest) {
    this.record(`suggest ${domain}`, 'suggestions');
    this.suggestionRequests.push(body);
    return { suggestions: this.suggestionList.filter((s) => s.domain === domain) };
  }
  async getImport(_domain: string, id: string) {
    this.record(`get ${id}`, 'getImport');
    const current = this.get(id);
    if (current.status === 'PENDING' && this.pendingPolls-- <= 0) {
      const final = this.outcome.get(id) as Import;
      this.imports.set(id, final);
      return final;
    }
    return current;
  }
  async createImport(domain: string, body: { source?: Import['source'] }) {
    this.record(`create ${domain}`, 'createImport');
    const id = `2026-11-03_1015-${(++this.counter).toString(16).padStart(8, '0')}`;
    const created: Import = {
      schemaVersion: 1,
      id,
      domain,
      status: 'DRAFT',
      createdAt: '2026-11-03T10:15:00.000Z',
      updatedAt: '2026-11-03T10:15:00.000Z',
      userId: 'bob@acme.example',
      userName: 'Bob',
      userEmail: 'bob@acme.example',
      source: body.source ?? {},
      documents: [{ n: 1, templateId: null, attributes: {}, pages: [] }],
      attempts: [],
    };
    this.imports.set(id, created);
    return created;
  }
  async deleteImport(_domain: string, id: string) {
    this.record(`delete ${id}`, 'deleteImport');
    this.imports.delete(id);
  }
  async uploadPage(
    _domain: string,
    id: string,
    n: number,
    file: { blob: Blob; filename: string },
    options: { onProgress?: (progress: { loaded: number; total: number }) => void } = {},
  ) {
    this.record(`upload ${n} ${file.filename} ${file.blob.type}`, 'uploadPage');
    this.get(id);
    options.onProgress?.({ loaded: file.blob.size, total: file.blob.size });
    const parts = this.emlAttachments.map((a, i) => ({ ...a, partId: String(i + 2) }));
    this.parts.set(id, parts);
    const sha256 = '0'.repeat(64);
    const page = { m: 1, filename: file.filename, size: file.blob.size, contentType: 'message/rfc822', sha256, sidecar: 'page-1.meta.json' };
    this.get(id)
      .documents.find((d) => d.n === n)
      ?.pages.push(page);
    return { ...page, meta: { schemaVersion: 2 as const, size: file.blob.size, sha256, ...this.protection(), attachments: parts } };
  }
  async pageMeta(_domain: string, id: string) {
    this.record(`meta ${id}`, 'pageMeta');
    return { schemaVersion: 2 as const, size: 1, sha256: '0'.repeat(64), ...this.protection(), attachments: this.parts.get(id) ?? [] };
  }
  private protection(): { protection?: Protection } {
    return this.emlProtection ? { protection: this.emlProtection } : {};
  }
  async extract(_domain: string, id: string, _n: number, _m: number, partIds: string[]) {
    this.record(`extract ${partIds.join(',')}`, 'extract');
    const current = this.get(id);
    const parts = this.parts.get(id) ?? [];
    const taken = parts.filter((p) => partIds.includes(p.partId));
    if (taken.length !== partIds.length) throw problem(404, 'ATTACHMENT_NOT_FOUND');
    // The rewritten EML numbers its remaining parts afresh; a signed one is kept whole.
    if (!this.emlProtection) {
      this.parts.set(
        id,
        parts.filter((p) => !partIds.includes(p.partId)).map((p, i) => ({ ...p, partId: String(i + 2) })),
      );
    }
    const document: Document = {
      n: current.documents.length + 1,
      templateId: null,
      attributes: {},
      origin: { document: 1, page: 1, partIds },
      pages: taken.map((p, i) => ({ m: i + 1, filename: p.filename ?? 'x', size: p.size, contentType: p.contentType, sha256: '0'.repeat(64) })),
    };
    current.documents.push(document);
    if (this.lostAnswers.delete('extract')) throw new NetworkError('The connection was reset.');
    return document;
  }
  async updateDocument(_domain: string, id: string, n: number, body: { templateId: string; attributes?: Document['attributes'] }) {
    this.record(`put ${n} ${body.templateId} ${JSON.stringify(body.attributes ?? {})}`, 'updateDocument');
    const errors = this.documentErrors.get(n);
    if (errors) {
      this.documentErrors.delete(n);
      throw problem(422, 'ATTRIBUTES_INVALID', errors);
    }
    const document = this.get(id).documents.find((d) => d.n === n);
    if (!document) throw problem(404, 'DOCUMENT_NOT_FOUND');
    document.templateId = body.templateId;
    document.attributes = body.attributes ?? {};
    return document;
  }
  async submit(_domain: string, id: string) {
    this.record(`submit ${id}`, 'submit');
    const current = this.get(id);
    const status = this.submitOutcomes.shift() ?? 'SUBMITTED';
    const final: Import =
      status === 'FAILED'
        ? { ...current, status, error: 'Archive rejected: disk full' }
        : { ...current, status: 'SUBMITTED', damisBatchId: `BATCH-${this.calls.length}`, error: undefined };
    this.outcome.set(id, final);
    const pending: Import = { ...current, status: 'PENDING', error: undefined };
    this.imports.set(id, pending);
    return pending;
  }
}

export function problem(status: number, code: ApiError['code'], errors?: FieldError[]): ApiError {
  return new ApiError({ type: 'urn:test', title: code, status, detail: `${code} (test)`, code, errors });
}
