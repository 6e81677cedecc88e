import { useAsync } from '../../../hooks/use-async';
import { useApiClient } from '../../../lib/api-client-context';

/** The domain's template catalogue (`GET …/templates`); idle until a domain is chosen. */
export function useTemplates(domain: string | undefined) {
  const client = useApiClient();
  return useAsync(domain ? () => client.templates(domain) : undefined, [client, domain]);
}
