import { MessageBar, MessageBarBody } from '@fluentui/react-components';
import type { Attributes } from '@toa/api/imports';
import type { AttributeLimits, Template } from '@toa/api/templates';
import type { ReactNode } from 'react';
import type { Selection } from '../../../hooks/use-selected-messages';
import { useBulkFiling } from '../hooks/use-bulk-filing';
import { BulkForm } from './bulk-form';
import { BulkQueueView } from './bulk-queue-view';

export interface BulkFilingProps {
  selection: Selection;
  /** the domain picker and the state of the domain's templates, as the pane for one message shows them */
  header: ReactNode;
  /** the chosen domain and its templates, once they are in: what the bulk form files with */
  form?: { domain: string; templates: readonly Template[]; limits?: AttributeLimits; lastValues?: Readonly<Record<string, Attributes>> };
  /** a finished bulk filing was closed: what it filed belongs in the history and the last values */
  onClosed: () => void;
  /** the pane for one message, shown while no bulk filing runs and at most one message is selected */
  children: ReactNode;
}

/**
 * Filing several messages: the queue of a bulk filing under way (or one a
 * reload left), else with several messages selected the bulk form, else the
 * pane for one message. A chunk of its own (`lazy-bulk-filing.tsx`), loaded
 * when several messages are first selected or a job is to be resumed.
 */
export default function BulkFiling({ selection, header, form, onClosed, children }: BulkFilingProps) {
  const bulk = useBulkFiling();

  if (bulk.job) {
    return (
      <BulkQueueView
        job={bulk.job}
        live={bulk.live}
        error={bulk.error}
        onRetry={(itemId) => void bulk.retry(itemId)}
        onClose={() => {
          if (bulk.close()) onClosed();
        }}
      />
    );
  }
  if (selection.messages.length <= 1) return children;
  if (selection.unsupported) {
    return (
      <MessageBar intent="warning">
        <MessageBarBody>{selection.unsupported}</MessageBarBody>
      </MessageBar>
    );
  }
  return (
    <>
      {header}
      {form && (
        <BulkForm
          key={`${form.domain}\n${selection.messages.map((m) => m.itemId).join('\n')}`}
          domain={form.domain}
          templates={form.templates}
          limits={form.limits}
          lastValues={form.lastValues}
          selection={selection.messages}
          onStart={(job) => void bulk.start(job)}
        />
      )}
    </>
  );
}
