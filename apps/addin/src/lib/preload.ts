import type { ApiClient } from './api-client';

/** The reads the pane's form waits for before it can show: the domains, then the chosen domain's templates and last values. */
type PreloadedRead = 'domains' | 'templates' | 'lastValues';

interface Primed {
  /** the domain asked for (empty for the domains) */
  domain: string;
  answer: Promise<unknown>;
}

/**
 * `client`, with the reads the form needs started at once, before React
 * renders: `GET /api/domains`, and in parallel `GET …/templates` and
 * `GET …/last-values` of the domain the form will start on — `startDomain`
 * (the message's draft or the user's last domain) when there is one, else,
 * once the domains are in, the only domain (the picker chooses it by
 * itself). Without this the form waited for two round trips after the first
 * render (docs/benchmarks.md, issue 12 row 10).
 *
 * Each started read is handed to the **first** call of its kind, when that
 * call asks for the same domain; any later call, or a first call for another
 * domain, goes to the server, and nothing more of that kind is started. So a
 * started answer serves the pane's opening only and is never a stale copy
 * later (a Try again, the last values read again after a filing). A started
 * read that fails fails that first call, as the call itself would have.
 */
export function preloadingClient(client: ApiClient, startDomain: string | undefined): ApiClient {
  const primed = new Map<PreloadedRead, Primed>();
  const asked = new Set<PreloadedRead>();

  function prime(kind: PreloadedRead, domain: string, start: () => Promise<unknown>): Promise<unknown> | undefined {
    if (asked.has(kind) || primed.has(kind)) return undefined;
    const answer = start();
    // nobody may ever take it: its failure is the taker's to report, not the page's
    answer.catch(() => undefined);
    primed.set(kind, { domain, answer });
    return answer;
  }

  function primeDomain(domain: string) {
    prime('templates', domain, () => client.templates(domain));
    prime('lastValues', domain, () => client.lastValues(domain));
  }

  function take<T>(kind: PreloadedRead, domain: string, ask: () => Promise<T>): Promise<T> {
    asked.add(kind);
    const started = primed.get(kind);
    primed.delete(kind);
    return started?.domain === domain ? (started.answer as Promise<T>) : ask();
  }

  const domains = prime('domains', '', () => client.domains()) as ReturnType<ApiClient['domains']>;
  if (startDomain) primeDomain(startDomain);
  else {
    domains.then(
      ({ domains: list }) => {
        const only = list.length === 1 ? list[0] : undefined;
        if (only?.catalogueAvailable) primeDomain(only.code);
      },
      () => undefined,
    );
  }

  return {
    ...client,
    domains: () => take('domains', '', () => client.domains()),
    templates: (domain) => take('templates', domain, () => client.templates(domain)),
    lastValues: (domain) => take('lastValues', domain, () => client.lastValues(domain)),
  };
}
