import type { IncomingMessage, ServerResponse } from 'node:http';

/**
 * Told once a request, when its answer has ended or its client left:
 * `elapsedMs` is the time since the request reached the server, in
 * milliseconds (`performance.now()`, fractional).
 */
export type AnswerListener = (req: IncomingMessage, res: ServerResponse, elapsedMs: number) => void;

/** A step every answer takes, before Express or within it (metrics, request line, security headers); calls `next` before it returns. */
export type Step = (req: IncomingMessage, res: ServerResponse, next: () => void) => void;

/** The request as it came in: routers rewrite `req.url` on the way, Express keeps the original in `originalUrl`. */
export function originalUrl(req: IncomingMessage): string {
  return (req as { originalUrl?: string }).originalUrl ?? req.url ?? '/';
}

/**
 * The step that times every request and, on its answer's `close` (once,
 * whether the answer ended or the client left), tells each listener in
 * order: one listener and one closure a request, however many want to hear
 * (the metrics, the request line). Needs nothing of Express: it also runs
 * before it (`answerPlainProbesFirst`).
 */
export function onEveryAnswer(...listeners: AnswerListener[]): Step {
  return (req, res, next) => {
    const arrived = performance.now();
    res.on('close', () => {
      const elapsedMs = performance.now() - arrived;
      for (const listener of listeners) listener(req, res, elapsedMs);
    });
    next();
  };
}
