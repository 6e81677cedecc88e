import { useAsync } from '../../../hooks/use-async';
import { useApiClient } from '../../../lib/api-client-context';

/** The user's newest imports in a domain; `refreshKey` reloads after an import. */
export function useRecentImports(domain: string | undefined, refreshKey: unknown, limit = 10) {
  const client = useApiClient();
  return useAsync(domain ? () => client.listImports(domain, { limit }) : undefined, [client, domain, refreshKey, limit]);
}
