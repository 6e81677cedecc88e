import { once } from 'node:events';
import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { catalogueXml } from '@toa/fixtures/catalogue';
import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { type DomainConfig, domainConfigSchema } from '../config/schema.js';
import { AppError } from '../errors.js';
import { type CatalogueState, TemplateRegistry } from './template-registry.js';

/** A catalogue of one template with one attribute: the registry only cares which templates it holds. */
function oneTemplate(templateId: string, name = 'Incoming invoice'): string {
  return catalogueXml(`  <template id="${templateId}" name="${name}">
    <attribute id="supplier" label="Supplier" type="text" required="true" prefill="fromName"/>
  </template>
`);
}

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

/** A real HTTP server on loopback whose answer each test sets. */
class CatalogueServer {
  handler: Handler = (_req, res) => res.writeHead(404).end();
  requests = 0;
  readonly #server: Server = createServer((req, res) => {
    this.requests++;
    this.handler(req, res);
  });

  async listen(): Promise<void> {
    this.#server.listen(0, '127.0.0.1');
    await once(this.#server, 'listening');
  }

  url(file = 'cmserver2.xml'): string {
    return `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}/${file}`;
  }

  serve(body: string | Buffer, status = 200): void {
    this.handler = (_req, res) => res.writeHead(status, { 'content-type': 'application/xml' }).end(body);
  }

  async close(): Promise<void> {
    this.#server.closeAllConnections();
    this.#server.close();
    await once(this.#server, 'close');
  }
}

interface LogLine {
  level: number;
  msg: string;
  domain?: string;
  source?: string;
  reason?: string;
  [key: string]: unknown;
}

const NOW = new Date('2026-03-01T09:00:00.000Z');
const ARCHIVE = { type: 'filesystem', root: 'archive' } as const;

let dir: string;
let dataRoot: string;
let server: CatalogueServer;
let logs: LogLine[];
let registries: TemplateRegistry[];

beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'toa-templates-'));
  dataRoot = path.join(dir, 'data');
  await mkdir(dataRoot);
  server = new CatalogueServer();
  await server.listen();
  logs = [];
  registries = [];
});

afterEach(async () => {
  for (const registry of registries) registry.stop();
  await server.close();
  await rm(dir, { recursive: true, force: true });
});

function fileDomain(code: string, file: string): DomainConfig {
  return domainConfigSchema.parse({ code, name: code, templates: { file }, archive: ARCHIVE });
}

function urlDomain(code: string, url: string, extra: { refresh?: string; timeoutMs?: number; tokenEnv?: string; basicAuthEnv?: string } = {}): DomainConfig {
  return domainConfigSchema.parse({ code, name: code, templates: { url, ...extra }, archive: ARCHIVE });
}

function registry(domains: DomainConfig[], options: { maxBytes?: number; fetch?: typeof fetch; env?: NodeJS.ProcessEnv } = {}): TemplateRegistry {
  const logger = pino({ level: 'debug' }, { write: (line: string) => logs.push(JSON.parse(line) as LogLine) });
  const created = new TemplateRegistry({ domains, cacheFile: cachePath, logger, clock: { now: () => NOW }, ...options });
  registries.push(created);
  return created;
}

/** SPEC §3.1: a URL domain's catalogue is cached as cmserver2.xml in its domain folder. */
function cachePath(code: string): string {
  return path.join(dataRoot, code, 'cmserver2.xml');
}

function templateIds(state: CatalogueState): string[] {
  return state.available ? state.catalogue.templates.map((t) => t.id) : [];
}

function unavailableReason(state: CatalogueState): string {
  if (state.available) throw new Error('the catalogue is available');
  return state.reason;
}

