import type { Request, RequestHandler } from 'express';
import express from 'express';

declare global {
  namespace Express {
    interface Request {
      /** what `express.json` could not read (not JSON, too large); raised when a route reads the body */
      bodyError?: unknown;
    }
  }
}

/**
 * `express.json`, except that a body it cannot read is not refused here: the
 * route raises the error when it reads the body (`jsonBody`), after the
 * caller's identity, the import's existence, ownership and state have been
 * checked — so a torn body sent to an import that cannot be changed answers
 * 409 like any other body, and an unauthenticated one 401.
 */
export function deferredJson(options: Parameters<typeof express.json>[0]): RequestHandler {
  const parse = express.json(options);
  return (req, res, next) => {
    // no body (a GET): what the parser would conclude too, without its checks on every read request
    if (req.headers['content-length'] === undefined && req.headers['transfer-encoding'] === undefined) {
      next();
      return;
    }
    parse(req, res, (error?: unknown) => {
      if (error !== undefined) {
        req.bodyError = error;
        req.body = undefined;
      }
      next();
    });
  };
}

/** The JSON body of the request (`undefined` when there is none); throws what the parser could not read. */
export function jsonBody(req: Request): unknown {
  if (req.bodyError !== undefined) throw req.bodyError;
  return req.body;
}
