import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { useApiClient } from '../../../lib/api-client-context';
import { errorText } from '../../../lib/error-text';
import { readMessageDetails, selectedMessageHandle } from '../../../lib/office/selection';
import { draftStore } from '../../import-flow/flow/attempt';
import { type BulkJob, isPending, localJobStore } from '../queue/bulk-job';
import { BulkQueue, type LiveProgress } from '../queue/bulk-queue';

export interface BulkView {
  /** the bulk filing under way or last finished, until the user closes it */
  job?: BulkJob;
  live: ReadonlyMap<string, LiveProgress>;
  /** why the queue could not start (the domain's templates did not load) */
  error?: string;
}

/** A selected message, loaded by its item id, as the import flow's handle. */
async function loadHandle(itemId: string) {
  return selectedMessageHandle({ ...(await readMessageDetails(itemId)), itemId });
}

/**
 * The bulk filing queue for the pane: starts a job, shows its progress,
 * retries one message, and resumes a job a closed or reloaded pane left in
 * localStorage as soon as the pane opens again.
 */
export function useBulkFiling() {
  const client = useApiClient();
  const jobs = useMemo(() => localJobStore(), []);
  const [view, setView] = useState<BulkView>(() => ({ job: jobs.load(), live: new Map() }));
  const queue = useRef<BulkQueue | undefined>(undefined);
  const alive = useRef(new AbortController());

  useEffect(() => {
    const controller = new AbortController();
    alive.current = controller;
    return () => controller.abort(new Error('the pane closed'));
  }, []);

  /** The queue of `job`, made once per pane: the domain's templates are what the flow checks the values with. */
  const queueFor = useCallback(
    async (job: BulkJob): Promise<BulkQueue | undefined> => {
      if (queue.current) return queue.current;
      try {
        const { templates, limits } = await client.templates(job.domain);
        queue.current = new BulkQueue(
          {
            client,
            store: draftStore(),
            jobs,
            handleFor: (item) => loadHandle(item.itemId),
            templates,
            limits,
            signal: alive.current.signal,
            onUpdate: (next, live) => setView({ job: next, live: new Map(live) }),
          },
          job,
        );
        return queue.current;
      } catch (error) {
        setView({ job, live: new Map(), error: `The queue cannot run: the templates of ${job.domain} did not load (${errorText(error)}).` });
        return undefined;
      }
    },
    [client, jobs],
  );

  const start = useCallback(
    async (job: BulkJob) => {
      queue.current = undefined;
      jobs.save(job);
      setView({ job, live: new Map() });
      await (await queueFor(job))?.run();
    },
    [jobs, queueFor],
  );

  // A job the pane left unfinished goes on by itself: the user asked for it to be filed.
  // biome-ignore lint/correctness/useExhaustiveDependencies: only when the pane opens
  useEffect(() => {
    const stored = jobs.load();
    if (stored?.items.some(isPending)) void queueFor(stored).then((q) => q?.run());
  }, []);

  const retry = useCallback(
    async (itemId: string) => {
      const job = view.job;
      if (job) await (await queueFor(job))?.retry(itemId);
    },
    [queueFor, view.job],
  );

  /** Forgets a finished job: the pane shows the selection again. False while messages of the job are still to be filed. */
  const close = useCallback((): boolean => {
    if (view.job?.items.some(isPending)) return false;
    jobs.clear();
    queue.current = undefined;
    setView({ live: new Map() });
    return true;
  }, [jobs, view.job]);

  return { ...view, start, retry, close };
}
