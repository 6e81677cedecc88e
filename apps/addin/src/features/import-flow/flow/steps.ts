/**
 * The steps of importing one message, each a plain function over the attempt
 * (what is done so far), the message handle and the API client. `run-import.ts`
 * strings them together; each is tested on its own (steps.test.ts).
 */
import type { AttachmentInfo, Import, ImportSummary } from '@toa/api/imports';
import type { AttributeLimits, Template } from '@toa/api/templates';
import { ApiError, type CallOptions } from '../../../lib/api-client';
import { type FieldMessages, toAttributes, validateDocument } from '../../../lib/attribute-values';
import type { DocumentDraft, MessageDraft } from '../../../lib/drafts';
import { errorText } from '../../../lib/error-text';
import { sleep } from '../../../lib/retry';
import { countTwinsAhead, findPart, identityOf, pairAttachments } from '../api/match-attachments';
import { type Attempt, progressOf, takeUp } from './attempt';
import { type DocumentErrors, type FlowContext, type FlowOutcome, MESSAGE_DOCUMENT } from './events';

/**
 * What every call of the steps carries: the run's signal, and a `retrying`
 * event before each pause the client makes between attempts (the client's one
 * retry policy decides what is sent again and how long to wait).
 */
export function callOptions(ctx: FlowContext): CallOptions {
  return {
    signal: ctx.signal,
    onWait: (wait) =>
      ctx.emit({
        type: 'retrying',
        reason: errorText(wait.error),
        seconds: Math.ceil(wait.delayMs / 1000),
        attempt: wait.attempt + 1,
        attempts: wait.attempts,
      }),
  };
}

/** Mirrors the attempt into the store, once the server has an import. */
function record(ctx: FlowContext, attempt: Attempt): void {
  const progress = progressOf(attempt);
  if (progress) ctx.store.save(attempt.message.key, progress);
}

async function getIfExists(ctx: FlowContext, domain: string, id: string): Promise<Import | undefined> {
  try {
    return await ctx.client.getImport(domain, id, callOptions(ctx));
  } catch (error) {
    if (error instanceof ApiError && error.code === 'IMPORT_NOT_FOUND') return undefined;
    throw error;
  }
}

/**
 * Resume: after a reload only the store knows the import this message got as
 * far as. An import still in the making is taken up (the attempt then names
 * it); one submitted before the reload is returned, to be followed rather than
 * imported twice; one that is gone is forgotten. Nothing happens when the
 * attempt already has an import or the stored one is of another domain.
 */
export async function resumeStored(ctx: FlowContext, attempt: Attempt): Promise<Import | undefined> {
  const key = attempt.message.key;
  const stored = attempt.importId ? undefined : ctx.store.load(key);
  if (stored?.domain !== attempt.domain) return undefined;
  ctx.emit({ type: 'step', step: 'resuming' });
  const found = await getIfExists(ctx, attempt.domain, stored.id);
  if (!found) {
    ctx.store.save(key, undefined);
    return undefined;
  }
  if (found.status === 'PENDING' || found.status === 'SUBMITTED') return found;
  takeUp(attempt, found, stored);
  record(ctx, attempt);
  return undefined;
}

/**
 * Duplicate check: the newest earlier import of the message (by Internet
 * message id) and how many there are; skipped once the attempt has an import
 * or the user confirmed the duplicate, and for a message without an id.
 */
export async function findEarlierImport(ctx: FlowContext, attempt: Attempt): Promise<{ earlier: ImportSummary; count: number } | undefined> {
  const messageId = attempt.message.details.internetMessageId;
  if (attempt.importId || attempt.duplicateConfirmed || !messageId) return undefined;
  ctx.emit({ type: 'checking' });
  const found = await ctx.client.listImports(attempt.domain, { messageId, limit: 5 }, callOptions(ctx));
  const newest = found.items[0];
  return newest ? { earlier: newest, count: found.total } : undefined;
}

/** One document of the import as the forms describe it: `MESSAGE_DOCUMENT` or an Outlook attachment id. */
export interface FormDocument {
  key: string;
  doc: DocumentDraft;
  template: Template;
}

/**
 * Validation: the forms against the shared rules, before anything is created
 * on the server. Answers the documents to import, or the `invalid` outcome.
 * Throws when an attachment already extracted is no longer to be extracted
 * (it cannot go back into the rewritten message).
 */
