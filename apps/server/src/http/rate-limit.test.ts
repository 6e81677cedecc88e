import { once } from 'node:events';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express, { type NextFunction, type Request, type RequestHandler, type Response } from 'express';
import { afterEach, describe, expect, it } from 'vitest';
import { AppError, isAppError } from '../errors.js';
import { refusedSignInLimit } from './rate-limit.js';

const servers: Server[] = [];
afterEach(async () => {
  for (const server of servers.splice(0)) {
    server.closeAllConnections();
    server.close();
    await once(server, 'close');
  }
});

/**
 * An app behind `refusedSignInLimit` (limit 1, every caller one address)
 * whose sign-in check waits for the test: `Authorization: bad` is refused
 * with a 401, `down` fails with a 503 (the check could not be made),
 * anything else let through; `Authorization: slow` waits until
 * `release()`.
 */
async function gatedApp(): Promise<{ url: string; release: () => void; checking: Promise<void> }> {
  let release!: () => void;
  const gate = new Promise<void>((resolve) => {
    release = resolve;
  });
  let started!: () => void;
  const checking = new Promise<void>((resolve) => {
    started = resolve;
  });
  const authenticate: RequestHandler = async (req, _res, next) => {
    if (req.get('authorization') === 'slow') {
      started();
      await gate;
    }
    if (req.get('authorization') === 'bad') throw new AppError('UNAUTHENTICATED', 'refused');
    if (req.get('authorization') === 'down') throw new AppError('UNAVAILABLE', 'the key set cannot be fetched');
    next();
  };
  const app = express();
  app.use(refusedSignInLimit(authenticate, { limit: 1, windowMs: 60_000, key: () => 'one address', refusal: 'too many' }));
  app.get('/', (_req, res) => {
    res.send('ok');
  });
  app.use((error: unknown, _req: Request, res: Response, _next: NextFunction) => {
    res.status(isAppError(error) ? error.status : 500).send(isAppError(error) ? error.code : 'failed');
  });
  const server = app.listen(0, '127.0.0.1');
  servers.push(server);
  await once(server, 'listening');
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`, release, checking };
}

const ask = (url: string, authorization: string) => fetch(url, { headers: { Authorization: authorization } }).then((response) => response.status);

describe('refusedSignInLimit', () => {
  it('keeps only refused sign-ins in the count: not the callers it let through, nor the 429s given while one was checked', async () => {
    const { url, release, checking } = await gatedApp();
    // one sign-in under way holds the address's one place; a second caller meanwhile waits its turn with a 429
    const slow = ask(url, 'slow');
    await checking;
    expect(await ask(url, 'good')).toBe(429);
    release();
    expect(await slow).toBe(200);
    // nothing was refused: the next caller is let in
    expect(await ask(url, 'good')).toBe(200);
    expect(await ask(url, 'bad')).toBe(401);
    // the refusal stays: the address is over its limit of one
    expect(await ask(url, 'good')).toBe(429);
  });

  it('gives back a sign-in that could not be checked: a 503 is no refusal', async () => {
    const { url } = await gatedApp();
    expect(await ask(url, 'down')).toBe(503);
    expect(await ask(url, 'down')).toBe(503);
    expect(await ask(url, 'good')).toBe(200);
  });
});
