import { Button, Caption1, Field, makeStyles, MessageBar, MessageBarBody, ProgressBar, Subtitle2, Text, tokens } from '@fluentui/react-components';
import { formatBytes } from '../../../lib/format';
import { useDomains } from '../../domains/api/use-domains';
import type { BulkItem, BulkJob } from '../queue/bulk-job';
import { isPending } from '../queue/bulk-job';
import type { LiveProgress } from '../queue/bulk-queue';

const useStyles = makeStyles({
  root: { display: 'flex', flexDirection: 'column', gap: tokens.spacingVerticalM, minWidth: 0 },
  heading: { margin: 0 },
  list: { listStyle: 'none', margin: 0, padding: 0, display: 'flex', flexDirection: 'column', gap: tokens.spacingVerticalS },
  item: {
    display: 'flex',
    flexDirection: 'column',
    gap: tokens.spacingVerticalXS,
    paddingTop: tokens.spacingVerticalS,
    borderTop: `${tokens.strokeWidthThin} solid ${tokens.colorNeutralStroke2}`,
    minWidth: 0,
  },
  subject: { overflowWrap: 'anywhere' },
  row: { display: 'flex', gap: tokens.spacingHorizontalS, alignItems: 'center', flexWrap: 'wrap' },
});

const STEPS: Record<LiveProgress['step'], string> = {
  checking: 'Checking for earlier imports…',
  resuming: 'Checking the unfinished import…',
  reading: 'Reading the message from Outlook…',
  creating: 'Creating the import…',
  uploading: 'Uploading the message…',
  extracting: 'Extracting attachments…',
  saving: 'Saving the values…',
  submitting: 'Submitting to the archive…',
  waiting: 'Waiting for the archive…',
};

export interface BulkQueueViewProps {
  job: BulkJob;
  live: ReadonlyMap<string, LiveProgress>;
  /** why the queue cannot run */
  error?: string;
  onRetry: (itemId: string) => void;
  onClose: () => void;
}

/** The queue of a bulk filing: overall progress, each message's state and progress, Retry for one that stopped, Done at the end. */
export function BulkQueueView({ job, live, error, onRetry, onClose }: BulkQueueViewProps) {
  const styles = useStyles();
  // the domain as the picker names it; its code until the list is in (or when it is no longer offered)
  const domains = useDomains();
  const domainName = domains.data?.domains.find((d) => d.code === job.domain)?.name ?? job.domain;
  const total = job.items.length;
  const done = job.items.filter((i) => !isPending(i)).length;
  const finished = done === total;
  const count = (state: BulkItem['state']) => job.items.filter((i) => i.state === state).length;
  const summary = [
    `${count('submitted')} filed`,
    count('skipped') > 0 ? `${count('skipped')} skipped` : undefined,
    count('failed') + count('stopped') > 0 ? `${count('failed') + count('stopped')} to retry` : undefined,
  ]
    .filter(Boolean)
    .join(', ');
  return (
    <section className={styles.root} aria-labelledby="toa-bulk-queue-heading">
      <Subtitle2 as="h2" id="toa-bulk-queue-heading" className={styles.heading}>
        Filing {total} messages into {domainName}
      </Subtitle2>
      {/* progress is announced as it changes; the heading is not (its domain name arrives after it) */}
      <div className={styles.root} aria-live="polite">
        <Field label={`${done} of ${total} done`} hint={summary} validationState="none">
          <ProgressBar value={done / total} max={1} thickness="large" aria-label="All messages" />
        </Field>
        {error && (
          <MessageBar intent="error">
            <MessageBarBody>{error}</MessageBarBody>
          </MessageBar>
        )}
        <ul className={styles.list} aria-label="Messages being filed">
          {job.items.map((item) => (
            <li key={item.itemId} className={styles.item} aria-label={item.subject || '(no subject)'}>
              <Text weight="semibold" className={styles.subject}>
                {item.subject || '(no subject)'}
              </Text>
              <ItemState item={item} progress={live.get(item.itemId)} onRetry={() => onRetry(item.itemId)} />
            </li>
          ))}
        </ul>
        {finished && (
          <Button appearance="primary" onClick={onClose}>
            Done
          </Button>
        )}
      </div>
    </section>
  );
}

function ItemState({ item, progress, onRetry }: { item: BulkItem; progress: LiveProgress | undefined; onRetry: () => void }) {
  const styles = useStyles();
  switch (item.state) {
    case 'queued':
      return <Caption1>Waiting in the queue</Caption1>;
    case 'filing': {
      const upload = progress?.step === 'uploading' ? progress.upload : undefined;
      const label = progress ? STEPS[progress.step] : 'Filing…';
      return (
        <Field label={label} hint={upload ? `${formatBytes(upload.loaded)} of ${formatBytes(upload.total)}` : undefined} validationState="none">
          <ProgressBar value={upload && upload.total > 0 ? upload.loaded / upload.total : undefined} max={1} aria-label={`${item.subject}: ${label}`} />
        </Field>
      );
    }
    case 'submitted':
      return (
        <>
          <Caption1>Filed, batch {item.batchId}</Caption1>
          {item.note && <Caption1>{item.note}</Caption1>}
        </>
      );
    case 'skipped':
      return <Caption1>{item.note}</Caption1>;
    case 'failed':
    case 'stopped':
      return (
        <div className={styles.row}>
          <Caption1>
            {item.state === 'failed' ? 'The archive refused it: ' : 'Stopped: '}
            {item.error}
          </Caption1>
          <Button size="small" onClick={onRetry} aria-label={`Retry ${item.subject || 'this message'}`}>
            Retry
          </Button>
        </div>
      );
  }
}
