import { createHash } from 'node:crypto';
import type { Request, RequestHandler, Response } from 'express';
import { AppError, isAppError } from '../errors.js';
import { runMiddleware } from './in-order.js';

export interface RateLimitOptions {
  /** requests each key may make per window */
  limit: number;
  windowMs: number;
  /** the policy's name in the headers; default `<limit>-in-<minutes>min` */
  identifier?: string;
  /** whom a request counts against */
  key(req: Request): string;
  /** the detail of the 429 problem */
  refusal: string;
}

/** One key's window: requests counted and when the window ends (ms since the epoch). */
interface Window {
  hits: number;
  resetAt: number;
  /** the header's partition key, worked out once per key */
  partition: string;
}

/** Counts a request against its key's window and sets the headers; `refused` when the key is now over its limit. */
type Count = (req: Request, res: Response) => { window: Window; refused?: AppError };

/**
 * A fixed-window request limit per key, kept in memory, with the IETF
 * draft-8 headers on every answer it sees (`RateLimit-Policy: "<name>";
 * q=<limit>; w=<window s>; pk=:<partition key>:` and `RateLimit: "<name>";
 * r=<remaining>; t=<s to reset>`), `Retry-After` and a `RATE_LIMITED`
 * AppError once the key is over its limit (docs/api.md, docs/security.md).
 * Every request counts.
 *
 * The same windows, headers and counting as express-rate-limit's memory
 * store with `standardHeaders: 'draft-8'` (a key's window opens at its first
 * request), at a fraction of the cost per request: no promise, no
 * per-request hash, no `Date` object. Windows of keys not seen for a whole
 * window are dropped, as that store does.
 */
export function rateLimit(options: RateLimitOptions): RequestHandler {
  const count = fixedWindows(options);
  return (req, res, next) => {
    next(count(req, res).refused);
  };
}

/**
 * `rateLimit` in front of `authenticate`, counting only the requests it
 * refuses (an AppError answered 401): express-rate-limit's
 * `skipSuccessfulRequests` for sign-ins. A request counts as it arrives, so
 * a flood of concurrent refusals is cut off at once, and is taken back as
 * soon as `authenticate` lets it through (unless its window has ended
 * meanwhile), with no listener on its answer. A key over the limit is
 * answered 429 before it is authenticated, and that answer is taken back
 * too: it is no refused sign-in.
 */
export function refusedSignInLimit(authenticate: RequestHandler, options: RateLimitOptions): RequestHandler {
  const count = fixedWindows(options);
  return (req, res, next) => {
    const { window, refused } = count(req, res);
    if (refused) {
      // a 429 is not a refused sign-in: while one is being checked, the others it holds back must not use up the minute
      window.hits -= 1;
      next(refused);
      return;
    }
    const resetAt = window.resetAt;
    const verdict = (error?: unknown): void => {
      if (!(isAppError(error) && error.status === 401) && Date.now() < resetAt && window.hits > 0) window.hits -= 1;
      next(error);
    };
    runMiddleware(authenticate, req, res, verdict);
  };
}

function fixedWindows(options: RateLimitOptions): Count {
  const name = options.identifier ?? `${options.limit}-in-${options.windowMs / 60_000}min`;
  const policyPrefix = `"${name}"; q=${options.limit}; w=${Math.ceil(options.windowMs / 1000)}; pk=:`;
  let previous = new Map<string, Window>();
  let current = new Map<string, Window>();
  setInterval(() => {
    previous = current;
    current = new Map();
  }, options.windowMs).unref();

  const windowOf = (key: string, now: number): Window => {
    let window = current.get(key);
    if (!window) {
      window = previous.get(key) ?? { hits: 0, resetAt: now + options.windowMs, partition: partitionKey(key) };
      previous.delete(key);
      current.set(key, window);
    }
    if (window.resetAt <= now) {
      window.hits = 0;
      window.resetAt = now + options.windowMs;
    }
    return window;
  };

  return (req, res) => {
    const now = Date.now();
    const window = windowOf(options.key(req), now);
    window.hits += 1;
    const resetSeconds = Math.max(0, Math.ceil((window.resetAt - now) / 1000));
    if (!res.headersSent) {
      addListMember(res, 'RateLimit', `"${name}"; r=${Math.max(options.limit - window.hits, 0)}; t=${resetSeconds}`);
      addListMember(res, 'RateLimit-Policy', `${policyPrefix}${window.partition}:`);
    }
    if (window.hits <= options.limit) return { window };
    if (!res.headersSent) res.setHeader('Retry-After', String(resetSeconds));
    return { window, refused: new AppError('RATE_LIMITED', options.refusal) };
  };
}

/**
 * Adds a member to a list-valued field (a Structured Field List, RFC 9651
 * §3.1) on the one field line of its name: several lines of a name mean the
 * same as their values joined with ", " (RFC 9110 §5.3), and every line is
 * one more for each client to parse.
 */
function addListMember(res: Response, name: string, member: string): void {
  const current = res.getHeader(name);
  res.setHeader(name, current === undefined ? member : `${String(current)}, ${member}`);
}

/** The `pk` of the draft-8 headers: the first 12 hex digits of the key's SHA-256, in base64 (as express-rate-limit sends it). */
function partitionKey(key: string): string {
  return Buffer.from(createHash('sha256').update(key).digest('hex').slice(0, 12)).toString('base64');
}
