import { useApiClient } from '../../../lib/api-client-context';
import { useAsync } from '../../../hooks/use-async';

export function useDomains() {
  const client = useApiClient();
  return useAsync(() => client.domains(), [client]);
}
