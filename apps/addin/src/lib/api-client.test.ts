import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Import } from '@toa/api/imports';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ApiError, type ApiClient, AuthError, createApiClient, isTransient, NetworkError } from './api-client';
import type { RetryWait } from './retry';

/** A real HTTP server on a free port; each test says how it answers. */
type Handler = (req: IncomingMessage, body: Buffer, res: ServerResponse) => void;
let handler: Handler;
const seen: { method: string; url: string; headers: IncomingMessage['headers']; body: Buffer }[] = [];
let server: Server;
let client: ApiClient;
let baseUrl: string;

const IMPORT: Import = {
  schemaVersion: 1,
  id: '2026-11-03_1015-0a1b2c3d',
  domain: 'acme',
  status: 'DRAFT',
  createdAt: '2026-11-03T10:15:00.000Z',
  updatedAt: '2026-11-03T10:15:00.000Z',
  userId: 'bob@acme.example',
  userName: 'Bob Clerk',
  userEmail: 'bob@acme.example',
  source: {},
  documents: [{ n: 1, templateId: null, attributes: {}, pages: [] }],
  attempts: [],
};

function json(res: ServerResponse, status: number, body: unknown, type = 'application/json') {
  res.writeHead(status, { 'Content-Type': type });
  res.end(JSON.stringify(body));
}

function problem(res: ServerResponse, status: number, code: string, extra: object = {}) {
  json(res, status, { type: 'urn:x', title: code, status, detail: `${code} detail`, code, ...extra }, 'application/problem+json');
}

beforeAll(async () => {
  server = createServer((req, res) => {
    // jsdom's XMLHttpRequest enforces CORS against its own origin.
    res.setHeader('Access-Control-Allow-Origin', '*');
    res.setHeader('Access-Control-Allow-Headers', '*');
    res.setHeader('Access-Control-Allow-Methods', '*');
    // The pane is same-origin with the API; here the challenge must be exposed to read it cross-origin.
    res.setHeader('Access-Control-Expose-Headers', 'WWW-Authenticate, Retry-After');
    if (req.method === 'OPTIONS') {
      res.writeHead(204).end();
      return;
    }
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      seen.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body });
      handler(req, body, res);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  baseUrl = `http://127.0.0.1:${port}`;
  client = createApiClient({
    baseUrl,
    identity: () => ({ email: 'bob@acme.example', name: 'Bôb Clerk' }),
    retry: { attempts: 3, baseDelayMs: 1 },
  });
});

afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

beforeEach(() => {
  seen.length = 0;
});

