import type { ImportSummary } from '@toa/api/imports';
import type { ApiClient } from '../../../lib/api-client';
import type { FieldMessages } from '../../../lib/attribute-values';
import type { ProgressStore } from './attempt';

/** Form errors by document: `MESSAGE_DOCUMENT` for doc 1, else the Outlook attachment id. */
export type DocumentErrors = Record<string, FieldMessages>;
export const MESSAGE_DOCUMENT = 'message';

export type ImportStep = 'resuming' | 'reading' | 'creating' | 'uploading' | 'extracting' | 'saving' | 'submitting' | 'waiting';

/** What the flow reports while it runs, in order. */
export type FlowEvent =
  /** looking for earlier imports of the message */
  | { type: 'checking' }
  /** a step began (or, for uploads and extractions, went on: `upload` in bytes, `detail` names the attachment) */
  | { type: 'step'; step: ImportStep; upload?: { loaded: number; total: number }; detail?: string }
  /** every document's template and values were accepted by the server */
  | { type: 'saved' }
  /**
   * the server refused the current step for now (429, 503 with Retry-After) or could not be reached:
   * the step is sent again, unchanged, after `seconds`; `attempt` is the one to come, of `attempts`
   */
  | { type: 'retrying'; reason: string; seconds: number; attempt: number; attempts: number };

/** How a run of the flow ended. */
export type FlowOutcome =
  /** the message was imported before; nothing was created (run again with the duplicate confirmed to go on) */
  | { kind: 'duplicate'; earlier: ImportSummary; count: number }
  /** the forms need attention: the shared rules (`fieldErrors` empty) or the server's 422 (`fieldErrors` by document) */
  | { kind: 'invalid'; summary: string; fieldErrors: DocumentErrors }
  | { kind: 'submitted'; importId: string; batchId: string; warnings: string[] }
  /** the archive refused; the import stays as it is, ready to be submitted again */
  | { kind: 'failed'; importId: string; error: string }
  /** a step failed; the attempt keeps what was done, so running it again continues there */
  | { kind: 'error'; step: ImportStep | 'checking'; error: unknown };

/** What every step works with. */
export interface FlowContext {
  client: ApiClient;
  store: ProgressStore;
  emit(event: FlowEvent): void;
  /** aborts waits and uploads (the pane closing); the run then ends with an `error` outcome */
  signal?: AbortSignal;
  /** pause between status polls in ms (grows by half each time, to 5 s) and how many polls before giving up */
  polling?: { intervalMs?: number; maxPolls?: number };
}
