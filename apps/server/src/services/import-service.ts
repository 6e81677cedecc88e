import type { ReadStream } from 'node:fs';
import { validateAttributes, withoutBlanks } from '@toa/api/attributes';
import type { FieldError } from '@toa/api/errors';
import {
  type Attributes,
  type Document,
  EDITABLE_STATUSES,
  type Import,
  type ListImportsQuery,
  type Page,
  type Sidecar,
  type Source,
  type UpdateDocumentRequest,
} from '@toa/api/imports';
import type { LastValuesResponse } from '@toa/api/last-values';
import type { SuggestionsResponse } from '@toa/api/suggestions';
import type { Template } from '@toa/api/templates';
import type { Logger } from 'pino';
import type { ArchiveBatch, ArchiveClient } from '../archive/archive-client.js';
import { contentKey } from '../archive/manifest.js';
import type { Limits } from '../config/schema.js';
import { AppError, errnoCode } from '../errors.js';
import type { Identity } from '../identity.js';
import type { AuditLog } from '../logging/audit-log.js';
import { crashPoint } from '../fs/crash-points.js';
import { type DomainStorage, findDocument, findPage, type Guard, type PageSink, type StagedPage } from '../storage/domain-storage.js';
import type { TemplateRegistry } from '../templates/template-registry.js';
import type { ZonedTime } from '../zoned-time.js';
import type { Clock } from '../clock.js';
import type { Quotas } from './quotas.js';
import type { StartupGate } from './startup-gate.js';
import { type ParsedSuggestionRequest, type SuggestionDeps, suggestFilings } from './suggestions.js';

export interface ImportServiceDeps {
  storages: ReadonlyMap<string, DomainStorage>;
  archives: ReadonlyMap<string, ArchiveClient>;
  templates: TemplateRegistry;
  audit: AuditLog;
  limits: Limits;
  quotas: Quotas;
  clock: Clock;
  time: ZonedTime;
  logger: Logger;
  /** domains whose `suggestions.shared` is on */
  sharedSuggestions?: ReadonlySet<string>;
  /** how long `submit` waits for the archive before answering 202 with PENDING */
  submitWaitMs?: number;
  /** while the server starts: domains whose start-up pass is not done answer 503 STARTING (absent: every domain is served) */
  gate?: StartupGate;
}

const ownedBy =
  (identity: Identity): Guard =>
  (current) => {
    // another user's import answers exactly like a missing one
    if (current.userId !== identity.userId) throw new AppError('IMPORT_NOT_FOUND', `import ${current.id} does not exist`);
  };

/** The document, and page, a mutation's path names. */
/** `ListImportsResponse` with each line still its JSON text. */
export interface ListingPage {
  items: string[];
  total: number;
  limit: number;
  offset: number;
}

export interface MutationTarget {
  n?: number;
  m?: number;
}

/**
 * The checks every mutation makes first, in this order, on the import as read
 * (storage has answered 404 for a missing one): it is the caller's (404, as if
 * missing), the document and page its path names exist (404), and it may still
 * be changed (409). Limits and the request body come after, on every route,
 * so a later fault never hides an earlier one.
 */
const editableBy =
  (identity: Identity, target: MutationTarget = {}): Guard =>
  (current) => {
    ownedBy(identity)(current);
    if (target.n !== undefined) {
      if (target.m !== undefined) findPage(current, target.n, target.m);
      else findDocument(current, target.n);
    }
    if (!EDITABLE_STATUSES.includes(current.status)) {
      throw new AppError('IMPORT_NOT_EDITABLE', `import ${current.id} is ${current.status} and can no longer be changed`);
    }
  };

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * The import use cases: ownership, status rules, limits, template validation,
 * submission and the audit trail. Knows nothing of HTTP; talks to the disk
 * only through DomainStorage.
 */
export class ImportService {
  private readonly inflight = new Set<Promise<unknown>>();
  /** set by `close`: work beside the pages is refused */
  private closing = false;

  constructor(private readonly deps: ImportServiceDeps) {}

  /** The storage a request of `domain` uses: refused (503 STARTING) while its start-up pass runs. */
  private storage(domain: string): DomainStorage {
    const storage = this.storageOf(domain);
    this.deps.gate?.check(domain);
    return storage;
  }

  /** The domain's storage for work already admitted (an archive call under way, a resumption at start), gate or not. */
  private storageOf(domain: string): DomainStorage {
    const storage = this.deps.storages.get(domain);
    if (!storage) throw new AppError('DOMAIN_NOT_FOUND', `there is no domain "${domain}"`);
    return storage;
  }