describe('api client', () => {
  it('sends the dev identity and parses the answer with the shared schema', async () => {
    handler = (_req, _body, res) => json(res, 200, { domains: [{ code: 'acme', name: 'ACME', catalogueAvailable: true }] });
    await expect(client.domains()).resolves.toEqual({ domains: [{ code: 'acme', name: 'ACME', catalogueAvailable: true }] });
    expect(seen[0]?.url).toBe('/api/domains');
    expect(seen[0]?.headers['x-toa-user-email']).toBe('bob@acme.example');
    expect(decodeURIComponent(String(seen[0]?.headers['x-toa-user-name']))).toBe('Bôb Clerk');
  });

  it('turns a problem answer into an ApiError with field errors', async () => {
    handler = (_req, _body, res) =>
      problem(res, 422, 'ATTRIBUTES_INVALID', { errors: [{ field: 'amount', code: 'min', message: 'Amount must be at least 0' }] });
    const error = await client.updateDocument('acme', IMPORT.id, 1, { templateId: 'invoice', attributes: { amount: -1 } }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApiError);
    expect((error as ApiError).code).toBe('ATTRIBUTES_INVALID');
    expect((error as ApiError).fieldErrors).toEqual([{ field: 'amount', code: 'min', message: 'Amount must be at least 0' }]);
    expect(seen[0]?.method).toBe('PUT');
    expect(JSON.parse(seen[0]?.body.toString() ?? '')).toEqual({ templateId: 'invoice', attributes: { amount: -1 } });
  });

  it('retries an idempotent call after 502 and 503', async () => {
    let calls = 0;
    handler = (_req, _body, res) => {
      calls++;
      if (calls < 3) problem(res, calls === 1 ? 502 : 503, 'UNAVAILABLE');
      else json(res, 200, IMPORT);
    };
    await expect(client.getImport('acme', IMPORT.id)).resolves.toMatchObject({ id: IMPORT.id });
    expect(calls).toBe(3);
  });

  it('does not retry a POST that creates something', async () => {
    handler = (_req, _body, res) => problem(res, 503, 'UNAVAILABLE');
    await expect(client.createImport('acme', { source: { subject: 'x' } })).rejects.toBeInstanceOf(ApiError);
    expect(seen).toHaveLength(1);
  });

  it('does not retry a domain whose catalogue is missing', async () => {
    handler = (_req, _body, res) => problem(res, 503, 'CATALOGUE_UNAVAILABLE');
    await expect(client.templates('acme')).rejects.toMatchObject({ code: 'CATALOGUE_UNAVAILABLE' });
    expect(seen).toHaveLength(1);
  });

  it('makes up a problem when a proxy answers with HTML', async () => {
    handler = (_req, _body, res) => {
      res.writeHead(504, { 'Content-Type': 'text/html' });
      res.end('<html>Gateway Timeout</html>');
    };
    const error = await client.me().catch((e: unknown) => e);
    expect(error).toMatchObject({ status: 504, code: 'UNAVAILABLE' });
    expect(seen).toHaveLength(3);
  });

  it('rejects an answer that breaks the contract', async () => {
    handler = (_req, _body, res) => json(res, 200, { domains: 'nope' });
    await expect(client.domains()).rejects.toMatchObject({ code: 'INTERNAL', message: /does not match the API contract/ });
  });

  it('reports an unreachable server as a NetworkError', async () => {
    const offline = createApiClient({ baseUrl: 'http://127.0.0.1:9', identity: () => undefined, retry: { attempts: 2, baseDelayMs: 1 } });
    const error = await offline.me().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NetworkError);
    expect(isTransient(error)).toBe(true);
  });

  it('builds the duplicate-check query', async () => {
    handler = (_req, _body, res) => json(res, 200, { items: [], total: 0, limit: 5, offset: 0 });
    await client.listImports('acme', { messageId: '<a@b>', limit: 5 });
    expect(seen[0]?.url).toBe('/api/import/acme?messageId=%3Ca%40b%3E&limit=5');
  });

  it('uploads a page as multipart with progress, over XMLHttpRequest', async () => {
    const sidecarPage = {
      m: 1,
      filename: 'message.eml',
      size: 11,
      contentType: 'message/rfc822',
      sha256: 'a'.repeat(64),
      meta: { schemaVersion: 1, size: 11, sha256: 'a'.repeat(64), attachments: [] },
    };
    handler = (_req, _body, res) => json(res, 201, sidecarPage);
    const progress: number[] = [];
    const page = await client.uploadPage(
      'acme',
      IMPORT.id,
      1,
      { blob: new Blob(['Subject: x\r\n'], { type: 'message/rfc822' }), filename: 'message.eml' },
      { onProgress: ({ loaded, total }) => progress.push(loaded / total) },
    );
    expect(page).toEqual(sidecarPage);
    const request = seen[0];
    expect(request?.url).toBe(`/api/import/acme/${IMPORT.id}/documents/1/pages`);
    expect(request?.headers['content-type']).toMatch(/^multipart\/form-data; boundary=/);
    expect(request?.headers['x-toa-user-email']).toBe('bob@acme.example');
    const body = request?.body.toString() ?? '';
    expect(body).toContain('name="file"; filename="message.eml"');
    expect(body).toContain('Content-Type: message/rfc822');
    expect(body).toContain('Subject: x');
    expect(progress.at(-1)).toBe(1);
  });

  it('rejects a failed upload with the server problem', async () => {
    handler = (_req, _body, res) => problem(res, 413, 'PAYLOAD_TOO_LARGE');
    const upload = client.uploadPage('acme', IMPORT.id, 1, { blob: new Blob(['x']), filename: 'message.eml' });
    await expect(upload).rejects.toMatchObject({ status: 413, code: 'PAYLOAD_TOO_LARGE' });
  });
});

