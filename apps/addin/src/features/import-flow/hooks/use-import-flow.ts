import type { AttachmentInfo, Import, ImportSummary, Sidecar } from '@toa/api/imports';
import type { Template } from '@toa/api/templates';
import { useCallback, useEffect, useRef, useState } from 'react';
import { ApiError, type ApiClient } from '../../../lib/api-client';
import { useApiClient } from '../../../lib/api-client-context';
import { type FieldMessages, toAttributes, validateDocument } from '../../../lib/attribute-values';
import { deleteDraft, type ImportProgress, loadImportProgress, type MessageDraft, saveImportProgress } from '../../../lib/drafts';
import { errorText } from '../../../lib/error-text';
import {
  type CurrentMessage,
  type MessageAttachment,
  markMessageImported,
  messageKeyOf,
  readCurrentMessage,
  readMessageEml,
} from '../../../lib/office/mailbox';
import { sleep } from '../../../lib/retry';
import { countTwinsAhead, findPart, identityOf, type PartIdentity, pairAttachments, pairDocuments } from '../api/match-attachments';

/** Form errors by document: `MESSAGE_DOCUMENT` for doc 1, else the Outlook attachment id. */
export type DocumentErrors = Record<string, FieldMessages>;
export const MESSAGE_DOCUMENT = 'message';

export type ImportStep = 'resuming' | 'reading' | 'creating' | 'uploading' | 'extracting' | 'saving' | 'submitting' | 'waiting';

export type FlowState =
  | { phase: 'idle' }
  | { phase: 'checking' }
  | { phase: 'duplicate'; earlier: ImportSummary; count: number }
  | { phase: 'running'; step: ImportStep; upload?: { loaded: number; total: number }; detail?: string }
  /** the forms need attention (client rules or the server's 422) */
  | { phase: 'invalid'; summary: string }
  /** a step failed; progress is kept, so "Try again" continues where it stopped */
  | { phase: 'error'; message: string; step: ImportStep | 'checking' }
  | { phase: 'submitted'; importId: string; batchId: string; warnings: string[] }
  | { phase: 'failed'; importId: string; error: string };

export interface ImportFlowInput {
  domain: string | undefined;
  /** identifies the message the form belongs to (internetMessageId, else item id) */
  messageKey: string | undefined;
  message: CurrentMessage | undefined;
  draft: MessageDraft;
  templates: readonly Template[];
}

export interface ImportFlowOptions {
  /** pause between status polls; grows to 5 s */
  pollIntervalMs?: number;
  /** polls before the pane stops waiting (the import goes on in the server) */
  maxPolls?: number;
}

/**
 * What has been done on the server for the current attempt, so a retry never
 * repeats a creating call. Mirrored into the message's draft (`ImportProgress`)
 * so that a reload of the pane continues the import too.
 */
interface Progress {
  domain: string;
  messageKey: string;
  importId?: string;
  /** document 1 has the EML */
  uploaded: boolean;
  /**
   * Outlook attachment id → server identity of its MIME part, fixed at the first
   * pairing (against the EML as it was then: after a reload, without the parts
   * extracted before it)
   */
  identities?: Map<string, PartIdentity>;
  /** Outlook attachment id → number of the document it became */
  extracted: Map<string, number>;
  saved: boolean;
  /** the user chose to import a message that was imported before */
  duplicateConfirmed?: boolean;
}

function newProgress(domain: string, messageKey: string): Progress {
  return { domain, messageKey, uploaded: false, extracted: new Map(), saved: false };
}

/**
 * Takes up an import a reload left behind. The server's documents decide what
 * is done; the stored record only says which attachment became which document.
 */
function resumeProgress(done: Progress, found: Import, stored: ImportProgress, attachments: readonly MessageAttachment[]): void {
  done.importId = found.id;
  done.uploaded = (found.documents.find((d) => d.n === 1)?.pages.length ?? 0) > 0;
  const numbers = new Set(found.documents.map((d) => d.n));
  done.extracted = new Map(Object.entries(stored.extracted).filter(([, n]) => numbers.has(n)));
  // An extraction whose answer never arrived left a document no stored number names.
  const known = new Set(done.extracted.values());
  const unrecorded = found.documents.filter((d) => d.origin?.document === 1 && !known.has(d.n));
  const left = attachments.filter((a) => !done.extracted.has(a.id));
  for (const [key, n] of pairDocuments(left, unrecorded)) done.extracted.set(key, n);
  done.identities = undefined;
  done.saved = false;
}

