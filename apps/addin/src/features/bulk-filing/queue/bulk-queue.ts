/**
 * The queue of a bulk filing: every message its own import, run by the
 * import flow's steps (`runImport`, `retrySubmit`), at most `concurrency`
 * (default 2) at a time. React-free; the pane's hook shows what `onUpdate`
 * reports.
 *
 * Nothing is filed twice: before a message's first run the server is asked
 * for earlier imports of it (`GET /import/:d?messageId=`); a submitted or
 * pending one skips the message with a note, unless it is this job's own
 * import (a reload between the archive's answer and the queue's record),
 * which is then taken as submitted. An import the queue started and a reload
 * interrupted is continued from the drafts store, as the single pane does.
 */
import type { ImportSummary } from '@toa/api/imports';
import type { AttributeLimits, Template } from '@toa/api/templates';
import type { ApiClient } from '../../../lib/api-client';
import { errorText } from '../../../lib/error-text';
import { formatDateTime } from '../../../lib/format';
import type { MessageHandle } from '../../../lib/message-handle';
import { type Attempt, newAttempt, type ProgressStore } from '../../import-flow/flow/attempt';
import type { FlowContext, FlowOutcome, ImportStep } from '../../import-flow/flow/events';
import { retrySubmit, runImport } from '../../import-flow/flow/run-import';
import { finishImport, followUntilFinal } from '../../import-flow/flow/steps';
import { type BulkItem, type BulkJob, draftOf, isPending, type JobStore } from './bulk-job';

/** What a message being filed is doing now (not stored: a reload starts its step again). */
export interface LiveProgress {
  step: ImportStep | 'checking';
  /** bytes of the upload */
  upload?: { loaded: number; total: number };
}

export interface QueueDeps {
  client: ApiClient;
  /** each message's import progress (the drafts store), so that a reload continues an import instead of starting another */
  store: ProgressStore;
  jobs: JobStore;
  /** the message behind an item, ready to be read and marked (in the pane: loaded by its item id) */
  handleFor(item: BulkItem): Promise<MessageHandle>;
  templates: readonly Template[];
  limits?: AttributeLimits;
  /** called after every change of the job or of a message's progress */
  onUpdate?(job: BulkJob, live: ReadonlyMap<string, LiveProgress>): void;
  /** stops waits and uploads (the pane closing); the messages then stay `filing`, to be resumed */
  signal?: AbortSignal;
  polling?: FlowContext['polling'];
  /** imports in flight at once; 2 */
  concurrency?: number;
}

/** Earlier imports that count as filed: the archive has them, or is being asked. */
function filedEarlier(items: readonly ImportSummary[]): ImportSummary | undefined {
  return items.find((i) => i.status === 'SUBMITTED' || i.status === 'PENDING');
}

export class BulkQueue {
  private current: BulkJob;
  private readonly live = new Map<string, LiveProgress>();
  private readonly attempts = new Map<string, Attempt>();
  private readonly running = new Set<string>();
  /** messages the archive refused whose retry was asked for: submitted again rather than run from the start */
  private readonly resubmits = new Set<string>();
  /** resolves when no message runs any more; `settle` is its resolver while messages run */
  private idle: Promise<void> = Promise.resolve();
  private settle: (() => void) | undefined;

  constructor(
    private readonly deps: QueueDeps,
    job: BulkJob,
  ) {
    this.current = job;
    deps.jobs.save(job);
  }

  get job(): BulkJob {
    return this.current;
  }

  /** Runs the queued messages (and those a reload left `filing`); resolves once none is left to run. */
  run(): Promise<void> {
    this.fill();
    return this.idle;
  }

  /** Files one stopped or refused message again, alone; the rest of the queue is not touched. */
  retry(itemId: string): Promise<void> {
    const item = this.current.items.find((i) => i.itemId === itemId);
    if (!item || (item.state !== 'failed' && item.state !== 'stopped')) return this.idle;
    if (item.state === 'failed') this.resubmits.add(itemId);
    this.update(itemId, { state: 'queued', error: undefined });
    return this.run();
  }

  private fill(): void {
    const limit = this.deps.concurrency ?? 2;
    if (this.deps.signal?.aborted) return;
    for (const item of this.current.items) {
      if (this.running.size >= limit) break;
      if (!isPending(item) || this.running.has(item.itemId)) continue;
      if (!this.settle) this.idle = new Promise((resolve) => (this.settle = resolve));
      this.running.add(item.itemId);
      void this.fileOne(item.itemId).finally(() => {
        this.running.delete(item.itemId);
        this.live.delete(item.itemId);
        this.fill();
        if (this.running.size === 0) {
          this.settle?.();
          this.settle = undefined;
        }
        this.notify();
      });
    }
  }