describe('api client when the server is busy (429, 503 with Retry-After)', () => {
  /** Refuses the first `refusals` requests with `status` and these headers, then answers with `answer`. */
  function busyFor(refusals: number, status: number, headers: Record<string, string>, answer: (res: ServerResponse) => void): Handler {
    let calls = 0;
    return (_req, _body, res) => {
      calls++;
      if (calls > refusals) return answer(res);
      for (const [name, value] of Object.entries(headers)) res.setHeader(name, value);
      problem(res, status, status === 429 ? 'UPLOADS_IN_PROGRESS' : 'PARSE_QUEUE_FULL');
    };
  }
  const waits: RetryWait[] = [];
  const onWait = (wait: RetryWait) => waits.push(wait);
  beforeEach(() => {
    waits.length = 0;
  });

  it('sends an upload again after a 429, pausing the delay-seconds the answer asked for', async () => {
    handler = busyFor(1, 429, { 'Retry-After': '1' }, (res) => json(res, 201, SIDECAR_PAGE));
    const page = await client.uploadPage('acme', IMPORT.id, 1, { blob: new Blob(['x']), filename: 'message.eml' }, { onWait });
    expect(page).toEqual(SIDECAR_PAGE);
    expect(seen).toHaveLength(2);
    expect(seen[1]?.body.toString()).toContain('filename="message.eml"');
    expect(waits).toEqual([{ attempt: 1, attempts: 3, delayMs: 1_000, error: expect.objectContaining({ status: 429, retryAfterMs: 1_000 }) }]);
  });

  it('sends a creating POST again after a 503 with Retry-After as an HTTP-date, but not after a 503 without one', async () => {
    const inOneSecond = new Date(Date.now() + 1_000).toUTCString();
    handler = busyFor(1, 503, { 'Retry-After': inOneSecond }, (res) => json(res, 201, IMPORT));
    await expect(client.createImport('acme', { source: { subject: 'x' } }, { onWait })).resolves.toMatchObject({ id: IMPORT.id });
    expect(seen).toHaveLength(2);
    // an HTTP-date has whole seconds: the pause is what is left of that second
    expect(waits[0]?.delayMs).toBeGreaterThanOrEqual(0);
    expect(waits[0]?.delayMs).toBeLessThanOrEqual(1_000);

    seen.length = 0;
    handler = busyFor(1, 503, {}, (res) => json(res, 201, IMPORT));
    await expect(client.createImport('acme', { source: { subject: 'x' } })).rejects.toMatchObject({ status: 503 });
    expect(seen).toHaveLength(1);
  });

  it('backs off by itself after a 429 without Retry-After', async () => {
    handler = busyFor(2, 429, {}, (res) => json(res, 201, IMPORT));
    await expect(client.createImport('acme', { source: {} }, { onWait })).resolves.toMatchObject({ id: IMPORT.id });
    expect(waits.map((wait) => [wait.attempt, wait.delayMs])).toEqual([
      [1, 1],
      [2, 2],
    ]);
  });

  it('caps a long Retry-After at the longest pause it makes', async () => {
    const capped = createApiClient({ baseUrl, identity: () => undefined, retry: { attempts: 2, baseDelayMs: 1, maxRetryAfterMs: 50 } });
    handler = busyFor(1, 429, { 'Retry-After': '86400' }, (res) => json(res, 200, IMPORT));
    await expect(capped.getImport('acme', IMPORT.id, { onWait })).resolves.toMatchObject({ id: IMPORT.id });
    expect(waits.map((wait) => wait.delayMs)).toEqual([50]);
  });

  it('gives up after its attempts with an ApiError that says the server stayed busy', async () => {
    handler = busyFor(99, 429, { 'Retry-After': '0' }, (res) => json(res, 201, IMPORT));
    const error = await client.createImport('acme', { source: {} }).catch((e: unknown) => e);
    expect(seen).toHaveLength(3);
    expect(error).toBeInstanceOf(ApiError);
    expect(error).toMatchObject({ status: 429, code: 'UPLOADS_IN_PROGRESS', attempts: 3 });
    expect((error as ApiError).message).toBe('The TOA server is busy and refused this 3 times (UPLOADS_IN_PROGRESS detail). Wait a minute, then try again.');
  });

  it('stops pausing at once when its signal is aborted', async () => {
    handler = busyFor(99, 429, { 'Retry-After': '30' }, (res) => json(res, 201, IMPORT));
    const controller = new AbortController();
    const reason = new Error('the pane closed');
    const created = client.createImport('acme', { source: {} }, { signal: controller.signal, onWait: () => controller.abort(reason) });
    await expect(created).rejects.toBe(reason);
    expect(seen).toHaveLength(1);
  });
});

