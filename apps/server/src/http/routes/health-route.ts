import { type Health, healthQuerySchema } from '@toa/api/identity';
import { DEV_IDENTITY_HEADERS } from '@toa/api/routes';
import type { Request, RequestHandler, Response } from 'express';
import { isAdmin } from '../../identity.js';
import type { AppContext } from '../context.js';

/**
 * `GET /api/health`, before authentication: anyone (a load balancer, a
 * container health check) gets the status, 200 when `ok` and 503 otherwise.
 * The checks name hosts, paths and error texts, so only a caller who proves
 * to be an administrator gets them; a caller whose credentials are missing
 * or refused gets the status alone, never a 401. `?probe=ready` and
 * `?probe=live` answer orchestrator probes (see `healthQuerySchema`).
 */
export function healthRoute(ctx: AppContext, authenticate: RequestHandler): RequestHandler {
  return async (req, res) => {
    // a load balancer's plain probe has no query: nothing to parse
    const { probe } = req.url.includes('?') ? healthQuerySchema.parse(req.query) : { probe: undefined };
    if (probe === 'live') {
      res.status(204).end();
      return;
    }
    const health = await ctx.health();
    const body: Health = (await callerIsAdmin(authenticate, req, res)) ? health : { status: health.status };
    // ready: a `degraded` server still serves and stays in the load balancer; one `starting` serves no imports yet
    const up = probe === 'ready' ? health.status === 'ok' || health.status === 'degraded' : health.status === 'ok';
    res.status(up ? 200 : 503).json(body);
  };
}

/** Runs the auth middleware for its verdict only: a refusal is "not an administrator", never an error answer. */
async function callerIsAdmin(authenticate: RequestHandler, req: Request, res: Response): Promise<boolean> {
  // a probe without credentials (a load balancer every few seconds) is not worth a refused-token line in the log
  if (!req.get('authorization') && !req.get(DEV_IDENTITY_HEADERS.email)) return false;
  const verdict = await new Promise<boolean>((resolve) => {
    try {
      const running = authenticate(req, res, (error?: unknown) => resolve(error === undefined || error === null));
      if (running instanceof Promise) running.then(undefined, () => resolve(false));
    } catch {
      resolve(false);
    }
  });
  res.removeHeader('WWW-Authenticate');
  return verdict && req.identity !== undefined && isAdmin(req.identity);
}