  private async fileOne(itemId: string): Promise<void> {
    const before = this.item(itemId);
    // A message the archive refused is submitted again as it is (the single pane's Retry).
    const resubmit = this.resubmits.delete(itemId) && before.importId !== undefined;
    this.update(itemId, { state: 'filing' });
    this.progress(itemId, { step: 'checking' });
    try {
      const handle = await this.deps.handleFor(before);
      const attempt = this.attemptFor(itemId, handle);
      const ctx = this.contextFor(itemId);
      if (resubmit) {
        this.record(itemId, await retrySubmit(ctx, attempt, before.importId as string));
        return;
      }
      const earlier = await this.filedBefore(itemId, attempt);
      if (earlier === 'skipped') return;
      const forms = { draft: draftOf(this.current, this.item(itemId)), templates: this.deps.templates, limits: this.deps.limits };
      this.record(itemId, earlier ?? (await runImport(ctx, attempt, forms)));
    } catch (error) {
      this.record(itemId, { kind: 'error', step: 'checking', error });
    }
  }

  private attemptFor(itemId: string, handle: MessageHandle): Attempt {
    const known = this.attempts.get(itemId);
    const attempt = known?.domain === this.current.domain ? known : newAttempt(this.current.domain, handle);
    attempt.message = handle;
    // The queue asks the server itself (filedBefore): an earlier DRAFT or FAILED import is no reason to stop.
    attempt.duplicateConfirmed = true;
    this.attempts.set(itemId, attempt);
    return attempt;
  }

  /**
   * Before a message's first run: an earlier submitted or pending import of it
   * skips it with a note (`'skipped'`), or, when it is the job's own (a reload
   * came between the archive's answer and the queue's record), is its
   * outcome. `undefined` when the message is to be filed (or its own import
   * continued from the drafts store).
   */
  private async filedBefore(itemId: string, attempt: Attempt): Promise<FlowOutcome | 'skipped' | undefined> {
    const item = this.item(itemId);
    const messageId = attempt.message.details.internetMessageId;
    if (attempt.importId || !messageId || this.deps.store.load(item.key)?.domain === this.current.domain) return undefined;
    const found = await this.deps.client.listImports(this.current.domain, { messageId, limit: 50 });
    const filed = filedEarlier(found.items);
    if (!filed) return undefined;
    if (filed.id === item.importId) {
      const ctx = this.contextFor(itemId);
      return finishImport(ctx, attempt, await followUntilFinal(ctx, this.current.domain, await this.deps.client.getImport(this.current.domain, filed.id)));
    }
    const batch = filed.damisBatchId ? `, batch ${filed.damisBatchId}` : '';
    const how = filed.status === 'PENDING' ? 'is being filed since' : 'was filed on';
    this.update(itemId, { state: 'skipped', note: `Skipped: this message ${how} ${formatDateTime(filed.createdAt)}${batch}.` });
    return 'skipped';
  }

  private contextFor(itemId: string): FlowContext {
    const { store } = this.deps;
    return {
      client: this.deps.client,
      // the job learns each import's id as soon as the server has it: a reload then recognises its own import
      store: {
        load: store.load,
        save: (key, progress) => {
          store.save(key, progress);
          if (progress) this.update(itemId, { importId: progress.id });
        },
        drop: store.drop,
      },
      signal: this.deps.signal,
      polling: this.deps.polling,
      emit: (event) => {
        if (event.type === 'checking') this.progress(itemId, { step: 'checking' });
        else if (event.type === 'step') this.progress(itemId, { step: event.step, upload: event.upload });
      },
    };
  }

  private record(itemId: string, outcome: FlowOutcome): void {
    switch (outcome.kind) {
      case 'submitted':
        this.attempts.delete(itemId);
        this.update(itemId, {
          state: 'submitted',
          importId: outcome.importId,
          batchId: outcome.batchId,
          note: outcome.warnings.length > 0 ? outcome.warnings.join(' ') : undefined,
          error: undefined,
        });
        return;
      case 'failed':
        this.update(itemId, { state: 'failed', importId: outcome.importId, error: outcome.error });
        return;
      case 'invalid': {
        const fields = Object.values(outcome.fieldErrors).flatMap((messages) => Object.entries(messages).map(([field, message]) => `${field}: ${message}`));
        this.update(itemId, { state: 'stopped', error: [outcome.summary, ...fields].join(' ') });
        return;
      }
      case 'duplicate':
        // not reached: the queue confirms duplicates itself (filedBefore)
        this.update(itemId, { state: 'skipped', note: 'Skipped: this message was filed before.' });
        return;
      case 'error':
        // the pane closing leaves the message `filing`: the next start resumes it
        if (this.deps.signal?.aborted) return;
        this.update(itemId, { state: 'stopped', error: errorText(outcome.error) });
    }
  }

  private item(itemId: string): BulkItem {
    const item = this.current.items.find((i) => i.itemId === itemId);
    if (!item) throw new Error(`no message ${itemId} in the queue`);
    return item;
  }

  private update(itemId: string, change: Partial<BulkItem>): void {
    this.current = { ...this.current, items: this.current.items.map((i) => (i.itemId === itemId ? { ...i, ...change } : i)) };
    this.deps.jobs.save(this.current);
    this.notify();
  }

  private progress(itemId: string, progress: LiveProgress): void {
    this.live.set(itemId, progress);
    this.notify();
  }

  private notify(): void {
    this.deps.onUpdate?.(this.current, this.live);
  }
}