describe('TemplateRegistry: file domains', () => {
  it('loads a catalogue file', async () => {
    const file = path.join(dir, 'acme.xml');
    await writeFile(file, oneTemplate('invoice'));
    const templates = registry([fileDomain('acme', file)]);
    await templates.start();

    const state = templates.state('acme');
    expect(state).toMatchObject({ available: true, source: 'file', loadedAt: NOW.toISOString() });
    expect(templateIds(state)).toEqual(['invoice']);
    expect(templates.template('acme', 'invoice')?.name).toBe('Incoming invoice');
    expect(templates.template('acme', 'contract')).toBeUndefined();
    // Only URL domains are cached.
    await expect(stat(cachePath('acme'))).rejects.toThrow(/ENOENT/);
    expect(logs).toContainEqual(expect.objectContaining({ msg: 'template catalogue loaded', domain: 'acme', source: 'file', templates: 1 }));
  });

  it('re-reads the file on refresh, and keeps the catalogue when the file turns bad', async () => {
    const file = path.join(dir, 'acme.xml');
    await writeFile(file, oneTemplate('invoice'));
    const templates = registry([fileDomain('acme', file)]);
    await templates.start();

    await writeFile(file, oneTemplate('contract'));
    expect(templateIds(await templates.refresh('acme'))).toEqual(['contract']);

    await writeFile(file, '<catalogue version="1"><template id="x"');
    const kept = await templates.refresh('acme');
    expect(templateIds(kept)).toEqual(['contract']);
    expect(templates.state('acme')).toBe(kept);
    const warning = logs.find((l) => l.msg === 'template catalogue refresh failed; keeping the catalogue in use');
    expect(warning).toMatchObject({ level: 40, domain: 'acme', source: 'file', file });
    expect(warning?.reason).toMatch(/^the catalogue file cannot be used: invalid catalogue: not well-formed XML/);
  });

  it('makes a domain whose file is missing unavailable, with a reason that names no local path', async () => {
    const file = path.join(dir, 'missing.xml');
    const templates = registry([fileDomain('acme', file)]);
    await templates.start();
    const reason = unavailableReason(templates.state('acme'));
    expect(reason).toBe('the catalogue file cannot be used: ENOENT: no such file or directory');
    expect(logs).toContainEqual(expect.objectContaining({ level: 50, msg: 'template catalogue unavailable', domain: 'acme', source: 'file', file, reason }));
  });

  it('refuses hostile files with a clear reason', async () => {
    const bomb = path.join(dir, 'bomb.xml');
    await writeFile(bomb, '<!DOCTYPE c [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;&a;&a;">]><catalogue version="1">&b;</catalogue>');
    const big = path.join(dir, 'big.xml');
    await writeFile(big, `<!--${'x'.repeat(2000)}-->${oneTemplate('invoice')}`);
    const templates = registry([fileDomain('bomb', bomb), fileDomain('big', big)], { maxBytes: 1000 });
    await templates.start();
    expect(unavailableReason(templates.state('bomb'))).toBe(
      'the catalogue file cannot be used: invalid catalogue: contains a <!DOCTYPE declaration, which catalogues may not have',
    );
    expect(unavailableReason(templates.state('big'))).toBe('the catalogue file cannot be used: invalid catalogue: larger than the limit of 1000 bytes');
  });
});

