import type { Request, RequestHandler, Response } from 'express';

/**
 * Middlewares run one after the other as one Express layer: what Express
 * does between two layers of a router (matching the path, parameters,
 * promise bookkeeping) is paid once for all of them, and every request pays
 * it. Each handler's error — passed to `next`, thrown, or a rejected promise
 * — goes to Express's error handling as from a single middleware.
 */
export function inOrder(...handlers: RequestHandler[]): RequestHandler {
  return (req, res, next) => {
    let index = 0;
    const step = (error?: unknown): void => {
      if (error !== undefined && error !== null) {
        next(error);
        return;
      }
      const handler = handlers[index];
      index += 1;
      if (!handler) {
        next();
        return;
      }
      runMiddleware(handler, req, res, step);
    };
    step();
  };
}

/**
 * Runs one middleware with `done` as its `next`: an error it throws or a
 * promise it returns rejected goes to `done` too, as Express would pass it on.
 */
export function runMiddleware(handler: RequestHandler, req: Request, res: Response, done: (error?: unknown) => void): void {
  try {
    const running: unknown = handler(req, res, done);
    if (running instanceof Promise) running.then(undefined, (reason: unknown) => done(reason ?? new Error('a middleware failed without a reason')));
  } catch (thrown) {
    done(thrown);
  }
}