async function getIfExists(client: ApiClient, domain: string, id: string): Promise<Import | undefined> {
  try {
    return await client.getImport(domain, id);
  } catch (error) {
    if (error instanceof ApiError && error.code === 'IMPORT_NOT_FOUND') return undefined;
    throw error;
  }
}

function formatFrom(message: CurrentMessage): string | undefined {
  if (message.fromName && message.fromAddress) return `${message.fromName} <${message.fromAddress}>`;
  return message.fromAddress ?? message.fromName;
}

export function useImportFlow(input: ImportFlowInput, options: ImportFlowOptions = {}) {
  const client = useApiClient();
  const [state, setState] = useState<FlowState>({ phase: 'idle' });
  const [serverErrors, setServerErrors] = useState<DocumentErrors>({});
  const [showAllErrors, setShowAllErrors] = useState(false);
  const latest = useRef(input);
  latest.current = input;
  const progress = useRef<Progress | undefined>(undefined);
  const busy = useRef(false);
  const alive = useRef(new AbortController());
  // The import the stored draft of the shown message names, for the "continues" hint.
  const [stored, setStored] = useState(() => (input.messageKey ? loadImportProgress(input.messageKey) : undefined));

  useEffect(() => {
    const controller = new AbortController();
    alive.current = controller;
    return () => controller.abort();
  }, []);

  // Another message or domain is another import: forget the server-side progress, keep the drafts.
  // biome-ignore lint/correctness/useExhaustiveDependencies: the message and domain are the trigger, not inputs
  useEffect(() => {
    setStored(input.messageKey ? loadImportProgress(input.messageKey) : undefined);
    if (busy.current) return;
    progress.current = undefined;
    setState({ phase: 'idle' });
    setServerErrors({});
    setShowAllErrors(false);
  }, [input.messageKey, input.domain]);

  const persist = useCallback((done: Progress) => {
    if (!done.importId) return;
    const record: ImportProgress = {
      domain: done.domain,
      id: done.importId,
      uploaded: done.uploaded,
      extracted: Object.fromEntries(done.extracted),
      saved: done.saved,
    };
    saveImportProgress(done.messageKey, record);
    if (latest.current.messageKey === done.messageKey) setStored(record);
  }, []);

  /** Forgets the stored import of a message; `withForm` drops its whole draft (the archive has it). */
  const forget = useCallback((messageKey: string, withForm: boolean) => {
    if (withForm) deleteDraft(messageKey);
    else saveImportProgress(messageKey, undefined);
    if (latest.current.messageKey === messageKey) setStored(undefined);
  }, []);

  const pollUntilFinal = useCallback(
    async (domain: string, first: Import): Promise<Import> => {
      let current = first;
      let delay = options.pollIntervalMs ?? 1_000;
      for (let polls = 0; current.status === 'PENDING' || current.status === 'DRAFT'; polls++) {
        if (polls >= (options.maxPolls ?? 120)) {
          throw new Error('The archive has not answered yet. The import goes on; check its status under Recent imports.');
        }
        setState({ phase: 'running', step: 'waiting' });
        await sleep(delay, alive.current.signal);
        delay = Math.min(delay * 1.5, 5_000);
        current = await client.getImport(domain, current.id, alive.current.signal);
      }
      return current;
    },
    [client, options.pollIntervalMs, options.maxPolls],
  );

  const finish = useCallback(
    async (result: Import, messageKey: string) => {
      if (result.status === 'FAILED') {
        setState({ phase: 'failed', importId: result.id, error: result.error ?? 'The archive refused the import.' });
        return;
      }
      const batchId = result.damisBatchId ?? '';
      // A pinned pane may have moved on: only the message that was imported gets marked.
      const warnings =
        messageKeyOf(readCurrentMessage()) === messageKey
          ? (await markMessageImported(batchId)).warnings
          : ['Another message is selected now, so the imported one was not marked in Outlook.'];
      progress.current = undefined;
      forget(messageKey, true);
      setState({ phase: 'submitted', importId: result.id, batchId, warnings });
    },
    [forget],
  );

  const run = useCallback(
    async (skipDuplicateCheck: boolean) => {
      const { domain, draft, templates, messageKey } = latest.current;
      if (!domain || !messageKey || busy.current) return;
      const templateOf = (id: string | undefined) => templates.find((t) => t.id === id);

      busy.current = true;
      let step: ImportStep | 'checking' = 'checking';
      try {
        // Re-read the item: a pinned pane may show a form for a message that is no longer selected.
        const message = readCurrentMessage();
        if (messageKeyOf(message) !== messageKey || !message) {
          throw new Error('The selected message changed. Check the form for the message now selected and import again.');
        }
        if (progress.current?.messageKey !== messageKey || progress.current.domain !== domain) {
          progress.current = newProgress(domain, messageKey);
        }
        const done = progress.current;
        if (skipDuplicateCheck) done.duplicateConfirmed = true;

        // After a reload, only the draft knows the import this message got as far as.
        const earlierRun = done.importId ? undefined : loadImportProgress(messageKey);
        if (earlierRun?.domain === domain) {
          step = 'resuming';
          setState({ phase: 'running', step });
          const found = await getIfExists(client, domain, earlierRun.id);
          if (!found) {
            forget(messageKey, false);
          } else if (found.status === 'PENDING' || found.status === 'SUBMITTED') {
            // It was submitted before the reload: follow it rather than import the message twice.
            await finish(await pollUntilFinal(domain, found), messageKey);
            return;
          } else {
            resumeProgress(done, found, earlierRun, message.attachments);
            persist(done);
          }
        }

        if (!done.importId && !done.duplicateConfirmed && message.internetMessageId) {
          setState({ phase: 'checking' });
          const earlier = await client.listImports(domain, { messageId: message.internetMessageId, limit: 5 });
          const newest = earlier.items[0];
          if (newest) {
            setState({ phase: 'duplicate', earlier: newest, count: earlier.total });
            return;
          }
        }

        // The forms must pass the shared rules before anything is created on the server.
        const chosen = Object.entries(draft.attachments).filter(([, a]) => a.extract);
        const errors: DocumentErrors = {};
        const documents = [{ key: MESSAGE_DOCUMENT, doc: draft.message }, ...chosen.map(([key, doc]) => ({ key, doc }))];
        let missingTemplate = false;
        for (const { key, doc } of documents) {
          const template = templateOf(doc.templateId);
          if (!template) {
            missingTemplate = true;
            continue;
          }
          const messages = validateDocument(template, doc.values);
          if (Object.keys(messages).length > 0) errors[key] = messages;
        }
        // An extracted attachment cannot go back into the rewritten message.
        const stuck = [...done.extracted.keys()].find((key) => !draft.attachments[key]?.extract);
        if (stuck) {
          const name = message.attachments.find((a) => a.id === stuck)?.name ?? stuck;
          throw new Error(`"${name}" is already a document of its own in this import. Switch Extract on for it again, or start over.`);
        }
        if (missingTemplate || Object.keys(errors).length > 0) {
          setShowAllErrors(true);
          setServerErrors({});
          setState({
            phase: 'invalid',
            summary: missingTemplate ? 'Choose a template for every document.' : 'Some fields need attention.',
          });
          return;
        }

        step = 'reading';
        setState({ phase: 'running', step });
        const eml = done.uploaded ? undefined : await readMessageEml();

        if (!done.importId) {
          step = 'creating';
          setState({ phase: 'running', step });
          const created = await client.createImport(domain, {
            source: {
              internetMessageId: message.internetMessageId,
              subject: message.subject,
              from: formatFrom(message),
              receivedAt: message.receivedAt,
            },
          });
          done.importId = created.id;
          persist(done);
        }
        const importId = done.importId;

        /** doc 1's sidecar as last read; every extraction makes it stale */
        let meta: AttachmentInfo[] | undefined;
        /** a signed or encrypted message is kept whole: its parts are copied, never removed, so part ids and twins stay */
        let copies = false;
        const readMeta = async (): Promise<AttachmentInfo[]> => {
          const sidecar: Sidecar = await client.pageMeta(domain, importId, 1, 1);
          copies = sidecar.protection !== undefined;
          return sidecar.attachments;
        };
        if (!done.uploaded && eml) {
          step = 'uploading';
          setState({ phase: 'running', step, upload: { loaded: 0, total: eml.size } });
          const page = await client.uploadPage(
            domain,
            importId,
            1,
            { blob: eml, filename: 'message.eml' },
            {
              onProgress: (upload) => setState({ phase: 'running', step: 'uploading', upload }),
              signal: alive.current.signal,
            },
          );
          done.uploaded = true;
          meta = page.meta?.attachments;
          copies = page.meta?.protection !== undefined;
          persist(done);
        }

        const pending = chosen.filter(([key]) => !done.extracted.has(key));
        if (pending.length > 0) {
          step = 'extracting';
          if (!done.identities) {
            // Attachments extracted before a reload are no longer parts of the EML on the server.
            const parts = meta ?? (await readMeta());
            const remaining = message.attachments.filter((a) => !done.extracted.has(a.id));
            const pairs = pairAttachments(remaining, parts);
            done.identities = new Map([...pairs].map(([key, part]) => [key, identityOf(parts, part)]));
            meta = parts;
          }
          for (const [index, [key]] of pending.entries()) {
            const name = message.attachments.find((a) => a.id === key)?.name ?? key;
            setState({ phase: 'running', step, detail: `${name} (${index + 1} of ${pending.length})` });
            const identity = done.identities.get(key);
            if (!identity) throw new Error(`"${name}" is not in the message as the server read it, so it cannot be extracted.`);
            // Extracting rewrites the EML and may renumber its parts: read them afresh every time.
            meta ??= await readMeta();
            const extractedTwins = [...done.extracted.keys()].map((k) => done.identities?.get(k));
            const part = findPart(meta, identity, copies ? 0 : countTwinsAhead(identity, extractedTwins));
            if (!part) throw new Error(`"${name}" is no longer in the message on the server, so it cannot be extracted.`);
            const document = await client.extract(domain, importId, 1, 1, [part.partId]);
            done.extracted.set(key, document.n);
            persist(done);
            meta = undefined;
          }
        }

        step = 'saving';
        setState({ phase: 'running', step });
        const fieldErrors: DocumentErrors = {};
        for (const { key, doc } of documents) {
          const template = templateOf(doc.templateId) as Template;
          const n = key === MESSAGE_DOCUMENT ? 1 : (done.extracted.get(key) as number);
          try {
            await client.updateDocument(domain, importId, n, { templateId: template.id, attributes: toAttributes(template, doc.values) });
          } catch (error) {
            if (!(error instanceof ApiError) || error.status !== 422 || error.fieldErrors.length === 0) throw error;
            const messages: FieldMessages = {};
            for (const fieldError of error.fieldErrors) messages[fieldError.field] ??= fieldError.message;
            fieldErrors[key] = messages;
          }
        }
        if (Object.keys(fieldErrors).length > 0) {
          setServerErrors(fieldErrors);
          setShowAllErrors(true);
          setState({ phase: 'invalid', summary: 'The server did not accept some values. Correct them and import again.' });
          return;
        }
        setServerErrors({});
        done.saved = true;
        persist(done);

        step = 'submitting';
        setState({ phase: 'running', step });
        const result = await pollUntilFinal(domain, await client.submit(domain, importId));
        await finish(result, messageKey);
      } catch (error) {
        if (alive.current.signal.aborted) return;
        setState({ phase: 'error', message: errorText(error), step });
      } finally {
        busy.current = false;
      }
    },
    [client, finish, forget, persist, pollUntilFinal],
  );

  /** Resubmits an import the archive refused; the server keeps it as it was. */
  const retrySubmit = useCallback(async () => {
    const { domain, messageKey } = latest.current;
    if (state.phase !== 'failed' || !domain || !messageKey || busy.current) return;
    busy.current = true;
    try {
      setState({ phase: 'running', step: 'submitting' });
      const result = await pollUntilFinal(domain, await client.submit(domain, state.importId));
      await finish(result, messageKey);
    } catch (error) {
      if (!alive.current.signal.aborted) setState({ phase: 'error', message: errorText(error), step: 'submitting' });
    } finally {
      busy.current = false;
    }
  }, [client, finish, pollUntilFinal, state]);

  /** Drops the half-made import (best effort) so the next attempt starts clean. */
  const startOver = useCallback(async () => {
    const done = progress.current;
    progress.current = undefined;
    setState({ phase: 'idle' });
    const messageKey = done?.messageKey ?? latest.current.messageKey;
    if (!messageKey) return;
    // Memory knows the import unless the pane reloaded; then only the draft does.
    const target = done?.importId ? { domain: done.domain, id: done.importId } : loadImportProgress(messageKey);
    forget(messageKey, false);
    if (target) await deleteQuietly(client, target.domain, target.id);
  }, [client, forget]);

  return {
    state,
    /** an unfinished import of this message in this domain, which Import continues */
    resumable: stored?.domain === input.domain ? stored : undefined,
    serverErrors,
    showAllErrors,
    start: () => run(false),
    importAgain: () => run(true),
    cancelDuplicate: () => setState({ phase: 'idle' }),
    retrySubmit,
    startOver,
  };
}

async function deleteQuietly(client: ApiClient, domain: string, id: string): Promise<void> {
  try {
    await client.deleteImport(domain, id);
  } catch {
    // It stays a DRAFT the owner can see in Recent imports; retention removes it in time.
  }
}