describe('TemplateRegistry: URL domains', () => {
  it('downloads, validates and caches the exact bytes', async () => {
    // A byte order mark and non-ASCII text: the cache must be byte-identical, not re-encoded.
    const bytes = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(oneTemplate('invoice', 'Přijatá faktura'))]);
    server.serve(bytes);
    const templates = registry([urlDomain('globex', server.url())]);
    await templates.start();

    expect(templates.state('globex')).toMatchObject({ available: true, source: 'url', loadedAt: NOW.toISOString() });
    expect(templates.template('globex', 'invoice')?.name).toBe('Přijatá faktura');
    expect((await readFile(cachePath('globex'))).equals(bytes)).toBe(true);
  });

  it('uses the cache when the URL is down at start', async () => {
    await mkdir(path.join(dataRoot, 'globex'));
    await writeFile(cachePath('globex'), oneTemplate('cached'));
    const url = server.url();
    await server.close();
    server = new CatalogueServer();
    await server.listen();

    const templates = registry([urlDomain('globex', url)]);
    await templates.start();
    const state = templates.state('globex');
    expect(state).toMatchObject({ available: true, source: 'cache' });
    expect(templateIds(state)).toEqual(['cached']);
    const warning = logs.find((l) => l.msg === 'template catalogue download failed; using the cached copy');
    expect(warning).toMatchObject({ level: 40, domain: 'globex', source: 'cache' });
    expect(warning?.reason).toMatch(/^the catalogue download failed: fetch failed \(.*ECONNREFUSED/);
  });

  it('leaves a domain with neither URL nor cache unavailable while the others work', async () => {
    const file = path.join(dir, 'acme.xml');
    await writeFile(file, oneTemplate('invoice'));
    server.serve('unavailable', 503);
    const templates = registry([urlDomain('globex', server.url()), fileDomain('acme', file)]);
    await templates.start();

    expect(unavailableReason(templates.state('globex'))).toBe('the catalogue download failed: HTTP 503 Service Unavailable; there is no cached copy');
    expect(templates.template('globex', 'invoice')).toBeUndefined();
    expect(templates.state('acme')).toMatchObject({ available: true, source: 'file' });
    expect(logs).toContainEqual(expect.objectContaining({ level: 50, msg: 'template catalogue unavailable', domain: 'globex', source: 'url' }));
  });

  it('says so when the cached copy is bad too', async () => {
    await mkdir(path.join(dataRoot, 'globex'));
    await writeFile(cachePath('globex'), 'not xml');
    server.serve('gone', 404);
    const templates = registry([urlDomain('globex', server.url())]);
    await templates.start();
    expect(unavailableReason(templates.state('globex'))).toMatch(
      /^the catalogue download failed: HTTP 404 Not Found; the cached copy cannot be used: invalid catalogue: not well-formed XML/,
    );
  });

  it('keeps the cache, untouched, when the URL serves an invalid catalogue', async () => {
    const good = oneTemplate('cached');
    await mkdir(path.join(dataRoot, 'globex'));
    await writeFile(cachePath('globex'), good);
    server.serve('<catalogue version="1"><template id="t" name="T"><attribute id="a" label="A" type="colour"/></template></catalogue>');
    const templates = registry([urlDomain('globex', server.url())]);
    await templates.start();

    expect(templates.state('globex')).toMatchObject({ available: true, source: 'cache' });
    expect(await readFile(cachePath('globex'), 'utf8')).toBe(good);
    expect(logs.find((l) => l.source === 'cache')?.reason).toBe(
      'the catalogue download failed: invalid catalogue: template "t", attribute "a": type "colour" is not one of text, number, date, choice, boolean',
    );
  });

  it('picks up a changed catalogue on refresh, and keeps the one it has when a refresh fails', async () => {
    server.serve(oneTemplate('invoice'));
    const templates = registry([urlDomain('globex', server.url())]);
    await templates.start();

    server.serve(oneTemplate('contract'));
    expect(templateIds(await templates.refresh('globex'))).toEqual(['contract']);
    expect(await readFile(cachePath('globex'), 'utf8')).toBe(oneTemplate('contract'));

    server.serve('<catalogue', 200);
    const kept = await templates.refresh('globex');
    expect(kept).toMatchObject({ available: true, source: 'url' });
    expect(templateIds(kept)).toEqual(['contract']);
    expect(await readFile(cachePath('globex'), 'utf8')).toBe(oneTemplate('contract'));
    expect(logs.at(-1)).toMatchObject({ level: 40, msg: 'template catalogue refresh failed; keeping the catalogue in use', domain: 'globex' });
  });

  it('cuts off a download over the size limit instead of buffering it', async () => {
    let closedEarly!: Promise<unknown>;
    server.handler = (_req, res) => {
      closedEarly = once(res, 'close');
      res.writeHead(200, { 'content-type': 'application/xml' });
      // An endless body: only the client giving up ends it.
      const chunk = Buffer.alloc(16 * 1024, 'x');
      const pump = () => {
        while (!res.destroyed && res.write(chunk));
        if (!res.destroyed) res.once('drain', pump);
      };
      pump();
    };
    const templates = registry([urlDomain('globex', server.url())], { maxBytes: 64 * 1024 });
    await templates.start();
    expect(unavailableReason(templates.state('globex'))).toBe(
      'the catalogue download failed: invalid catalogue: larger than the limit of 65536 bytes; there is no cached copy',
    );
    await closedEarly;
  });

  it('gives up on a server that does not answer in time', async () => {
    server.handler = () => {
      // never answers
    };
    const templates = registry([urlDomain('globex', server.url(), { timeoutMs: 100 })]);
    await templates.start();
    expect(unavailableReason(templates.state('globex'))).toBe('the catalogue download failed: no complete answer within 100 ms; there is no cached copy');
  });

  it('still uses a good download when it cannot be cached', async () => {
    await writeFile(path.join(dataRoot, 'globex'), 'a file where the domain folder should be');
    server.serve(oneTemplate('invoice'));
    const templates = registry([urlDomain('globex', server.url())]);
    await templates.start();
    expect(templates.state('globex')).toMatchObject({ available: true, source: 'url' });
    expect(logs).toContainEqual(expect.objectContaining({ level: 40, msg: 'template catalogue could not be cached', domain: 'globex' }));
  });

  it('shares one download between concurrent refreshes', async () => {
    server.serve(oneTemplate('invoice'));
    const templates = registry([urlDomain('globex', server.url())]);
    const [first, second] = await Promise.all([templates.refresh('globex'), templates.refresh('globex')]);
    expect(first).toBe(second);
    expect(server.requests).toBe(1);
  });

  it('sends the credentials named by tokenEnv or basicAuthEnv, and never logs them or the query', async () => {
    const seen: Array<string | undefined> = [];
    server.handler = (req, res) => {
      seen.push(req.headers.authorization);
      res.writeHead(500).end();
    };
    const env = { CM_TOKEN: 's3cret-token', CM_BASIC: 'user:pa55@word' };
    const templates = registry(
      [
        urlDomain('bearer', server.url('cm.xml?key=s3cret'), { tokenEnv: 'CM_TOKEN' }),
        urlDomain('basic', server.url('cm.xml'), { basicAuthEnv: 'CM_BASIC' }),
        urlDomain('unset', server.url('cm.xml'), { tokenEnv: 'CM_UNSET' }),
      ],
      { env },
    );
    await templates.start();
    expect(seen.sort()).toEqual([`Basic ${Buffer.from('user:pa55@word').toString('base64')}`, 'Bearer s3cret-token']);
    expect(unavailableReason(templates.state('unset'))).toBe(
      'the catalogue download failed: the environment variable CM_UNSET named in templates.tokenEnv is not set; there is no cached copy',
    );
    const logged = JSON.stringify(logs);
    expect(logged).toContain('/cm.xml');
    expect(logged).not.toMatch(/s3cret|pa55/);
  });
});

