import { Badge, type BadgeProps } from '@fluentui/react-components';
import type { ImportStatus } from '@toa/api/imports';

const COLORS: Record<ImportStatus, BadgeProps['color']> = {
  DRAFT: 'informative',
  PENDING: 'warning',
  SUBMITTED: 'success',
  FAILED: 'danger',
};

const LABELS: Record<ImportStatus, string> = {
  DRAFT: 'Draft',
  PENDING: 'Pending',
  SUBMITTED: 'Submitted',
  FAILED: 'Failed',
};

export function StatusBadge({ status }: { status: ImportStatus }) {
  return (
    <Badge appearance="filled" color={COLORS[status]}>
      {LABELS[status]}
    </Badge>
  );
}
