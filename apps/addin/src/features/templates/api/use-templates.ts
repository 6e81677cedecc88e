import type { LastValuesResponse } from '@toa/api/last-values';
import { useAsync } from '../../../hooks/use-async';
import { useApiClient } from '../../../lib/api-client-context';

const NOTHING_REMEMBERED: LastValuesResponse = { templates: {} };

/**
 * The domain's template catalogue, with the user's last filed values per
 * template (`lastValues`: the defaults of fields nothing pre-fills); idle until
 * a domain is chosen. The last values are a convenience: when they cannot be
 * read the form simply starts without them.
 */
export function useTemplates(domain: string | undefined) {
  const client = useApiClient();
  return useAsync(
    domain
      ? async () => {
          const [catalogue, remembered] = await Promise.all([client.templates(domain), client.lastValues(domain).catch(() => NOTHING_REMEMBERED)]);
          return { ...catalogue, lastValues: remembered.templates };
        }
      : undefined,
    [client, domain],
  );
}
