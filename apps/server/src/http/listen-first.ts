import { createServer, type RequestListener, type Server } from 'node:http';
import type { Health } from '@toa/api/identity';
import { paths } from '@toa/api/routes';
import type { Config } from '../config/schema.js';
import { AppError, errnoCode } from '../errors.js';
import { STARTING_RETRY_AFTER_SECONDS } from '../services/startup-gate.js';
import { problem } from './problem-body.js';

/** How long a request's headers may take to arrive (slow-loris protection); shorter only in tests. */
const HEADERS_TIMEOUT_MS = 30_000;
/** how often Node looks for connections past the header deadline (its default, 30 s, would double the deadline) */
const CONNECTIONS_CHECK_MS = 5_000;

/** The server's port, taken: it answers `answerStarting` until `handOver` gives it the app. */
export interface HeldPort {
  server: Server;
  /** Every request from now on goes to `handler`. */
  handOver(handler: RequestListener): void;
}

/**
 * Takes the configured port before anything else of the server is loaded:
 * this module needs only node:http, the shared API package, the error type
 * and the start-up gate's retry time, so `toa-server serve` answers its port
 * while Express, the storage and the rest still load (ADR 0026; issue 12: the
 * port within a second at any store size). Until `handOver`, health says
 * `starting` (`answerStarting`). Rejects with an `AppError` naming the
 * setting when the port cannot be had.
 */
export async function listenFirst(
  config: Pick<Config, 'host' | 'port' | 'limits'>,
  { headersTimeoutMs = HEADERS_TIMEOUT_MS }: { headersTimeoutMs?: number } = {},
): Promise<HeldPort> {
  let handle: RequestListener = answerStarting;
  // slow-loris protection (headers within 30 s, checked every 5 s); uploads of large pages still have ten minutes
  const connectionsCheckingInterval = Math.min(CONNECTIONS_CHECK_MS, Math.max(100, Math.floor(headersTimeoutMs / 4)));
  const server = createServer(
    { headersTimeout: headersTimeoutMs, requestTimeout: 600_000, keepAliveTimeout: 5_000, connectionsCheckingInterval },
    (req, res) => {
      // once closing, every answer ends its connection: a keep-alive client (a
      // proxy) that keeps sending would otherwise hold close() until the deadline
      if (!server.listening) res.setHeader('Connection', 'close');
      handle(req, res);
    },
  );
  // above this, new connections are closed at once rather than failing everyone with EMFILE
  server.maxConnections = config.limits.maxConnections;
  await listen(server, config);
  return {
    server,
    handOver: (handler) => {
      handle = handler;
    },
  };
}

/**
 * What a request gets before the app is built (the port is taken first):
 * health in its own shape, `starting` (the liveness probe passes), and 503
 * `STARTING` with `Retry-After` for everything else.
 */
const answerStarting: RequestListener = (req, res) => {
  const url = new URL(req.url ?? '/', 'http://localhost');
  if (url.pathname === paths.health() && url.searchParams.get('probe') === 'live') {
    res.writeHead(204).end();
    return;
  }
  const retry = { 'Retry-After': String(STARTING_RETRY_AFTER_SECONDS), 'Cache-Control': 'no-store' };
  if (url.pathname === paths.health()) {
    res.writeHead(503, { 'Content-Type': 'application/json', ...retry }).end(JSON.stringify({ status: 'starting' } satisfies Health));
    return;
  }
  res
    .writeHead(503, { 'Content-Type': 'application/problem+json', ...retry })
    .end(JSON.stringify(problem('STARTING', 'the server is starting; try again in a moment')));
};

const LISTEN_PROBLEMS: Record<string, string> = {
  EADDRINUSE: 'the port is in use by another process; stop it or choose another port (port, TOA_PORT)',
  EACCES: 'not permitted (ports below 1024 need privileges); choose another port (port, TOA_PORT)',
  EADDRNOTAVAIL: 'the address is not one of this machine’s; check host (TOA_HOST)',
};

async function listen(server: Server, { host, port }: Pick<Config, 'host' | 'port'>): Promise<void> {
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => {
        server.off('error', reject);
        resolve();
      });
    });
  } catch (error) {
    const code = errnoCode(error);
    const reason = (code && LISTEN_PROBLEMS[code]) ?? (error as Error).message;
    throw new AppError('UNAVAILABLE', `cannot listen on ${host}:${port}: ${reason}`, { cause: error });
  }
}
