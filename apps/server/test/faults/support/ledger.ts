import { problemSchema } from '@toa/api/errors';
import { DEV_IDENTITY_HEADERS } from '@toa/api/routes';

/** No answer within this long is a hang: the harness's one unforgivable outcome besides a lost page. */
export const HANG_MS = 20_000;

/** Problems no fault may cause besides a 500: an import called damaged when only a resource ran short. */
const NEVER = new Set(['IMPORT_UNREADABLE']);

/** `status` 0: the connection closed before an answer; -1: no answer within `HANG_MS`. */
export interface Outcome {
  status: number;
  /** the problem's `code` for a 4xx/5xx */
  code?: string;
  ms: number;
  /** when the request started (performance.now()) */
  at: number;
}

/** A page the server acknowledged with 201: it must be there, byte for byte, afterwards. */
export interface AcknowledgedPage {
  /** the import (domain `acme`), document 1, page `m` */
  id: string;
  m: number;
  sha256: string;
}

/**
 * What one group of clients saw: every answer, the pages acknowledged, and
 * every answer the harness forbids (a 500, a problem without the shared
 * shape, a stack trace, a hang).
 */
export class Ledger {
  readonly outcomes: Outcome[] = [];
  readonly acknowledged: AcknowledgedPage[] = [];
  readonly violations: string[] = [];

  /**
   * One request as `email` (none: anonymous). Resolves with the answer's
   * status and JSON body (2xx only); never rejects.
   */
  async call(baseUrl: string, pathname: string, init: RequestInit & { email?: string } = {}): Promise<{ status: number; body?: unknown }> {
    const headers = new Headers(init.headers);
    if (init.email) headers.set(DEV_IDENTITY_HEADERS.email, init.email);
    const at = performance.now();
    const outcome: Outcome = { status: 0, ms: 0, at };
    let body: unknown;
    try {
      const signal = init.signal ? AbortSignal.any([init.signal, AbortSignal.timeout(HANG_MS)]) : AbortSignal.timeout(HANG_MS);
      const response = await fetch(`${baseUrl}${pathname}`, { ...init, headers, signal });
      const text = await response.text();
      outcome.status = response.status;
      if (response.status >= 400) outcome.code = this.#checkProblem(`${init.method ?? 'GET'} ${pathname}`, response, text);
      else if (response.headers.get('content-type')?.startsWith('application/json')) body = JSON.parse(text);
    } catch (error) {
      // the caller gave up on it (an abuser being stopped): not an answer of the server
      if (init.signal?.aborted) return { status: 0 };
      if ((error as Error).name === 'TimeoutError') {
        outcome.status = -1;
        this.violations.push(`${init.method ?? 'GET'} ${pathname}: no answer within ${HANG_MS / 1000} s`);
      }
      // otherwise the connection closed or was refused before an answer: status 0
    }
    outcome.ms = performance.now() - at;
    this.outcomes.push(outcome);
    return { status: outcome.status, body };
  }

  /** A 4xx/5xx answer must be a problem (RFC 9457) in the shared shape, never a 500 or a stack trace; its code. */
  #checkProblem(what: string, response: Response, text: string): string | undefined {
    if (response.status === 500) this.violations.push(`${what}: 500 ${text.slice(0, 300)}`);
    if (/\n\s+at [^\n]+:\d+:\d+/.test(text)) this.violations.push(`${what}: a stack trace in the answer`);
    if (!response.headers.get('content-type')?.startsWith('application/problem+json')) {
      this.violations.push(`${what}: ${response.status} without a problem (${response.headers.get('content-type')}): ${text.slice(0, 200)}`);
      return undefined;
    }
    const parsed = problemSchema.safeParse(JSON.parse(text));
    if (!parsed.success) this.violations.push(`${what}: ${response.status} with a problem not in the shared shape: ${text.slice(0, 200)}`);
    else this.checkCode(what, parsed.data.code, text);
    return parsed.data?.code;
  }

  /** A problem code no fault may cause is a violation. */
  checkCode(what: string, code: string, answer: string): void {
    if (NEVER.has(code)) this.violations.push(`${what}: ${code} ${answer.slice(0, 300)}`);
  }

  /** Outcomes of requests that started in [from, to). */
  between(from: number, to: number): Outcome[] {
    return this.outcomes.filter((o) => o.at >= from && o.at < to);
  }
}

/** `201×40 507×3 closed×2`: how many answers of each kind, most frequent kinds first. */
export function statusCounts(outcomes: readonly Outcome[]): string {
  if (outcomes.length === 0) return 'no request started';
  const counts = new Map<string, number>();
  for (const { status, code } of outcomes) {
    const kind = status === 0 ? 'closed' : status === -1 ? 'hung' : status >= 400 && code ? `${status} ${code}` : String(status);
    counts.set(kind, (counts.get(kind) ?? 0) + 1);
  }
  return [...counts]
    .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
    .map(([kind, count]) => `${kind} ×${count}`)
    .join(', ');
}

/** The `p` quantile (0..1) of the latencies of answered requests, in ms (nearest rank). */
export function percentile(outcomes: readonly Outcome[], p: number): number {
  const sorted = outcomes
    .filter((o) => o.status > 0)
    .map((o) => o.ms)
    .sort((a, b) => a - b);
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.max(0, Math.ceil(p * sorted.length) - 1)] as number;
}
