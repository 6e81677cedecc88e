import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Express, RequestHandler } from 'express';
import type { Logger } from 'pino';
import { capForLog } from './log-caps.js';

declare module 'http' {
  interface IncomingMessage {
    /** the request id: the caller's `X-Request-Id` when it is a safe one, otherwise a random UUID */
    id: string;
    /** the server log with this request's `req` (id, method, capped URL) bound to every line */
    log: Logger;
  }
}

/** What a caller may choose as its request id (docs/api.md). */
const REQUEST_ID = /^[A-Za-z0-9._-]{1,100}$/;

/** Set by the error handler on a refusal it left out of the log (a flood from one address): no request line either. */
interface QuietLocals {
  quietLog?: boolean;
}

const requestLogs = new WeakMap<IncomingMessage, Logger>();

/**
 * One log line per request, written when its answer ends or the client
 * leaves: `request completed` (or `request aborted`, `request errored` for a
 * 5xx) with `req` {id, method, url capped by capForLog}, `res` {statusCode}
 * and `responseTime` in ms — at `info`, `warn` for 4xx, `error` for 5xx. The
 * id is the caller's `X-Request-Id` when it matches `[A-Za-z0-9._-]{1,100}`,
 * a random UUID otherwise, and is sent back in `X-Request-Id`.
 *
 * `req.log`, the logger with the request bound to each line, is made only
 * when something logs through it (an error, a refusal): building a child
 * logger for every request cost more than the request line itself.
 */
export function accessLog(app: Express, logger: Logger): RequestHandler {
  Object.defineProperty(app.request, 'log', {
    configurable: true,
    get(this: IncomingMessage): Logger {
      let log = requestLogs.get(this);
      if (!log) {
        log = logger.child({ req: requestFields(this) });
        requestLogs.set(this, log);
      }
      return log;
    },
  });
  return (req, res, next) => {
    const given = req.headers['x-request-id'];
    req.id = typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
    res.setHeader('X-Request-Id', req.id);
    const started = Date.now();
    // the request line is about the request as it came in: routers rewrite req.url on the way
    const fields = requestFields(req);
    res.once('close', () => logAnswer(logger, fields, req, res, Date.now() - started));
    next();
  };
}

function requestFields(req: IncomingMessage): { id: string; method: string | undefined; url: string } {
  return { id: req.id, method: req.method, url: capForLog((req as { originalUrl?: string }).originalUrl ?? String(req.url)) };
}

function logAnswer(logger: Logger, req: ReturnType<typeof requestFields>, incoming: IncomingMessage, res: ServerResponse, responseTime: number): void {
  if ((res as { locals?: QuietLocals }).locals?.quietLog) return;
  const status = res.statusCode;
  const line = { req, res: { statusCode: status }, responseTime };
  if (status >= 500) logger.error(line, 'request errored');
  else {
    const message = incoming.readableAborted || !res.writableEnded ? 'request aborted' : 'request completed';
    if (status >= 400) logger.warn(line, message);
    else logger.info(line, message);
  }
}
