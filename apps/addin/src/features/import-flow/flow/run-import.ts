import type { AttributeLimits, Template } from '@toa/api/templates';
import type { MessageDraft } from '../../../lib/drafts';
import type { Attempt } from './attempt';
import { type FlowContext, type FlowOutcome, type ImportStep, MESSAGE_DOCUMENT } from './events';
import {
  checkForms,
  createImport,
  extractAttachments,
  findEarlierImport,
  finishImport,
  followUntilFinal,
  type MessageParts,
  resumeStored,
  saveDocuments,
  submitImport,
  uploadMessage,
} from './steps';

/** The forms of the message: the draft the user filled in and the domain's templates. */
export interface ImportForms {
  draft: MessageDraft;
  templates: readonly Template[];
  /** the server's limits on values (`GET …/templates`), checked with the templates' rules */
  limits?: AttributeLimits;
}

/**
 * Runs the steps that `attempt` has not done yet, in order: resume (after a
 * reload), duplicate check, validation, reading the EML, create, upload,
 * extraction, save, submit and polling, then the mark on the message. Reports
 * progress through `ctx.emit`; never throws: a failed step is the `error`
 * outcome, with the attempt keeping what was done so that running it again
 * continues there. React-free: the pane's hook maps the events and the outcome
 * to its screen, and any caller can run it for any message handle.
 */
export async function runImport(ctx: FlowContext, attempt: Attempt, forms: ImportForms): Promise<FlowOutcome> {
  /** the step a failure is reported under: the last one begun (waiting belongs to submitting) */
  let step: ImportStep | 'checking' = 'checking';
  const flow: FlowContext = {
    ...ctx,
    emit: (event) => {
      if (event.type === 'step' && event.step !== 'waiting') step = event.step;
      ctx.emit(event);
    },
  };
  const begin = (next: ImportStep) => flow.emit({ type: 'step', step: next });
  try {
    const submitted = await resumeStored(flow, attempt);
    if (submitted) return await finishImport(flow, attempt, await followUntilFinal(flow, attempt.domain, submitted));

    const duplicate = await findEarlierImport(flow, attempt);
    if (duplicate) return { kind: 'duplicate', ...duplicate };

    const checked = checkForms(attempt, forms.draft, forms.templates, forms.limits);
    if ('kind' in checked) return checked;

    begin('reading');
    const eml = attempt.uploaded ? undefined : await attempt.message.readEml();

    if (!attempt.importId) begin('creating');
    const importId = await createImport(flow, attempt);

    let parts: MessageParts | undefined;
    if (!attempt.uploaded && eml) parts = await uploadMessage(flow, attempt, importId, eml);

    const chosen = checked.documents.map((d) => d.key).filter((key) => key !== MESSAGE_DOCUMENT);
    await extractAttachments(flow, attempt, importId, chosen, parts);

    begin('saving');
    const fieldErrors = await saveDocuments(flow, attempt, importId, checked.documents);
    if (Object.keys(fieldErrors).length > 0) {
      return { kind: 'invalid', summary: 'The server did not accept some values. Correct them and import again.', fieldErrors };
    }

    begin('submitting');
    return await finishImport(flow, attempt, await submitImport(flow, attempt.domain, importId));
  } catch (error) {
    return { kind: 'error', step, error };
  }
}

/** Submits an import the archive refused once more (the server keeps it as it was) and follows it to its outcome. */
export async function retrySubmit(ctx: FlowContext, attempt: Attempt, importId: string): Promise<FlowOutcome> {
  try {
    ctx.emit({ type: 'step', step: 'submitting' });
    return await finishImport(ctx, attempt, await submitImport(ctx, attempt.domain, importId));
  } catch (error) {
    return { kind: 'error', step: 'submitting', error };
  }
}