  private audit(identity: Identity | undefined, domain: string, action: string, importId: string, details?: Record<string, unknown>): void {
    this.deps.audit
      .append({
        domain,
        action,
        importId,
        ...(identity ? { userId: identity.userId, userEmail: identity.email } : {}),
        ...(details ? { details } : {}),
      })
      .catch((error: unknown) => this.deps.logger.error({ err: error, domain, importId, action }, 'audit log write failed'));
  }

  async create(identity: Identity, domain: string, source: Source): Promise<Import> {
    const storage = this.storage(domain);
    await this.deps.quotas.ready(domain);
    const release = this.deps.quotas.reserve(identity.userId, domain, { imports: 1, bytes: 0 });
    const created = await storage.create({ userId: identity.userId, userName: identity.name, userEmail: identity.email }, source).finally(release);
    this.audit(identity, domain, 'import.created', created.id, { internetMessageId: source.internetMessageId });
    return created;
  }

  async get(identity: Identity, domain: string, id: string): Promise<Import> {
    const current = await this.storage(domain).read(id);
    ownedBy(identity)(current);
    return current;
  }

  /** The caller's imports, newest first; with `messageId`, only earlier imports of that message. */
  /** Where `identity` would likely file a message (services/suggestions.ts). */
  async suggest(identity: Identity, domain: string, request: ParsedSuggestionRequest): Promise<SuggestionsResponse> {
    const storage = this.storage(domain);
    const deps: SuggestionDeps = {
      tally: (query) => storage.filingTally(query),
      template: (templateId) => this.deps.templates.template(domain, templateId),
      domain,
      shared: this.deps.sharedSuggestions?.has(domain) ?? false,
      timeZone: this.deps.time.zone,
      now: this.deps.clock.now(),
    };
    return suggestFilings(deps, identity, request);
  }

  /**
   * A page of the caller's imports as `ListImportsResponse`, its lines as
   * JSON texts (each an `ImportSummary`) for the route to put together.
   */
  async list(identity: Identity, domain: string, query: ListImportsQuery): Promise<ListingPage> {
    const { items, total } = await this.storage(domain).listOwned(identity.userId, query);
    return { items, total, limit: query.limit, offset: query.offset };
  }

  async delete(identity: Identity, domain: string, id: string): Promise<void> {
    await this.storage(domain).deleteImport(id, editableBy(identity));
    this.audit(identity, domain, 'import.deleted', id);
  }

  /**
   * The checks of a mutation that come before its body (see `editableBy`),
   * for routes that read the body themselves; the mutation makes them again
   * under the import's lock.
   */
  async checkEditable(identity: Identity, domain: string, id: string, target: MutationTarget): Promise<void> {
    editableBy(identity, target)(await this.storage(domain).precheck(id));
  }

  private pageGuard(identity: Identity, n: number): Guard {
    return (current) => {
      editableBy(identity, { n })(current);
      const doc = findDocument(current, n);
      if (doc.pages.length >= this.deps.limits.pagesPerDocument) {
        throw new AppError('LIMIT_EXCEEDED', `document ${n} already has ${doc.pages.length} pages, the most allowed`);
      }
    };
  }

  /**
   * Adds the next page of document `n`: checks before the body streams in
   * (the quotas with the most the body may store: `declaredBytes`, the
   * request's Content-Length, capped by the page size limit; the whole limit
   * when it declares none), `receive` hands the body to the sink it is given
   * (storage stages it beside the pages), then the page is added under the
   * lock with the checks run again and the reservation gives way to the
   * page's own size. An import or document deleted meanwhile answers its 404
   * whenever the delete came: the staging folder vanishing (ENOENT) is told apart from
   * a real file system fault by reading the import again.
   */
  async addPage(
    identity: Identity,
    domain: string,
    id: string,
    n: number,
    declaredBytes: number | undefined,
    receive: (sink: PageSink) => Promise<StagedPage>,
  ): Promise<{ page: Page; meta?: Sidecar }> {
    // a client that goes away does not end the work on its body (a parse may still hold the
    // temporary): shutdown waits for it, so every temporary is removed before the process exits
    return this.beside(() => this.receivePage(identity, domain, id, n, declaredBytes, receive));
  }

