import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Express } from 'express';
import type { Logger } from 'pino';
import { type AnswerListener, originalUrl, type Step } from '../http/every-answer.js';
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

/** Answers whose request line is written at `debug` (`logAtDebug`). */
const routine = new WeakSet<ServerResponse>();

/**
 * The request line of this answer at `debug` instead of `info`: for what a
 * load balancer or orchestrator asks every few seconds and gets the expected
 * answer to, a line each would bury the log (a probe every 5 s is 17 280
 * lines a day). Only a 2xx: a refusal or failure keeps its level.
 */
export function logAtDebug(res: ServerResponse): void {
  routine.add(res);
}

const requestLogs = new WeakMap<IncomingMessage, Logger>();

/**
 * One log line per request (docs/operations.md): `identify` is the step that
 * names each request, `answered` writes its line when its answer ends or the
 * client leaves (`onEveryAnswer`).
 *
 * `identify` sets the request id, the caller's `X-Request-Id` when it matches
 * `[A-Za-z0-9._-]{1,100}`, a random UUID otherwise, and sends it back in
 * `X-Request-Id`. `req.log`, the logger with the request bound to each line,
 * is made only when something logs through it (an error, a refusal):
 * building a child logger for every request cost more than the request line
 * itself.
 *
 * `answered` writes `request completed` (or `request aborted`, `request
 * errored` for a 5xx) with `req` {id, method, url capped by capForLog}, `res`
 * {statusCode} and `responseTime` in whole ms — at `info` (`debug` for an
 * answer `logAtDebug` marked), `warn` for 4xx, `error` for 5xx. Neither
 * needs anything of Express: they also run before it (`answerPlainProbesFirst`).
 */
export function accessLog(app: Express, logger: Logger): { identify: Step; answered: AnswerListener } {
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
  return {
    identify: (req, res, next) => {
      const given = req.headers['x-request-id'];
      req.id = typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
      res.setHeader('X-Request-Id', req.id);
      next();
    },
    answered: (req, res, elapsedMs) => logAnswer(logger, req, res, Math.round(elapsedMs)),
  };
}

function requestFields(req: IncomingMessage): { id: string; method: string | undefined; url: string } {
  return { id: req.id, method: req.method, url: capForLog(originalUrl(req)) };
}

function logAnswer(logger: Logger, req: IncomingMessage, res: ServerResponse, responseTime: number): void {
  if ((res as { locals?: QuietLocals }).locals?.quietLog) return;
  const status = res.statusCode;
  const level: 'error' | 'warn' | 'info' | 'debug' = status >= 500 ? 'error' : status >= 400 ? 'warn' : status < 300 && routine.has(res) ? 'debug' : 'info';
  // the line is built only when its level is written (a routine probe's is not, at `info`)
  if (!logger.isLevelEnabled(level)) return;
  const message = status >= 500 ? 'request errored' : req.readableAborted || !res.writableEnded ? 'request aborted' : 'request completed';
  logger[level]({ req: requestFields(req), res: { statusCode: status }, responseTime }, message);
}