export function checkForms(
  attempt: Attempt,
  draft: MessageDraft,
  templates: readonly Template[],
  limits?: AttributeLimits,
): { documents: FormDocument[] } | Extract<FlowOutcome, { kind: 'invalid' }> {
  const chosen = Object.entries(draft.attachments).filter(([, a]) => a.extract);
  const errors: DocumentErrors = {};
  const documents: FormDocument[] = [];
  let missingTemplate = false;
  for (const { key, doc } of [{ key: MESSAGE_DOCUMENT, doc: draft.message }, ...chosen.map(([key, doc]) => ({ key, doc }))]) {
    const template = templates.find((t) => t.id === doc.templateId);
    if (!template) {
      missingTemplate = true;
      continue;
    }
    documents.push({ key, doc, template });
    const messages = validateDocument(template, doc.values, limits);
    if (Object.keys(messages).length > 0) errors[key] = messages;
  }
  const stuck = [...attempt.extracted.keys()].find((key) => !draft.attachments[key]?.extract);
  if (stuck) {
    const name = attempt.message.details.attachments.find((a) => a.id === stuck)?.name ?? stuck;
    throw new Error(`"${name}" is already a document of its own in this import. Switch Extract on for it again, or start over.`);
  }
  if (missingTemplate) return { kind: 'invalid', summary: 'Choose a template for every document.', fieldErrors: {} };
  if (Object.keys(errors).length > 0) return { kind: 'invalid', summary: 'Some fields need attention.', fieldErrors: {} };
  return { documents };
}

function formatFrom(details: Attempt['message']['details']): string | undefined {
  if (details.fromName && details.fromAddress) return `${details.fromName} <${details.fromAddress}>`;
  return details.fromAddress ?? details.fromName;
}

/** Create: the import with the message's source facts, once per attempt; answers its id. */
export async function createImport(ctx: FlowContext, attempt: Attempt): Promise<string> {
  if (attempt.importId) return attempt.importId;
  const { details } = attempt.message;
  const source = {
    internetMessageId: details.internetMessageId,
    subject: details.subject,
    from: formatFrom(details),
    receivedAt: details.receivedAt,
    conversationId: details.conversationId,
    to: details.to,
    cc: details.cc,
  };
  const created = await ctx.client.createImport(attempt.domain, { source }, callOptions(ctx));
  attempt.importId = created.id;
  record(ctx, attempt);
  return created.id;
}

/** The server's reading of document 1's EML: its attachments, and whether it is kept whole (signed or encrypted). */
export interface MessageParts {
  attachments: AttachmentInfo[];
  /** a signed or encrypted message is kept whole: its parts are copied, never removed, so part ids and twins stay */
  copies: boolean;
}

/** Upload: the EML as document 1's page, with progress; answers the server's reading of it. */
export async function uploadMessage(ctx: FlowContext, attempt: Attempt, importId: string, eml: Blob): Promise<MessageParts | undefined> {
  ctx.emit({ type: 'step', step: 'uploading', upload: { loaded: 0, total: eml.size } });
  const page = await ctx.client.uploadPage(
    attempt.domain,
    importId,
    1,
    { blob: eml, filename: 'message.eml' },
    { ...callOptions(ctx), onProgress: (upload) => ctx.emit({ type: 'step', step: 'uploading', upload }) },
  );
  attempt.uploaded = true;
  record(ctx, attempt);
  return page.meta ? { attachments: page.meta.attachments, copies: page.meta.protection !== undefined } : undefined;
}

async function readParts(ctx: FlowContext, attempt: Attempt, importId: string): Promise<MessageParts> {
  const sidecar = await ctx.client.pageMeta(attempt.domain, importId, 1, 1, callOptions(ctx));
  return { attachments: sidecar.attachments, copies: sidecar.protection !== undefined };
}

/**
 * Extraction: each chosen attachment not yet extracted into a document of its
 * own, one call each. Each Outlook attachment is paired once with a part of
 * the server's reading; before every further extraction the parts are read
 * afresh (extracting rewrites the EML and may renumber them) and the part is
 * found again by that identity.
 */
export async function extractAttachments(ctx: FlowContext, attempt: Attempt, importId: string, keys: string[], known?: MessageParts): Promise<void> {
  const pending = keys.filter((key) => !attempt.extracted.has(key));
  if (pending.length === 0) return;
  const { attachments } = attempt.message.details;
  let parts = known;
  if (!attempt.identities) {
    // Attachments extracted before a reload are no longer parts of the EML on the server.
    const read = parts ?? (await readParts(ctx, attempt, importId));
    const remaining = attachments.filter((a) => !attempt.extracted.has(a.id));
    const pairs = pairAttachments(remaining, read.attachments);
    attempt.identities = new Map([...pairs].map(([key, part]) => [key, identityOf(read.attachments, part)]));
    parts = read;
  }
  for (const [index, key] of pending.entries()) {
    const name = attachments.find((a) => a.id === key)?.name ?? key;
    ctx.emit({ type: 'step', step: 'extracting', detail: `${name} (${index + 1} of ${pending.length})` });
    const identity = attempt.identities.get(key);
    if (!identity) throw new Error(`"${name}" is not in the message as the server read it, so it cannot be extracted.`);
    parts ??= await readParts(ctx, attempt, importId);
    const extractedTwins = [...attempt.extracted.keys()].map((k) => attempt.identities?.get(k));
    const part = findPart(parts.attachments, identity, parts.copies ? 0 : countTwinsAhead(identity, extractedTwins));
    if (!part) throw new Error(`"${name}" is no longer in the message on the server, so it cannot be extracted.`);
    const document = await ctx.client.extract(attempt.domain, importId, 1, 1, [part.partId], callOptions(ctx));
    attempt.extracted.set(key, document.n);
    record(ctx, attempt);
    parts = undefined;
  }
}

