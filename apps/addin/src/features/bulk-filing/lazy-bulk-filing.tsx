import { Button, MessageBar, MessageBarActions, MessageBarBody, Spinner } from '@fluentui/react-components';
import { lazy, Suspense, useMemo, useState } from 'react';
import { ViewBoundary } from '../../components/view-boundary';
import { errorText } from '../../lib/error-text';
import type { BulkFilingProps } from './components/bulk-filing';
import bulkFilingChunk from './components/bulk-filing?chunk-url';

/** The bulk filing code could not be fetched (offline, a new version deployed meanwhile): worth a Retry. */
class BulkFilingLoadError extends Error {
  constructor(cause: unknown) {
    super('TOA could not load the filing of several messages. Check your network connection, then try again.', { cause });
    this.name = 'BulkFilingLoadError';
  }
}

/**
 * The bulk filing's chunk; `attempt` 1, 2, … after failed loads asks for it at
 * another URL, since the browser keeps a failed module load for good (HTML's
 * module map) and would fail the same URL again without asking the server.
 */
function loadBulkFiling(attempt: number) {
  const load =
    attempt === 0
      ? import('./components/bulk-filing')
      : (import(/* @vite-ignore */ `${bulkFilingChunk}?attempt=${attempt}`) as Promise<typeof import('./components/bulk-filing')>);
  return load.catch((cause: unknown) => {
    throw new BulkFilingLoadError(cause);
  });
}

/**
 * `BulkFiling`, its code (form, queue, stored job) a chunk of its own loaded
 * the first time it is shown — when several messages are first selected, or
 * a reload left a job to resume — so the pane for one message does not wait
 * for it. A failed load or render says so with Retry, which loads the chunk
 * again; the pane for one message stays usable beside it while at most one
 * message is selected. Nothing typed is lost: the forms keep their drafts.
 */
export function LazyBulkFiling(props: BulkFilingProps) {
  const [attempt, setAttempt] = useState(0);
  // React.lazy keeps a failed load too: each Retry is a new lazy component
  const View = useMemo(() => lazy(() => loadBulkFiling(attempt)), [attempt]);
  return (
    <ViewBoundary
      onRetry={() => setAttempt((n) => n + 1)}
      fallback={(error, retry) => (
        <>
          <MessageBar intent="error">
            <MessageBarBody>{error instanceof BulkFilingLoadError ? error.message : `Filing several messages failed: ${errorText(error)}`}</MessageBarBody>
            <MessageBarActions>
              <Button onClick={retry}>Retry</Button>
            </MessageBarActions>
          </MessageBar>
          {props.selection.messages.length <= 1 && props.children}
        </>
      )}
    >
      <Suspense fallback={<Spinner size="tiny" label="Loading the filing of several messages…" />}>
        <View {...props} />
      </Suspense>
    </ViewBoundary>
  );
}
