import { useAsync } from '../../../hooks/use-async';
import { useApiClient } from '../../../lib/api-client-context';

/**
 * The caller's earlier imports of a message in a domain, looked up as soon as
 * both are known (and again when either changes or `refreshKey` does); an
 * answer for a message or domain no longer shown is dropped.
 */
export function useEarlierImports(domain: string | undefined, messageId: string | undefined, refreshKey: unknown) {
  const client = useApiClient();
  return useAsync(domain && messageId ? () => client.listImports(domain, { messageId, limit: 5 }) : undefined, [client, domain, messageId, refreshKey]);
}
