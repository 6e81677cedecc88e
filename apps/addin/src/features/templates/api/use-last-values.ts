import type { Attributes } from '@toa/api/imports';
import { useEffect, useState } from 'react';
import { useApiClient } from '../../../lib/api-client-context';

/**
 * The user's last filed values per template in `domain` (`GET …/last-values`):
 * template id → values, the defaults of fields nothing pre-fills. Read again
 * whenever `refreshKey` changes (after each filing), keeping the values read
 * before until the new answer is in, so the form never blanks. A convenience:
 * when they cannot be read the form simply starts without them.
 */
export function useLastValues(domain: string | undefined, refreshKey: unknown): Readonly<Record<string, Attributes>> | undefined {
  const client = useApiClient();
  const [remembered, setRemembered] = useState<{ domain: string; templates: Readonly<Record<string, Attributes>> }>();
  // biome-ignore lint/correctness/useExhaustiveDependencies: `refreshKey` is the trigger to read again
  useEffect(() => {
    if (!domain) return;
    let current = true;
    client.lastValues(domain).then(
      (answer) => current && setRemembered({ domain, templates: answer.templates }),
      () => undefined,
    );
    return () => {
      current = false;
    };
  }, [client, domain, refreshKey]);
  return remembered && remembered.domain === domain ? remembered.templates : undefined;
}
