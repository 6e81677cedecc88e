import { type Health, healthQuerySchema } from '@toa/api/identity';
import { DEV_IDENTITY_HEADERS } from '@toa/api/routes';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Request, RequestHandler, Response } from 'express';
import { isAdmin } from '../../identity.js';
import { logAtDebug } from '../../logging/access-log.js';
import type { AppContext } from '../context.js';

/**
 * `GET /api/health`, before authentication: anyone (a load balancer, a
 * container health check) gets the status, 200 when `ok` and 503 otherwise.
 * The checks name hosts, paths and error texts, so only a caller who proves
 * to be an administrator gets them; a caller whose credentials are missing
 * or refused gets the status alone, never a 401. `?probe=ready` and
 * `?probe=live` answer orchestrator probes (see `healthQuerySchema`). A probe
 * without credentials that finds the server up is logged at `debug`.
 */
export function healthRoute(ctx: AppContext, authenticate: RequestHandler): RequestHandler {
  return async (req, res) => {
    // a load balancer's plain probe has no query: nothing to parse
    const { probe } = req.url.includes('?') ? healthQuerySchema.parse(req.query) : { probe: undefined };
    if (probe === 'live') {
      if (!hasCredentials(req)) logAtDebug(res);
      res.status(204).end();
      return;
    }
    // the caller a load balancer is: the status alone (the plain probe seldom gets here: answerPlainProbesFirst)
    if (!hasCredentials(req)) {
      answerStatus(res, ctx.healthStatus() ?? (await ctx.health()).status, probe);
      return;
    }
    const health = await ctx.health();
    const body: Health = (await callerIsAdmin(authenticate, req, res)) ? health : { status: health.status };
    res.status(isUp(health.status, probe) ? 200 : 503).json(body);
  };
}

/**
 * The status alone, 200 when `isUp` and 503 otherwise, from a body written
 * in advance; one that is up is routine, its request line at `debug`.
 */
export function answerStatus(res: ServerResponse, status: Health['status'], probe?: 'ready'): void {
  const body = statusBody(status);
  const up = isUp(status, probe);
  if (up) logAtDebug(res);
  res.writeHead(up ? 200 : 503, { 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': body.length }).end(body);
}

/** The status-only answers, each serialised once. */
const statusBodies = new Map<Health['status'], Buffer>();

function statusBody(status: Health['status']): Buffer {
  let body = statusBodies.get(status);
  if (!body) {
    body = Buffer.from(JSON.stringify({ status } satisfies Health));
    statusBodies.set(status, body);
  }
  return body;
}

/** ready: a `degraded` server still serves and stays in the load balancer; one `starting` serves no imports yet. */
function isUp(status: Health['status'], probe: 'ready' | undefined): boolean {
  return probe === 'ready' ? status === 'ok' || status === 'degraded' : status === 'ok';
}

const DEV_EMAIL_HEADER = DEV_IDENTITY_HEADERS.email.toLowerCase();

/** A probe without credentials (a load balancer every few seconds) is not worth a refused-token line in the log. */
export function hasCredentials(req: IncomingMessage): boolean {
  return Boolean(req.headers.authorization || req.headers[DEV_EMAIL_HEADER]);
}

/** Runs the auth middleware for its verdict only (the caller has credentials): a refusal is "not an administrator", never an error answer. */
async function callerIsAdmin(authenticate: RequestHandler, req: Request, res: Response): Promise<boolean> {
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
