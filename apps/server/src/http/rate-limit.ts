import { createHash } from 'node:crypto';
import type { Request, RequestHandler, Response } from 'express';
import { AppError } from '../errors.js';

export interface RateLimitOptions {
  /** requests each key may make per window */
  limit: number;
  windowMs: number;
  /** the policy's name in the headers; default `<limit>-in-<minutes>min` */
  identifier?: string;
  /** whom a request counts against */
  key(req: Request): string;
  /** when given, a request counts only if its answer satisfies this (checked when the answer is sent) */
  counts?(res: Response): boolean;
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

/**
 * A fixed-window request limit per key, kept in memory, with the IETF
 * draft-8 headers on every answer it sees (`RateLimit-Policy: "<name>";
 * q=<limit>; w=<window s>; pk=:<partition key>:` and `RateLimit: "<name>";
 * r=<remaining>; t=<s to reset>`), `Retry-After` and a `RATE_LIMITED`
 * AppError once the key is over its limit (docs/api.md, docs/security.md).
 *
 * The same windows, headers and counting as express-rate-limit's memory
 * store with `standardHeaders: 'draft-8'` (a key's window opens at its first
 * request; `counts` is its `skipSuccessfulRequests` with
 * `requestWasSuccessful` negated), at a fraction of the cost per request:
 * no promise, no per-request hash, no `Date` object. Windows of keys not
 * seen for a whole window are dropped, as that store does.
 */
export function rateLimit(options: RateLimitOptions): RequestHandler {
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

  return (req, res, next) => {
    const now = Date.now();
    const window = windowOf(options.key(req), now);
    window.hits += 1;
    const resetSeconds = Math.max(0, Math.ceil((window.resetAt - now) / 1000));
    if (!res.headersSent) {
      res.append('RateLimit', `"${name}"; r=${Math.max(options.limit - window.hits, 0)}; t=${resetSeconds}`);
      res.append('RateLimit-Policy', `${policyPrefix}${window.partition}:`);
    }
    if (options.counts) {
      const counts = options.counts;
      const resetAt = window.resetAt;
      res.once('finish', () => {
        // a request that does not count is taken back, unless its window has ended meanwhile
        if (!counts(res) && Date.now() < resetAt && window.hits > 0) window.hits -= 1;
      });
    }
    if (window.hits > options.limit) {
      if (!res.headersSent) res.setHeader('Retry-After', String(resetSeconds));
      next(new AppError('RATE_LIMITED', options.refusal));
      return;
    }
    next();
  };
}

/** The `pk` of the draft-8 headers: the first 12 hex digits of the key's SHA-256, in base64 (as express-rate-limit sends it). */
function partitionKey(key: string): string {
  return Buffer.from(createHash('sha256').update(key).digest('hex').slice(0, 12)).toString('base64');
}