  private async receivePage(
    identity: Identity,
    domain: string,
    id: string,
    n: number,
    declaredBytes: number | undefined,
    receive: (sink: PageSink) => Promise<StagedPage>,
  ): Promise<{ page: Page; meta?: Sidecar }> {
    const storage = this.storage(domain);
    const guard = this.pageGuard(identity, n);
    await this.deps.quotas.ready(domain);
    guard(await storage.precheck(id));
    const pageLimit = Math.floor(this.deps.limits.pageSizeMb * 1024 * 1024);
    const release = this.deps.quotas.reserve(identity.userId, domain, { imports: 0, bytes: Math.min(declaredBytes ?? pageLimit, pageLimit) });
    let added: { page: Page; sidecar: Sidecar | undefined };
    try {
      const upload = await receive((body, meta) => storage.stagePage(id, n, body, meta, identity.userId));
      const sidecar = await storage.summarizeUpload(upload, identity.userId);
      added = { page: (await storage.addPage(id, n, upload, sidecar, guard)).page, sidecar };
    } catch (error) {
      if (errnoCode(error) === 'ENOENT') guard(await storage.read(id));
      throw error;
    } finally {
      // after the page is listed (the index counts it) or refused: never a moment when neither counts
      release();
    }
    const { page, sidecar } = added;
    this.audit(identity, domain, 'page.added', id, { document: n, page: page.m, filename: page.filename, size: page.size, sha256: page.sha256 });
    return sidecar ? { page, meta: sidecar } : { page };
  }

  /** A page's listing, the size of the bytes opened (fstat) and a stream of them; see DomainStorage.openPage. */
  async page(identity: Identity, domain: string, id: string, n: number, m: number): Promise<{ page: Page; size: number; body: ReadStream }> {
    return this.storage(domain).openPage(id, n, m, ownedBy(identity));
  }

  async meta(identity: Identity, domain: string, id: string, n: number, m: number): Promise<Sidecar> {
    // a missing or stale sidecar is rewritten beside its page: work that may outlive a caller who went away
    return this.beside(() => this.storage(domain).sidecar(id, n, m, ownedBy(identity)));
  }

  private template(domain: string, templateId: string): Template {
    const state = this.deps.templates.state(domain);
    if (!state.available) throw new AppError('CATALOGUE_UNAVAILABLE', `the domain "${domain}" has no template catalogue: ${state.reason}`);
    const template = state.catalogue.templates.find((t) => t.id === templateId);
    if (!template) {
      throw new AppError('TEMPLATE_UNKNOWN', `the domain "${domain}" has no template "${templateId}"`, {
        fieldErrors: [{ field: 'templateId', code: 'unknown', message: `There is no template "${templateId}"` }],
      });
    }
    return template;
  }

  private checkAttributes(template: Template, attributes: Attributes, fieldPrefix = ''): FieldError[] {
    return validateAttributes(template, attributes, { maxLength: this.deps.limits.attributeLength }).map((e) => ({ ...e, field: `${fieldPrefix}${e.field}` }));
  }

  async updateDocument(identity: Identity, domain: string, id: string, n: number, request: UpdateDocumentRequest): Promise<Document> {
    const attributes = request.attributes ?? {};
    let template: Template | undefined;
    const guard: Guard = (current) => {
      editableBy(identity, { n })(current);
      template = this.template(domain, request.templateId);
      const errors = this.checkAttributes(template, attributes);
      if (errors.length > 0)
        throw new AppError('ATTRIBUTES_INVALID', `${errors.length} attribute value(s) of document ${n} are not valid`, { fieldErrors: errors });
    };
    let updated: Document | undefined;
    await this.storage(domain).update(id, guard, (draft) => {
      if (!template) throw new Error('the guard resolves the template');
      const doc = findDocument(draft, n);
      doc.templateId = template.id;
      doc.attributes = withoutBlanks(attributes);
      updated = doc;
    });
    this.audit(identity, domain, 'document.updated', id, { document: n, templateId: request.templateId });
    return updated as Document;
  }

  async extract(identity: Identity, domain: string, id: string, n: number, m: number, partIds: string[] | undefined): Promise<Document> {
    const guard: Guard = (current) => {
      editableBy(identity, { n, m })(current);
      if (current.documents.length >= this.deps.limits.documentsPerImport) {
        throw new AppError('LIMIT_EXCEEDED', `import ${id} already has ${current.documents.length} documents, the most allowed`);
      }
      this.deps.quotas.assertRoom(identity.userId, domain);
    };
    const storage = this.storage(domain);
    await this.deps.quotas.ready(domain);
    const { document } = await this.beside(() => storage.extract(id, n, m, partIds, guard));
    this.audit(identity, domain, 'attachments.extracted', id, { from: { document: n, page: m }, document: document.n, partIds: document.origin?.partIds });
    return document;
  }

  async deleteDocument(identity: Identity, domain: string, id: string, n: number): Promise<void> {
    await this.storage(domain).deleteDocument(id, n, editableBy(identity, { n }));
    this.audit(identity, domain, 'document.deleted', id, { document: n });
  }

