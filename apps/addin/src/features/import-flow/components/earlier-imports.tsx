import { Caption1, MessageBar, MessageBarBody, useId } from '@fluentui/react-components';
import { StatusBadge } from '../../../components/status-badge';
import { formatDateTime } from '../../../lib/format';
import { useEarlierImports } from '../api/use-earlier-imports';

export interface EarlierImportsProps {
  domain: string | undefined;
  /** the message's internetMessageId; without one there is nothing to look up */
  messageId: string | undefined;
  /** changes when an import has finished, so the notice reflects it */
  refreshKey: unknown;
  /** the unfinished import Import continues: it is this import, not an earlier one */
  resumableId: string | undefined;
}

/**
 * Tells right away that the message was filed before, so a user filing mail all
 * day sees it before filling in the form. It blocks nothing; Import still asks.
 */
export function EarlierImports({ domain, messageId, refreshKey, resumableId }: EarlierImportsProps) {
  const earlier = useEarlierImports(domain, messageId, refreshKey);
  const bodyId = useId('toa-earlier-imports');
  if (earlier.status === 'error') {
    return <Caption1>Earlier imports of this message could not be looked up; Import checks again.</Caption1>;
  }
  if (earlier.status !== 'ready') return null;
  const items = earlier.data.items.filter((item) => item.id !== resumableId);
  const count = earlier.data.total - (items.length < earlier.data.items.length ? 1 : 0);
  const newest = items[0];
  if (!newest) return null;
  const when = formatDateTime(newest.createdAt);
  return (
    // Named by its text: a title would repeat it in a pane 320 px wide.
    <MessageBar intent="warning" politeness="polite" layout="multiline" aria-labelledby={bodyId}>
      <MessageBarBody id={bodyId}>
        {count > 1 ? `Already imported ${count} times, last on ${when}` : `Already imported on ${when}`} — <StatusBadge status={newest.status} />
        {newest.damisBatchId ? `, batch ${newest.damisBatchId}` : ''}
      </MessageBarBody>
    </MessageBar>
  );
}
