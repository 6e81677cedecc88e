import type { RequestHandler } from 'express';
import { AppError } from '../errors.js';

// what a Host header may hold at all (RFC 9110 §7.2: uri-host [":" port]); anything else is not ours
const HOST_SYNTAX = /^[A-Za-z0-9.:[\]-]{1,300}$/;
const LOOPBACK_IPV4 = /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/;

/**
 * True when a `Host` header value names this machine by a loopback name:
 * `localhost`, an address of 127.0.0.0/8 or `[::1]`, with or without a port,
 * in any spelling the WHATWG URL parser settles on one of those (`LOCALHOST`,
 * `[0:0::1]`, `127.1`). Missing, empty or anything else: false.
 */
export function isLoopbackHost(host: string | undefined): boolean {
  if (host === undefined || !HOST_SYNTAX.test(host)) return false;
  let hostname: string;
  try {
    hostname = new URL(`http://${host}/`).hostname;
  } catch {
    return false;
  }
  return hostname === 'localhost' || hostname === '[::1]' || LOOPBACK_IPV4.test(hostname);
}

/**
 * For `dev` identity, which trusts whoever reaches the port: answers only
 * requests addressed to a loopback name. A web page on another name whose DNS
 * is rebound to 127.0.0.1 reaches the port from the developer's own browser,
 * as its own origin (no CORS check applies), but its requests carry its own
 * name in `Host`, which the browser sets and scripts cannot change; those get
 * 421 HOST_NOT_ALLOWED. The raw header is read: `req.hostname` would trust
 * `X-Forwarded-Host`, which a script may set.
 */
export function loopbackHostsOnly(loopback: (host: string | undefined) => boolean = rememberedLoopbackVerdicts()): RequestHandler {
  return (req, _res, next) => {
    if (loopback(req.headers.host)) {
      next();
      return;
    }
    next(
      new AppError(
        'HOST_NOT_ALLOWED',
        'in dev identity this server answers only to a loopback name (localhost, 127.0.0.0/8 or [::1]) in the Host header; open it as http://127.0.0.1:<port> or http://localhost:<port>',
      ),
    );
  };
}

/**
 * `isLoopbackHost` with its verdicts remembered: a client sends the same
 * Host on every request (a few are kept, whatever others send).
 */
export function rememberedLoopbackVerdicts(): (host: string | undefined) => boolean {
  const verdicts = new Map<string | undefined, boolean>();
  return (host) => {
    let verdict = verdicts.get(host);
    if (verdict === undefined) {
      verdict = isLoopbackHost(host);
      if (verdicts.size >= 16) verdicts.clear();
      verdicts.set(host, verdict);
    }
    return verdict;
  };
}