  /** Every document complete and valid against its template, or one 422 listing every problem. */
  private checkSubmittable(domain: string, current: Import): void {
    const errors: FieldError[] = [];
    for (const doc of current.documents) {
      const prefix = `documents.${doc.n}.`;
      if (doc.pages.length === 0) errors.push({ field: `${prefix}pages`, code: 'required', message: `Document ${doc.n} has no pages` });
      if (doc.templateId === null) {
        errors.push({ field: `${prefix}templateId`, code: 'required', message: `Document ${doc.n} has no template` });
        continue;
      }
      const template = this.template(domain, doc.templateId);
      // values of serverGenerated attributes come from an earlier attempt; they are filled anew below
      const generated = new Set(template.attributes.filter((a) => a.serverGenerated).map((a) => a.id));
      const entered = Object.fromEntries(Object.entries(doc.attributes).filter(([key]) => !generated.has(key)));
      errors.push(...this.checkAttributes(template, entered, prefix));
    }
    if (errors.length > 0)
      throw new AppError('ATTRIBUTES_INVALID', `import ${current.id} is not complete: ${errors.length} problem(s)`, { fieldErrors: errors });
  }

  /** Values of serverGenerated attributes: stable per import and document, so a retry sends the same. */
  /** The caller's last filed values per template of the domain (docs/api.md, "Last values"). */
  async lastValues(identity: Identity, domain: string): Promise<LastValuesResponse> {
    return { templates: await this.storage(domain).lastValues.read(identity.userId) };
  }

  /**
   * Records what the submitter chose per template: each template's first
   * document (the message's before its attachments'), without server-generated
   * values. A convenience only: a failed write is logged, the submit goes on.
   */
  private async rememberValues(domain: string, submitted: Import): Promise<void> {
    const chosen = new Map<string, Attributes>();
    for (const doc of submitted.documents) {
      if (doc.templateId === null || chosen.has(doc.templateId)) continue;
      const generated = new Set(
        this.template(domain, doc.templateId)
          .attributes.filter((a) => a.serverGenerated)
          .map((a) => a.id),
      );
      chosen.set(doc.templateId, Object.fromEntries(Object.entries(doc.attributes).filter(([id]) => !generated.has(id))));
    }
    await this.storageOf(domain)
      .lastValues.record(submitted.userId, chosen, this.deps.clock.now().getTime())
      .catch((error: unknown) => this.deps.logger.warn({ err: error, domain, importId: submitted.id }, 'recording the last filed values failed'));
  }

  private fillServerGenerated(domain: string, current: Import): void {
    for (const doc of current.documents) {
      if (doc.templateId === null) continue;
      for (const attribute of this.template(domain, doc.templateId).attributes) {
        if (attribute.serverGenerated) doc.attributes[attribute.id] = `${current.id}/${doc.n}`;
      }
    }
  }

  /** The import as the archive gets it, under the key that names this content. */
  private batch(domain: string, current: Import, submittedAt: string): ArchiveBatch {
    const storage = this.storageOf(domain);
    const content = {
      importId: current.id,
      domain,
      submitter: { userId: current.userId, name: current.userName, email: current.userEmail },
      source: current.source,
      documents: current.documents.map((doc) => ({
        n: doc.n,
        templateId: doc.templateId as string,
        attributes: doc.attributes,
        pages: doc.pages.map((page) => ({ ...page, bytes: (options?: { type?: string }) => storage.pageBytes(current.id, doc.n, page.m, options) })),
      })),
    };
    return { ...content, submittedAt, idempotencyKey: contentKey(content) };
  }

  /**
   * Validates, persists PENDING, then hands the import to the archive in the
   * background. Answers with the import as it stands after a short wait: final
   * when the archive is quick, PENDING otherwise (the caller polls).
   */
  async submit(identity: Identity, domain: string, id: string): Promise<Import> {
    const archive = this.deps.archives.get(domain);
    if (!archive) throw new AppError('DOMAIN_NOT_FOUND', `there is no domain "${domain}"`);
    const storage = this.storage(domain);
    const startedAt = this.deps.time.iso(this.deps.clock.now());
    const pending = await storage.update(id, editableBy(identity), (draft) => {
      this.checkSubmittable(domain, draft);
      this.fillServerGenerated(domain, draft);
      draft.status = 'PENDING';
      delete draft.error;
    });
    this.audit(identity, domain, 'import.submitted', id);
    await this.rememberValues(domain, pending);
    crashPoint('submit.before-archive');
    const settled = this.archive(domain, pending, startedAt);
    await Promise.race([settled, new Promise((resolve) => setTimeout(resolve, this.deps.submitWaitMs ?? 1500).unref())]);
    return storage.read(id);
  }

