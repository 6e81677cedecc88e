import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { DEV_IDENTITY_HEADERS } from '@toa/api/routes';
import pino, { type Logger } from 'pino';
import type { Clock } from '../../src/clock.js';
import { loadConfig } from '../../src/config/load-config.js';
import type { Config, ConfigInput } from '../../src/config/schema.js';
import { type RunningServer, startServer } from '../../src/server.js';
import { CLEAN_STOP_FILE } from '../../src/storage/layout.js';
import { testConfig, writeTestSite } from '@toa/fixtures/site';

export interface TestServer extends RunningServer {
  dir: string;
  config: Config;
  dataRoot: string;
  logDir: string;
  archiveRoot: string;
  /** fetch against the server as a given user (dev identity headers) */
  as(email: string, name?: string): (pathname: string, init?: RequestInit) => Promise<Response>;
  /** stop the server and remove its temporary folder */
  dispose(): Promise<void>;
}

/** A fixed clock that tests can move. */
export class TestClock implements Clock {
  constructor(public current: Date) {}
  now(): Date {
    return this.current;
  }
}

/** The one domain of a test server, "acme", as its configuration file spells it. */
export { TEST_DOMAIN } from '@toa/fixtures/site';

/**
 * Starts the real server on 127.0.0.1 port 0 with a real configuration file
 * in a fresh temporary folder: one domain "acme" with the SPEC catalogue and
 * the filesystem archive, plus whatever `overrides` says.
 */
export async function startTestServer(
  options: {
    overrides?: Partial<ConfigInput>;
    /** settings a configuration file cannot make (the checkout's own folders) */
    adjust?: (config: Config) => Config;
    clock?: Clock;
    dir?: string;
    submitWaitMs?: number;
    /** the header deadline (30 s in production): short for tests of slow clients */
    headersTimeoutMs?: number;
    fetch?: typeof fetch;
    logger?: Logger;
    /** the environment the `…Env` keys are read from; empty unless given */
    env?: NodeJS.ProcessEnv;
    /** false: resolve as soon as the server answers, while its start-up pass may still run (`started` says when it is done) */
    awaitStart?: boolean;
  } = {},
): Promise<TestServer> {
  const dir = options.dir ?? (await mkdtemp(path.join(os.tmpdir(), 'toa-http-')));
  const configFile = await writeTestSite(dir, {
    config: testConfig({ dataRetention: '30d', logLevel: 'silent', auth: { mode: 'dev', admins: ['admin@acme.example'] }, ...options.overrides }),
  });
  const loaded = loadConfig({ file: configFile, env: {} });
  const config = options.adjust ? options.adjust(loaded) : loaded;
  const running = await startServer(config, {
    logger: options.logger ?? pino({ level: 'silent' }),
    ...(options.clock ? { clock: options.clock } : {}),
    ...(options.fetch ? { fetch: options.fetch } : {}),
    env: options.env ?? {},
    submitWaitMs: options.submitWaitMs ?? 0,
    ...(options.headersTimeoutMs === undefined ? {} : { headersTimeoutMs: options.headersTimeoutMs }),
  });
  if (options.awaitStart !== false) {
    await running.started.catch(async (error: unknown) => {
      await running.close();
      throw error;
    });
  }
  return {
    ...running,
    dir,
    config,
    dataRoot: config.dataRoot,
    logDir: config.logDir,
    archiveRoot: path.join(dir, 'archive', 'acme'),
    as(email, name = 'Test User') {
      return (pathname, init = {}) => {
        const headers = new Headers(init.headers);
        headers.set(DEV_IDENTITY_HEADERS.email, email);
        headers.set(DEV_IDENTITY_HEADERS.name, name);
        return fetch(`${running.url}${pathname}`, { ...init, headers });
      };
    },
    async dispose() {
      await running.close();
      if (!options.dir) await rm(dir, { recursive: true, force: true });
    },
  };
}

/**
 * Makes a data root that a server left with a clean stop (`dispose`) look as
 * a crash leaves it: without the clean-stop mark (ADR 0025), so the next
 * start sweeps every pages folder. Fails when there was no mark.
 */
export async function forgetCleanStop(dataRoot: string): Promise<void> {
  await rm(path.join(dataRoot, CLEAN_STOP_FILE));
}

/** JSON body helper for fetch. */
export function json(method: string, body: unknown): RequestInit {
  return { method, headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) };
}

/** A multipart upload of one file in the field "file". */
export function upload(bytes: Uint8Array, filename: string, contentType: string): RequestInit {
  const form = new FormData();
  form.append('file', new Blob([bytes], { type: contentType }), filename);
  return { method: 'POST', body: form };
}

/** Polls an import until it leaves PENDING. */
export async function settled(call: (pathname: string) => Promise<Response>, pathname: string): Promise<{ status: string; [key: string]: unknown }> {
  for (let i = 0; i < 500; i += 1) {
    const body = (await (await call(pathname)).json()) as { status: string };
    if (body.status !== 'PENDING') return body;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error(`${pathname} stayed PENDING`);
}
