import { Button, Caption1, makeStyles, Spinner, Text, tokens } from '@fluentui/react-components';
import { StatusBadge } from '../../../components/status-badge';
import { errorText } from '../../../lib/error-text';
import { formatDateTime } from '../../../lib/format';
import { useRecentImports } from '../hooks/use-recent-imports';

const useStyles = makeStyles({
  list: { display: 'flex', flexDirection: 'column', gap: tokens.spacingVerticalS, margin: 0, padding: 0, listStyleType: 'none' },
  item: { display: 'flex', flexDirection: 'column', gap: tokens.spacingVerticalXXS, minWidth: 0 },
  line: { display: 'flex', alignItems: 'center', gap: tokens.spacingHorizontalXS, minWidth: 0 },
  subject: { overflow: 'hidden', textOverflow: 'ellipsis', whiteSpace: 'nowrap', minWidth: 0 },
});

export interface RecentImportsProps {
  domain: string | undefined;
  /** changes after each import, to show it */
  refreshKey: unknown;
}

export function RecentImports({ domain, refreshKey }: RecentImportsProps) {
  const styles = useStyles();
  const recent = useRecentImports(domain, refreshKey);
  if (!domain) return <Caption1>Choose a domain to see your imports.</Caption1>;
  if (recent.status === 'loading' || recent.status === 'idle') return <Spinner size="tiny" label="Loading your imports…" />;
  if (recent.status === 'error') {
    return (
      <div>
        <Caption1>Your imports could not be loaded: {errorText(recent.error)}</Caption1>{' '}
        <Button size="small" onClick={recent.reload}>
          Try again
        </Button>
      </div>
    );
  }
  if (recent.data.items.length === 0) return <Caption1>You have not imported anything into this domain yet.</Caption1>;
  return (
    <ul className={styles.list} aria-label="Recent imports">
      {recent.data.items.map((item) => (
        <li key={item.id} className={styles.item}>
          <div className={styles.line}>
            <StatusBadge status={item.status} />
            <Text className={styles.subject} title={item.source.subject}>
              {item.source.subject || '(no subject)'}
            </Text>
          </div>
          <Caption1>
            {formatDateTime(item.createdAt)} · {item.documentCount} document{item.documentCount === 1 ? '' : 's'}
            {item.damisBatchId ? ` · batch ${item.damisBatchId}` : ''}
            {item.status === 'FAILED' && item.error ? ` · ${item.error}` : ''}
          </Caption1>
        </li>
      ))}
      <li>
        <Button size="small" appearance="subtle" onClick={recent.reload}>
          Refresh
        </Button>
      </li>
    </ul>
  );
}