  /** One archive call and its outcome; tracked so shutdown can wait for it. */
  private archive(domain: string, pending: Import, startedAt: string): Promise<Import | undefined> {
    const storage = this.storageOf(domain);
    const archive = this.deps.archives.get(domain) as ArchiveClient;
    // PENDING forbids changes, so a resumed import has the same content, hence the same key
    const batch = this.batch(domain, pending, startedAt);
    const { idempotencyKey } = batch;
    const run = storage
      .runSubmission(
        pending.id,
        async () => {
          const published = await archive.submit(batch);
          crashPoint('submit.before-record');
          return published;
        },
        (draft, outcome) => {
          const finishedAt = this.deps.time.iso(this.deps.clock.now());
          if (outcome.ok) {
            draft.status = 'SUBMITTED';
            draft.damisBatchId = outcome.value.batchId;
            delete draft.error;
            draft.attempts.push({ startedAt, finishedAt, outcome: 'SUBMITTED', damisBatchId: outcome.value.batchId, idempotencyKey });
          } else {
            draft.status = 'FAILED';
            draft.error = errorMessage(outcome.error);
            draft.attempts.push({ startedAt, finishedAt, outcome: 'FAILED', error: draft.error, idempotencyKey });
          }
        },
      )
      .then((final) => {
        this.audit(undefined, domain, final.status === 'SUBMITTED' ? 'import.archived' : 'import.failed', final.id, {
          ...(final.damisBatchId ? { damisBatchId: final.damisBatchId } : {}),
          ...(final.error ? { error: final.error } : {}),
        });
        return final;
      })
      .catch((error: unknown) => {
        this.deps.logger.error(
          { err: error, domain, importId: pending.id },
          'recording the archive outcome failed; the import stays PENDING until the next start',
        );
        return undefined;
      });
    return this.tracked(run);
  }

  /**
   * Starts work that writes beside the pages (a page upload, an extraction, a
   * sidecar rewrite) and may outlive its request: `drain` waits for it, and
   * once `close` was called none is started (503), so nothing is written
   * into a pages folder after the clean-stop mark (ADR 0025).
   */
  private beside<T>(work: () => Promise<T>): Promise<T> {
    if (this.closing) return Promise.reject(new AppError('UNAVAILABLE', 'the server is shutting down'));
    return this.tracked(work());
  }

  /** Work that outlives its request (archive calls, and what `beside` starts): `drain` waits for it. */
  private tracked<T>(work: Promise<T>): Promise<T> {
    this.inflight.add(work);
    void work.then(
      () => this.inflight.delete(work),
      () => this.inflight.delete(work),
    );
    return work;
  }

  /**
   * SPEC §4: an import found PENDING at start is resumed only where the
   * archive honours the idempotency key; otherwise it becomes FAILED with a
   * message telling the user to check the archive.
   */
  async resumePending(pending: ReadonlyArray<{ domain: string; id: string }>): Promise<void> {
    for (const { domain, id } of pending) {
      const archive = this.deps.archives.get(domain);
      const storage = this.deps.storages.get(domain);
      if (!archive || !storage) continue;
      const current = await storage.read(id);
      if (current.status !== 'PENDING') continue;
      const startedAt = this.deps.time.iso(this.deps.clock.now());
      if (archive.honoursIdempotencyKey) {
        this.deps.logger.warn({ domain, importId: id }, 'resuming an import left PENDING by the last run');
        this.audit(undefined, domain, 'import.resumed', id);
        void this.archive(domain, current, startedAt);
      } else {
        const message = 'The server stopped while this import was being archived. Check in the archive whether it arrived before submitting it again.';
        await storage.update(
          id,
          () => {},
          (draft) => {
            draft.status = 'FAILED';
            draft.error = message;
            draft.attempts.push({ startedAt, finishedAt: startedAt, outcome: 'FAILED', error: message });
          },
        );
        this.audit(undefined, domain, 'import.failed', id, { error: message });
      }
    }
  }

  /**
   * Waits for archive calls, page uploads, extractions and sidecar rewrites in
   * flight, whether or not their callers still wait (a domain drained, and
   * `close`): none is left with a temporary beside the pages.
   */
  async drain(): Promise<void> {
    await Promise.allSettled([...this.inflight]);
  }

  /** Graceful shutdown: no upload, extraction or sidecar rewrite is started from now on (503), and those in flight are waited for. */
  async close(): Promise<void> {
    this.closing = true;
    await this.drain();
  }
}
