import type { IncomingMessage, RequestListener } from 'node:http';
import type { Health } from '@toa/api/identity';
import { API_PREFIX, ROUTES } from '@toa/api/routes';
import type { Step } from './every-answer.js';
import { answerStatus, hasCredentials } from './routes/health-route.js';

export interface PlainProbeOptions {
  /** the status from memory; undefined while it is not known yet (the app then answers, after looking) */
  status: () => Health['status'] | undefined;
  /** whether the request's `Host` may be answered at all (dev identity: a loopback name); a refusal is the app's */
  hostAllowed: (host: string | undefined) => boolean;
  /** what every answer of the app gets before its route, in order: the same steps run here */
  steps: Step[];
}

const HEALTH_PATH = `${API_PREFIX}${ROUTES.health}`;

/**
 * The load balancer's probe, `GET /api/health` (or `HEAD`) with no query and
 * no credentials, answered before Express: Express's handling of a request
 * costs more than the answer itself (ADR 0024), and a site's load balancers
 * and orchestrators ask every node every few seconds. The probe still takes the
 * steps every answer takes — counted and timed in the metrics, a request id
 * and line (at `debug` when up), the API's security headers — and gets the
 * body the health route gives (`answerStatus`). Anything else, and a probe
 * whose status is not known yet or whose `Host` the app refuses, goes to
 * `app` unchanged.
 */
export function answerPlainProbesFirst(app: RequestListener, options: PlainProbeOptions): RequestListener {
  const { status: statusOf, hostAllowed, steps } = options;
  return (req, res) => {
    const status = isPlainProbe(req) && hostAllowed(req.headers.host) ? statusOf() : undefined;
    if (status === undefined) {
      app(req, res);
      return;
    }
    for (const step of steps) step(req, res, proceed);
    answerStatus(res, status);
  };
}

/** The steps before a plain probe's answer are synchronous: each has run once it returns. */
function proceed(): void {}

function isPlainProbe(req: IncomingMessage): boolean {
  return req.url === HEALTH_PATH && (req.method === 'GET' || req.method === 'HEAD') && !hasCredentials(req);
}