describe('TemplateRegistry: refresh timers and stop', () => {
  it('refreshes a URL domain on its interval until stopped', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    try {
      server.serve(oneTemplate('invoice'));
      let downloads = 0;
      // Counting at the call: the timer starts the download synchronously.
      const counting: typeof fetch = (input, init) => {
        downloads++;
        return fetch(input, init);
      };
      const file = path.join(dir, 'acme.xml');
      await writeFile(file, oneTemplate('invoice'));
      const templates = registry([urlDomain('globex', server.url(), { refresh: '1h' }), fileDomain('acme', file)], { fetch: counting });
      await templates.start();
      expect(downloads).toBe(1);

      server.serve(oneTemplate('contract'));
      await vi.advanceTimersByTimeAsync(3_600_000 - 1);
      expect(downloads).toBe(1);
      await vi.advanceTimersByTimeAsync(1);
      expect(downloads).toBe(2);
      expect(templateIds(await templates.refresh('globex'))).toEqual(['contract']);

      await vi.advanceTimersByTimeAsync(3_600_000);
      expect(downloads).toBe(3);
      await templates.refresh('globex');

      templates.stop();
      await vi.advanceTimersByTimeAsync(10 * 3_600_000);
      expect(downloads).toBe(3);
    } finally {
      vi.useRealTimers();
    }
  });

  it('retries a failing URL with back-off (seconds to minutes), not after the 24 h refresh, until it answers', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    try {
      server.serve('down', 503);
      const templates = registry([urlDomain('globex', server.url())]);
      /** each attempt ends with one log line; the next one is scheduled right after it */
      const attempts = (): number => logs.filter((l) => l.domain === 'globex' && /catalogue (unavailable|loaded)/.test(l.msg)).length;
      await templates.start();
      expect(attempts()).toBe(1);
      expect(templates.status('globex')).toMatchObject({
        available: false,
        lastFailure: { reason: 'the catalogue download failed: HTTP 503 Service Unavailable' },
      });
      // equal jitter: retry n comes after at most 5 s · 2^(n-1)
      for (const [ceiling, expected] of [
        [5_000, 2],
        [10_000, 3],
        [20_000, 4],
      ] as const) {
        await vi.advanceTimersByTimeAsync(ceiling);
        await vi.waitFor(() => expect(attempts()).toBe(expected));
      }
      server.serve(oneTemplate('invoice'));
      await vi.advanceTimersByTimeAsync(40_000);
      await vi.waitFor(() => expect(attempts()).toBe(5));
      expect(templateIds(templates.state('globex'))).toEqual(['invoice']);
      await vi.waitFor(() => expect(Date.parse(templates.status('globex').nextAttemptAt ?? '') - NOW.getTime()).toBe(24 * 3_600_000));
      expect(templates.status('globex').lastFailure).toBeUndefined();
      // healthy again: nothing more until the refresh interval
      await vi.advanceTimersByTimeAsync(60 * 60_000);
      expect(server.requests).toBe(5);
    } finally {
      vi.useRealTimers();
    }
  });

  it('never waits longer than 5 minutes between retries, nor longer than the refresh interval', async () => {
    server.serve('down', 500);
    const templates = registry([urlDomain('globex', server.url()), urlDomain('quick', server.url('quick.xml'), { refresh: '30s' })]);
    const waits: Record<string, number[]> = { globex: [], quick: [] };
    for (let failure = 1; failure <= 10; failure++) {
      for (const code of ['globex', 'quick']) {
        await templates.refresh(code);
        await vi.waitFor(() => expect(templates.status(code).lastFailure).toBeDefined());
        waits[code]?.push(Date.parse(templates.status(code).nextAttemptAt ?? '') - NOW.getTime());
      }
    }
    // 5 s · 2^(n-1) with equal jitter: between half and all of it, capped at 5 minutes
    expect(waits.globex?.[0]).toBeGreaterThanOrEqual(2_500);
    expect(waits.globex?.[0]).toBeLessThanOrEqual(5_000);
    expect(waits.globex?.[9]).toBeGreaterThanOrEqual(150_000);
    expect(Math.max(...(waits.globex ?? []))).toBeLessThanOrEqual(300_000);
    expect(Math.max(...(waits.quick ?? []))).toBeLessThanOrEqual(30_000);
  });

  it('waits out intervals longer than a timer can hold', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    try {
      server.serve(oneTemplate('invoice'));
      let downloads = 0;
      const counting: typeof fetch = (input, init) => {
        downloads++;
        return fetch(input, init);
      };
      const templates = registry([urlDomain('globex', server.url(), { refresh: '60d' })], { fetch: counting });
      await templates.start();
      const sixtyDays = 60 * 86_400_000;
      await vi.advanceTimersByTimeAsync(sixtyDays - 1);
      expect(downloads).toBe(1);
      await vi.advanceTimersByTimeAsync(1);
      expect(downloads).toBe(2);
      await templates.refresh('globex');
    } finally {
      vi.useRealTimers();
    }
  });

  it('aborts a download in flight when stopped', async () => {
    let received!: () => void;
    const requested = new Promise<void>((resolve) => {
      received = resolve;
    });
    server.handler = () => received();
    const templates = registry([urlDomain('globex', server.url())]);
    const starting = templates.start();
    await requested;
    templates.stop();
    await starting;
    expect(unavailableReason(templates.state('globex'))).toBe('the catalogue download failed: the server is stopping; there is no cached copy');
  });
});

describe('TemplateRegistry: domains', () => {
  it('answers for configured domains only', async () => {
    const templates = registry([fileDomain('acme', path.join(dir, 'acme.xml'))]);
    expect(templates.state('acme')).toEqual({ available: false, reason: 'the catalogue has not been loaded yet' });
    expect(() => templates.state('nope')).toThrow(AppError);
    expect(() => templates.state('nope')).toThrow('unknown domain "nope"');
    expect(() => templates.refresh('nope')).toThrow(expect.objectContaining({ code: 'DOMAIN_NOT_FOUND' }));
    expect(templates.template('nope', 'invoice')).toBeUndefined();
  });
});