/**
 * Save: every document's template and values. A 422 with field errors is
 * collected per document (the others are still saved); answers them, empty
 * when everything was accepted (the attempt is then `saved`).
 */
export async function saveDocuments(ctx: FlowContext, attempt: Attempt, importId: string, documents: readonly FormDocument[]): Promise<DocumentErrors> {
  const fieldErrors: DocumentErrors = {};
  for (const { key, doc, template } of documents) {
    const n = key === MESSAGE_DOCUMENT ? 1 : attempt.extracted.get(key);
    if (n === undefined) throw new Error(`The attachment ${key} has no document of its own yet.`);
    try {
      const body = { templateId: template.id, attributes: toAttributes(template, doc.values) };
      await ctx.client.updateDocument(attempt.domain, importId, n, body, callOptions(ctx));
    } catch (error) {
      if (!(error instanceof ApiError) || error.status !== 422 || error.fieldErrors.length === 0) throw error;
      const messages: FieldMessages = {};
      for (const fieldError of error.fieldErrors) messages[fieldError.field] ??= fieldError.message;
      fieldErrors[key] = messages;
    }
  }
  if (Object.keys(fieldErrors).length > 0) return fieldErrors;
  attempt.saved = true;
  record(ctx, attempt);
  ctx.emit({ type: 'saved' });
  return fieldErrors;
}

/**
 * Polling: follows a submitted import until the archive has answered
 * (`SUBMITTED` or `FAILED`), pausing `polling.intervalMs` (default 1 s, growing
 * to 5 s) between reads; gives up after `polling.maxPolls` (default 120), the
 * import going on in the server.
 */
export async function followUntilFinal(ctx: FlowContext, domain: string, first: Import): Promise<Import> {
  let current = first;
  let delay = ctx.polling?.intervalMs ?? 1_000;
  for (let polls = 0; current.status === 'PENDING' || current.status === 'DRAFT'; polls++) {
    if (polls >= (ctx.polling?.maxPolls ?? 120)) {
      throw new Error('The archive has not answered yet. The import goes on; check its status under Recent imports.');
    }
    ctx.emit({ type: 'step', step: 'waiting' });
    await sleep(delay, ctx.signal);
    delay = Math.min(delay * 1.5, 5_000);
    current = await ctx.client.getImport(domain, current.id, callOptions(ctx));
  }
  return current;
}

/** Submit: hands the import to the archive (idempotent on the server) and follows it to its outcome. */
export async function submitImport(ctx: FlowContext, domain: string, importId: string): Promise<Import> {
  return followUntilFinal(ctx, domain, await ctx.client.submit(domain, importId, callOptions(ctx)));
}

/**
 * Finish: a `FAILED` import is reported as it is (and stays stored, to be
 * submitted again); a `SUBMITTED` one marks the message and drops its draft.
 */
export async function finishImport(ctx: FlowContext, attempt: Attempt, result: Import): Promise<FlowOutcome> {
  if (result.status === 'FAILED') return { kind: 'failed', importId: result.id, error: result.error ?? 'The archive refused the import.' };
  const batchId = result.damisBatchId ?? '';
  const { warnings } = await attempt.message.markImported(batchId);
  ctx.store.drop(attempt.message.key);
  return { kind: 'submitted', importId: result.id, batchId, warnings };
}

/** Start over: deletes the import the attempt (or, after a reload, the store) names, best effort, and forgets it. */
export async function discardImport(ctx: FlowContext, domain: string | undefined, messageKey: string, importId: string | undefined): Promise<void> {
  const target = importId && domain ? { domain, id: importId } : ctx.store.load(messageKey);
  ctx.store.save(messageKey, undefined);
  if (!target) return;
  try {
    await ctx.client.deleteImport(target.domain, target.id);
  } catch {
    // It stays a DRAFT the owner can see in Recent imports; retention removes it in time.
  }
}