const DOMAINS = { domains: [{ code: 'acme', name: 'ACME', catalogueAvailable: true }] };
const SIDECAR_PAGE = {
  m: 1,
  filename: 'message.eml',
  size: 1,
  contentType: 'message/rfc822',
  sha256: 'a'.repeat(64),
  meta: { schemaVersion: 1, size: 1, sha256: 'a'.repeat(64), attachments: [] },
};

/** Answers like the server in jwt mode: 401 with an RFC 6750 challenge unless the bearer token is in `accepted`. */
function jwtServer(accepted: Set<string>, answer: (res: ServerResponse) => void = (res) => json(res, 200, DOMAINS)): Handler {
  return (req, _body, res) => {
    const authorization = req.headers.authorization;
    if (!authorization) {
      res.setHeader('WWW-Authenticate', 'Bearer realm="toa"');
      problem(res, 401, 'UNAUTHENTICATED');
    } else if (!accepted.has(authorization.replace(/^Bearer /, ''))) {
      res.setHeader('WWW-Authenticate', 'Bearer realm="toa", error="invalid_token"');
      problem(res, 401, 'UNAUTHENTICATED', { detail: 'the token has expired' });
    } else {
      answer(res);
    }
  };
}

/** A token source handing out `token-1`, `token-2`, … (or failing with `failure`), counting its calls. */
function tokens(failure?: Error) {
  const source = {
    calls: 0,
    failure,
    next: async () => {
      source.calls++;
      if (source.failure) throw source.failure;
      return `token-${source.calls}`;
    },
  };
  return source;
}

function jwtClient(source: { next: () => Promise<string> }): ApiClient {
  return createApiClient({
    baseUrl,
    identity: () => ({ email: 'bob@acme.example', name: 'Bob' }),
    accessToken: source.next,
    retry: { attempts: 3, baseDelayMs: 1 },
  });
}

const authorizations = () => seen.map((request) => request.headers.authorization);

