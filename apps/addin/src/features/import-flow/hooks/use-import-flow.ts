import type { ImportSummary } from '@toa/api/imports';
import type { AttributeLimits, Template } from '@toa/api/templates';
import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { useApiClient } from '../../../lib/api-client-context';
import { loadImportProgress, type MessageDraft } from '../../../lib/drafts';
import { errorText } from '../../../lib/error-text';
import { type CurrentMessage, currentMessageHandle, SELECTION_CHANGED } from '../../../lib/office/mailbox';
import { type Attempt, draftStore, newAttempt, type ProgressStore } from '../flow/attempt';
import { type DocumentErrors, type FlowContext, type FlowEvent, type FlowOutcome, type ImportStep, MESSAGE_DOCUMENT } from '../flow/events';
import { retrySubmit as retryFlow, runImport } from '../flow/run-import';
import { discardImport } from '../flow/steps';

export { type DocumentErrors, type ImportStep, MESSAGE_DOCUMENT };

/** The server refused the step for now (or could not be reached): it is sent again at `until`. */
export interface RetryNote {
  reason: string;
  /** when the next attempt goes out (ms since the epoch) */
  until: number;
  /** the attempt to come, of `attempts` */
  attempt: number;
  attempts: number;
}

export type FlowState =
  | { phase: 'idle' }
  | { phase: 'checking'; retry?: RetryNote }
  | { phase: 'duplicate'; earlier: ImportSummary; count: number }
  | { phase: 'running'; step: ImportStep; upload?: { loaded: number; total: number }; detail?: string; retry?: RetryNote }
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
  /** the server's limits on values, checked before anything is created */
  limits?: AttributeLimits;
}

export interface ImportFlowOptions {
  /** pause between status polls; grows to 5 s */
  pollIntervalMs?: number;
  /** polls before the pane stops waiting (the import goes on in the server) */
  maxPolls?: number;
}

/**
 * The import flow (`../flow`) for the message on screen: runs it for the
 * selected message and maps its events and outcome to what the pane shows.
 * The attempt is kept between tries, so "Try again" continues it; another
 * message or domain starts a new one.
 */
export function useImportFlow(input: ImportFlowInput, options: ImportFlowOptions = {}) {
  const client = useApiClient();
  const [state, setState] = useState<FlowState>({ phase: 'idle' });
  const [serverErrors, setServerErrors] = useState<DocumentErrors>({});
  const [showAllErrors, setShowAllErrors] = useState(false);
  const latest = useRef(input);
  latest.current = input;
  const attempt = useRef<Attempt | undefined>(undefined);
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
    attempt.current = undefined;
    setState({ phase: 'idle' });
    setServerErrors({});
    setShowAllErrors(false);
  }, [input.messageKey, input.domain]);

  /** The drafts' store, telling the screen when the shown message's stored import changes. */
  const store = useMemo<ProgressStore>(() => {
    const drafts = draftStore();
    const shown = (messageKey: string, progress: ReturnType<ProgressStore['load']>) => {
      if (latest.current.messageKey === messageKey) setStored(progress);
    };
    return {
      load: drafts.load,
      save: (messageKey, progress) => {
        drafts.save(messageKey, progress);
        shown(messageKey, progress);
      },
      drop: (messageKey) => {
        drafts.drop(messageKey);
        shown(messageKey, undefined);
      },
    };
  }, []);

  const context = useCallback(
    (): FlowContext => ({
      client,
      store,
      signal: alive.current.signal,
      polling: { intervalMs: options.pollIntervalMs, maxPolls: options.maxPolls },
      emit: (event: FlowEvent) => {
        if (event.type === 'checking') setState({ phase: 'checking' });
        else if (event.type === 'saved') setServerErrors({});
        else if (event.type === 'retrying') {
          const { reason, seconds, attempt, attempts } = event;
          const retry = { reason, until: Date.now() + seconds * 1000, attempt, attempts };
          // the step stays on screen, with the pause under it until the step reports again
          setState((shown) => (shown.phase === 'running' || shown.phase === 'checking' ? { ...shown, retry } : shown));
        } else {
          const { type: _type, ...running } = event;
          setState({ phase: 'running', ...running });
        }
      },
    }),
    [client, store, options.pollIntervalMs, options.maxPolls],
  );

  const show = useCallback((outcome: FlowOutcome) => {
    switch (outcome.kind) {
      case 'duplicate':
        setState({ phase: 'duplicate', earlier: outcome.earlier, count: outcome.count });
        return;
      case 'invalid':
        setServerErrors(outcome.fieldErrors);
        setShowAllErrors(true);
        setState({ phase: 'invalid', summary: outcome.summary });
        return;
      case 'submitted':
        attempt.current = undefined;
        setState({ phase: 'submitted', importId: outcome.importId, batchId: outcome.batchId, warnings: outcome.warnings });
        return;
      case 'failed':
        setState({ phase: 'failed', importId: outcome.importId, error: outcome.error });
        return;
      case 'error':
        // the pane is closing: nothing left to show
        if (!alive.current.signal.aborted) setState({ phase: 'error', message: errorText(outcome.error), step: outcome.step });
    }
  }, []);

  const run = useCallback(
    async (confirmDuplicate: boolean) => {
      const { domain, draft, templates, limits, messageKey } = latest.current;
      if (!domain || !messageKey || busy.current) return;
      busy.current = true;
      try {
        // Re-read the item: a pinned pane may show a form for a message that is no longer selected.
        const message = currentMessageHandle();
        if (!message || message.key !== messageKey) {
          setState({ phase: 'error', message: SELECTION_CHANGED, step: 'checking' });
          return;
        }
        if (attempt.current?.message.key !== messageKey || attempt.current.domain !== domain) attempt.current = newAttempt(domain, message);
        const current = attempt.current;
        current.message = message;
        if (confirmDuplicate) current.duplicateConfirmed = true;
        show(await runImport(context(), current, { draft, templates, limits }));
      } finally {
        busy.current = false;
      }
    },
    [context, show],
  );

  /** Resubmits an import the archive refused; the server keeps it as it was. */
  const retrySubmit = useCallback(async () => {
    const { domain, messageKey } = latest.current;
    if (state.phase !== 'failed' || !domain || !messageKey || busy.current) return;
    const message = attempt.current?.message ?? currentMessageHandle();
    if (!message) return;
    busy.current = true;
    try {
      show(await retryFlow(context(), attempt.current ?? newAttempt(domain, message), state.importId));
    } finally {
      busy.current = false;
    }
  }, [context, show, state]);

  /** Drops the half-made import (best effort) so the next attempt starts clean. */
  const startOver = useCallback(async () => {
    const done = attempt.current;
    attempt.current = undefined;
    setState({ phase: 'idle' });
    const messageKey = done?.message.key ?? latest.current.messageKey;
    if (!messageKey) return;
    // Memory knows the import unless the pane reloaded; then only the draft does.
    await discardImport(context(), done?.domain, messageKey, done?.importId);
  }, [context]);

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