describe('api client with bearer tokens (jwt mode)', () => {
  it('asks for no token while the server does not challenge (dev mode)', async () => {
    const source = tokens();
    const api = jwtClient(source);
    handler = (_req, _body, res) => json(res, 200, DOMAINS);
    await api.domains();
    // A dev-mode 401 has no Bearer challenge: it stays an ApiError.
    handler = (_req, _body, res) => problem(res, 401, 'UNAUTHENTICATED');
    await expect(api.me()).rejects.toBeInstanceOf(ApiError);
    expect(source.calls).toBe(0);
    expect(authorizations()).toEqual([undefined, undefined]);
    expect(seen[1]?.headers['x-toa-user-email']).toBe('bob@acme.example');
  });

  it('gets a token on a Bearer challenge, repeats the request once with it, then always sends it', async () => {
    const source = tokens();
    const api = jwtClient(source);
    handler = jwtServer(new Set(['token-1']));
    await expect(api.domains()).resolves.toEqual(DOMAINS);
    await expect(api.domains()).resolves.toEqual(DOMAINS);
    expect(source.calls).toBe(1);
    expect(authorizations()).toEqual([undefined, 'Bearer token-1', 'Bearer token-1']);
    // With a token the dev identity is no longer sent.
    expect(seen[1]?.headers['x-toa-user-email']).toBeUndefined();
  });

  it('shares one token request among requests challenged at the same time', async () => {
    const source = tokens();
    const api = jwtClient(source);
    handler = jwtServer(new Set(['token-1']));
    await Promise.all([api.domains(), api.domains(), api.domains()]);
    expect(source.calls).toBe(1);
    expect(authorizations().filter((a) => a === 'Bearer token-1')).toHaveLength(3);
  });

  it('sends the token with an upload, and repeats a challenged upload with it', async () => {
    const source = tokens();
    const api = jwtClient(source);
    handler = jwtServer(new Set(['token-1']), (res) => json(res, 201, SIDECAR_PAGE));
    const file = { blob: new Blob(['x'], { type: 'message/rfc822' }), filename: 'message.eml' };
    await expect(api.uploadPage('acme', IMPORT.id, 1, file)).resolves.toEqual(SIDECAR_PAGE);
    await expect(api.uploadPage('acme', IMPORT.id, 1, file)).resolves.toEqual(SIDECAR_PAGE);
    expect(source.calls).toBe(1);
    expect(authorizations()).toEqual([undefined, 'Bearer token-1', 'Bearer token-1']);
    expect(seen[1]?.body.toString()).toContain('filename="message.eml"');
  });

  it('refreshes the token once when the server calls the cached one invalid_token', async () => {
    const source = tokens();
    const api = jwtClient(source);
    const accepted = new Set(['token-1']);
    handler = jwtServer(accepted);
    await api.domains();
    // token-1 expires; the source's next token is accepted.
    accepted.clear();
    accepted.add('token-2');
    await expect(api.domains()).resolves.toEqual(DOMAINS);
    expect(source.calls).toBe(2);
    expect(authorizations()).toEqual([undefined, 'Bearer token-1', 'Bearer token-1', 'Bearer token-2']);
  });

  it('stops with an AuthError when the server refuses the fresh token too', async () => {
    const source = tokens();
    const api = jwtClient(source);
    handler = jwtServer(new Set());
    const error = await api.domains().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AuthError);
    expect((error as AuthError).message).toMatch(/did not accept your sign-in \(the token has expired\)/);
    expect(isTransient(error)).toBe(false);
    expect(source.calls).toBe(1);
    expect(authorizations()).toEqual([undefined, 'Bearer token-1']);
  });

  it("turns the token source's failure into an AuthError with its message, sent once, and asks again on the next call", async () => {
    const source = tokens(new Error('You are not signed in to Office.'));
    const api = jwtClient(source);
    handler = jwtServer(new Set(['token-2']));
    const error = await api.domains().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AuthError);
    expect((error as AuthError).message).toBe('You are not signed in to Office.');
    expect(seen).toHaveLength(1);

    source.failure = undefined;
    await expect(api.domains()).resolves.toEqual(DOMAINS);
    expect(source.calls).toBe(2);
    expect(authorizations()).toEqual([undefined, undefined, 'Bearer token-2']);
  });

  it('leaves a Bearer challenge an ApiError when no token source is configured', async () => {
    handler = jwtServer(new Set());
    const error = await client.domains().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApiError);
    expect((error as ApiError).status).toBe(401);
    expect(seen).toHaveLength(1);
  });
});
