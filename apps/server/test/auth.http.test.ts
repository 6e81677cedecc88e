import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { problemSchema } from '@toa/api/errors';
import { healthSchema, meSchema } from '@toa/api/identity';
import { importSchema, listImportsResponseSchema } from '@toa/api/imports';
import { paths } from '@toa/api/routes';
import { base64url, type CryptoKey, exportJWK, exportSPKI, generateKeyPair, type JWK, type JWTPayload, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ConfigInput } from '../src/config/schema.js';
import { json, startTestServer, type TestServer } from './support/server.js';

const TENANT = randomUUID();
const OTHER_TENANT = randomUUID();
const ISSUER = `https://login.microsoftonline.com/${TENANT}/v2.0`;
const AUDIENCE = 'api://toa.test/6e1f3c52-0000-4000-8000-000000000001';
const KID = 'toa-test-key';
const ADMIN_OID = randomUUID();

/** A key set served over real HTTP on loopback, as Entra's discovery/v2.0/keys would. */
async function serveKeySet(keys: JWK[]): Promise<{ url: string; server: Server }> {
  const server = createServer((_req, res) => {
    res.writeHead(200, { 'Content-Type': 'application/json' });
    res.end(JSON.stringify({ keys }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/discovery/v2.0/keys`, server };
}

/** The test server's acme domain (SPEC catalogue, filesystem archive) with the given `users` rule. */
function acmeOwnedBy(tenants: string[]): Partial<ConfigInput> {
  return {
    domains: [
      {
        code: 'acme',
        name: 'ACME archive',
        users: { mailDomains: ['acme.example'], tenants },
        templates: { file: './acme.xml' },
        archive: { type: 'filesystem', root: './archive/acme' },
      },
    ],
  };
}

function jwtAuth(jwksUrl: string, extra: Record<string, unknown> = {}): Partial<ConfigInput> {
  return {
    auth: { mode: 'jwt', jwksUrl, issuer: ISSUER, audience: AUDIENCE, tenants: [TENANT], admins: [`${TENANT}:${ADMIN_OID}`], ...extra } as ConfigInput['auth'],
  };
}

const now = (): number => Math.floor(Date.now() / 1000);

let issuerKey: CryptoKey;
let publicJwk: JWK;
let publicPem: string;
let attackerKey: CryptoKey;
let keySet: { url: string; server: Server };
let server: TestServer;

/** A token as Entra would issue it for a user of TENANT, with `claims` changed and `omit` removed. */
function claims(changes: JWTPayload = {}, omit: string[] = []): JWTPayload {
  const base: JWTPayload = {
    iss: ISSUER,
    aud: AUDIENCE,
    tid: TENANT,
    oid: randomUUID(),
    preferred_username: 'Alice.Doe@ACME.example',
    name: 'Alice Doe',
    iat: now(),
    exp: now() + 600,
    ...changes,
  };
  for (const claim of omit) delete base[claim];
  return base;
}

function sign(
  payload: JWTPayload,
  key: CryptoKey | Uint8Array = issuerKey,
  header: { alg: string; kid?: string } = { alg: 'RS256', kid: KID },
): Promise<string> {
  return new SignJWT(payload).setProtectedHeader(header).sign(key);
}

function call(pathname: string, authorization?: string, init: RequestInit = {}): Promise<Response> {
  const headers = new Headers(init.headers);
  if (authorization !== undefined) headers.set('Authorization', authorization);
  return fetch(`${server.url}${pathname}`, { ...init, headers });
}

const bearer = (token: string) => (pathname: string, init?: RequestInit) => call(pathname, `Bearer ${token}`, init);

beforeAll(async () => {
  const pair = await generateKeyPair('RS256', { extractable: true });
  issuerKey = pair.privateKey;
  publicJwk = { ...(await exportJWK(pair.publicKey)), kid: KID, alg: 'RS256', use: 'sig' };
  publicPem = await exportSPKI(pair.publicKey);
  attackerKey = (await generateKeyPair('RS256')).privateKey;
  keySet = await serveKeySet([publicJwk]);
  server = await startTestServer({ overrides: jwtAuth(keySet.url) });
});
afterAll(async () => {
  await server?.dispose();
  await new Promise((resolve) => keySet?.server.close(resolve));
});

async function expectRefused(response: Response, detail: RegExp, challenge = 'Bearer realm="toa", error="invalid_token"'): Promise<string> {
  expect(response.status).toBe(401);
  expect(response.headers.get('www-authenticate')).toBe(challenge);
  const body = problemSchema.parse(await response.json());
  expect(body.code).toBe('UNAUTHENTICATED');
  expect(body.detail).toMatch(detail);
  return JSON.stringify(body);
}

describe('jwt auth: /api/health', () => {
  it('shows the checks to an administrator’s token only; no token or a forged one gets the status, never a 401', async () => {
    const admin = await bearer(await sign(claims({ oid: ADMIN_OID })))(paths.health());
    expect(admin.status).toBe(200);
    const health = healthSchema.parse(await admin.json());
    expect(health.checks?.identity).toEqual({ ok: true });
    expect(health.checks?.catalogues.acme).toMatchObject({ available: true, source: 'file' });

    for (const response of [
      await call(paths.health()),
      await bearer(await sign(claims()))(paths.health()),
      await bearer(await sign(claims({ oid: ADMIN_OID }), attackerKey))(paths.health()),
    ]) {
      expect(response.status).toBe(200);
      expect(response.headers.get('www-authenticate')).toBeNull();
      expect(await response.json()).toEqual({ status: 'ok' });
    }
  });
});

describe('jwt auth: accepted tokens', () => {
  it('identifies the caller by tenant and object id, keeping the e-mail for display', async () => {
    const payload = claims();
    const response = await bearer(await sign(payload))(paths.me());
    expect(response.status).toBe(200);
    expect(meSchema.parse(await response.json())).toEqual({
      userId: `${TENANT}:${payload.oid}`,
      email: 'alice.doe@acme.example',
      name: 'Alice Doe',
      roles: ['user'],
      authMode: 'jwt',
    });
  });

  it('honours the clock tolerance for nbf and exp, and falls back to email and upn for the address', async () => {
    for (const changes of [{ nbf: now() + 30 }, { exp: now() - 30 }, { preferred_username: '+420123456789', email: 'bob@acme.example' }]) {
      const response = await bearer(await sign(claims(changes)))(paths.me());
      expect(response.status, JSON.stringify(changes)).toBe(200);
    }
    const upnOnly = await bearer(await sign(claims({ upn: 'carol@acme.example' }, ['preferred_username'])))(paths.me());
    expect(meSchema.parse(await upnOnly.json()).email).toBe('carol@acme.example');
  });

  it('takes the address from verified claims first: email with xms_edov, then upn, then preferred_username and email', async () => {
    const emailOf = async (payload: JWTPayload) => meSchema.parse(await (await bearer(await sign(payload))(paths.me())).json()).email;
    const unverified = { preferred_username: 'mallory@globex.example' };
    expect(await emailOf(claims({ ...unverified, email: 'alice@acme.example', xms_edov: true }))).toBe('alice@acme.example');
    expect(await emailOf(claims({ ...unverified, email: 'alice@acme.example', xms_edov: false }))).toBe('mallory@globex.example');
    expect(await emailOf(claims({ ...unverified, email: 'alice@acme.example', xms_edov: 'true' }))).toBe('mallory@globex.example');
    expect(await emailOf(claims({ ...unverified, upn: 'Alice@ACME.example' }))).toBe('alice@acme.example');
    expect(await emailOf(claims({ ...unverified, upn: 'alice@acme.example', email: 'carol@acme.example', xms_edov: true }))).toBe('carol@acme.example');
    // the domain rule sees the verified address
    const verified = bearer(await sign(claims({ ...unverified, upn: 'alice@acme.example' })));
    expect((await verified(paths.imports('acme'), json('POST', {}))).status).toBe(201);
    const unverifiedOnly = bearer(await sign(claims({ ...unverified, email: 'alice@acme.example' })));
    expect((await unverifiedOnly(paths.imports('acme'), json('POST', {}))).status).toBe(403);
  });

  it('gives the admin role to the configured user ids', async () => {
    const me = meSchema.parse(await (await bearer(await sign(claims({ oid: ADMIN_OID })))(paths.me())).json());
    expect(me).toMatchObject({ userId: `${TENANT}:${ADMIN_OID}`, roles: ['user', 'admin'] });
  });

  it('keys ownership on the object id: a colleague with the same e-mail sees a 404', async () => {
    const alice = bearer(await sign(claims()));
    const impostor = bearer(await sign(claims()));
    const source = { internetMessageId: '<auth@mail.example>', subject: 'Invoice', from: 'S <s@example.com>', receivedAt: '2026-11-20T08:00:00+01:00' };
    const created = importSchema.parse(await (await alice(paths.imports('acme'), json('POST', { source }))).json());
    expect((await alice(paths.import('acme', created.id))).status).toBe(200);
    const hidden = await impostor(paths.import('acme', created.id));
    expect(hidden.status).toBe(404);
    expect(problemSchema.parse(await hidden.json()).code).toBe('IMPORT_NOT_FOUND');
    expect(listImportsResponseSchema.parse(await (await impostor(paths.imports('acme'))).json()).items).toEqual([]);
  });
});

describe('jwt auth: refused requests answer 401 UNAUTHENTICATED with a Bearer challenge', () => {
  it.each([
    ['no Authorization header', undefined, /Authorization: Bearer <token>/, 'Bearer realm="toa"'],
    ['another scheme (Basic)', 'Basic YWxpY2U6c2VjcmV0', /Bearer scheme, not "Basic"/, 'Bearer realm="toa"'],
    ['Bearer without a token', 'Bearer', /"Bearer <token>" with one token/, 'Bearer realm="toa", error="invalid_request"'],
    ['Bearer with two tokens', 'Bearer abc def', /"Bearer <token>" with one token/, 'Bearer realm="toa", error="invalid_request"'],
    ['a header of garbage', '{{{ not a header', /Bearer scheme/, 'Bearer realm="toa"'],
    ['a token of garbage', 'Bearer not.a.jwt', /not a well-formed signed JWT/, 'Bearer realm="toa", error="invalid_token"'],
  ])('%s', async (_case, authorization, detail, challenge) => {
    await expectRefused(await call(paths.me(), authorization), detail, challenge);
  });

  const tokenCases: Array<[string, () => Promise<string>, RegExp]> = [
    ['expired (beyond the tolerance)', () => sign(claims({ iat: now() - 3600, exp: now() - 300 })), /has expired/],
    ['not yet valid (nbf beyond the tolerance)', () => sign(claims({ nbf: now() + 300 })), /not valid yet/],
    ['without exp', () => sign(claims({}, ['exp'])), /no valid expiry/],
    ['for another audience', () => sign(claims({ aud: 'api://someone-else' })), /another audience/],
    ['from another issuer', () => sign(claims({ iss: 'https://login.microsoftonline.com/common/v2.0' })), /another issuer/],
    ['from a tenant not on the allow-list', () => sign(claims({ tid: OTHER_TENANT })), /tenant that may not use this server/],
    [
      'unsigned (alg none)',
      async () => `${base64url.encode(JSON.stringify({ alg: 'none', typ: 'JWT' }))}.${base64url.encode(JSON.stringify(claims()))}.`,
      /not signed with an allowed algorithm/,
    ],
    [
      'HS256 with the public key PEM as secret',
      () => sign(claims(), new TextEncoder().encode(publicPem), { alg: 'HS256', kid: KID }),
      /not signed with an allowed algorithm/,
    ],
    [
      'HS256 with the public JWK as secret',
      () => sign(claims(), new TextEncoder().encode(JSON.stringify(publicJwk)), { alg: 'HS256', kid: KID }),
      /not signed with an allowed algorithm/,
    ],
    [
      'signed with a key id the issuer does not publish',
      () => sign(claims(), attackerKey, { alg: 'RS256', kid: 'not-published' }),
      /key the issuer does not publish/,
    ],
    ['forged: another key under the issuer’s key id', () => sign(claims(), attackerKey), /signature does not verify/],
    [
      'tampered: payload swapped under a valid signature',
      async () => {
        const [header, , signature] = (await sign(claims())).split('.');
        return `${header}.${base64url.encode(JSON.stringify(claims({ oid: ADMIN_OID })))}.${signature}`;
      },
      /signature does not verify/,
    ],
    ['without tid', () => sign(claims({}, ['tid'])), /no tenant id \(tid\)/],
    ['without oid', () => sign(claims({}, ['oid'])), /no user id \(oid\)/],
    ['without an e-mail address', () => sign(claims({ preferred_username: 'alice' })), /no e-mail address/],
  ];

  it.each(tokenCases)('a token %s', async (_case, makeToken, detail) => {
    const token = await makeToken();
    const body = await expectRefused(await bearer(token)(paths.me()), detail);
    // the answer names the failed check, never the token or the key
    expect(body).not.toContain(token.split('.')[1]);
    expect(body).not.toContain(publicJwk.n);
  });

  it('refuses on every route behind auth, not only /me', async () => {
    const expired = await sign(claims({ exp: now() - 300 }));
    await expectRefused(await bearer(expired)(paths.imports('acme'), json('POST', {})), /has expired/);
    await expectRefused(await bearer(expired)(paths.domains()), /has expired/);
  });
});

describe('jwt auth: refused sign-ins from one address', () => {
  it('count against refusedPerMinute once verified and refused; accepted tokens never do', async () => {
    const limited = await startTestServer({ overrides: { ...jwtAuth(keySet.url), limits: { refusedPerMinute: 2 } } });
    try {
      const ask = (authorization: string) => fetch(`${limited.url}${paths.me()}`, { headers: { Authorization: authorization } });
      const valid = `Bearer ${await sign(claims())}`;
      for (let i = 0; i < 4; i += 1) expect((await ask(valid)).status).toBe(200);
      const forged = `Bearer ${await sign(claims(), attackerKey)}`;
      const statuses: number[] = [];
      for (let i = 0; i < 3; i += 1) statuses.push((await ask(forged)).status);
      expect(statuses).toEqual([401, 401, 429]);
      expect((await ask(valid)).status).toBe(429);
    } finally {
      await limited.dispose();
    }
  });
});

describe('jwt auth: several tenants and the key set', () => {
  it('checks a {tenantid} issuer against the token’s own tenant', async () => {
    const multi = await startTestServer({
      overrides: {
        ...jwtAuth(keySet.url, { issuer: 'https://login.microsoftonline.com/{tenantid}/v2.0', tenants: [TENANT, OTHER_TENANT.toUpperCase()] }),
        ...acmeOwnedBy([TENANT]),
      },
    });
    try {
      const other = `https://login.microsoftonline.com/${OTHER_TENANT}/v2.0`;
      const meWith = async (payload: JWTPayload) => fetch(`${multi.url}${paths.me()}`, { headers: { Authorization: `Bearer ${await sign(payload)}` } });
      expect((await meWith(claims())).status).toBe(200);
      const me = meSchema.parse(await (await meWith(claims({ tid: OTHER_TENANT, iss: other }))).json());
      expect(me.userId.startsWith(`${OTHER_TENANT}:`)).toBe(true);
      await expectRefused(await meWith(claims({ tid: OTHER_TENANT, iss: ISSUER })), /another issuer/);
      await expectRefused(await meWith(claims({ tid: randomUUID(), iss: ISSUER })), /tenant that may not use this server/);
    } finally {
      await multi.dispose();
    }
  });

  it('lets only the tenant that owns a mail domain vouch for addresses in it, whatever another tenant’s token claims', async () => {
    const multi = await startTestServer({
      overrides: {
        ...jwtAuth(keySet.url, { issuer: 'https://login.microsoftonline.com/{tenantid}/v2.0', tenants: [TENANT, OTHER_TENANT] }),
        ...acmeOwnedBy([TENANT.toUpperCase()]),
      },
    });
    try {
      const as =
        (payload: JWTPayload) =>
        async (pathname: string, init: RequestInit = {}) =>
          fetch(`${multi.url}${pathname}`, { ...init, headers: { ...init.headers, Authorization: `Bearer ${await sign(payload)}` } });
      const other = `https://login.microsoftonline.com/${OTHER_TENANT}/v2.0`;
      // the other tenant's administrator can put any address in these claims
      const impostors = [
        claims({ tid: OTHER_TENANT, iss: other, preferred_username: 'alice@acme.example' }),
        claims({ tid: OTHER_TENANT, iss: other, preferred_username: 'x', email: 'alice@acme.example', xms_edov: true }),
        claims({ tid: OTHER_TENANT, iss: other, upn: 'alice@acme.example' }),
      ];
      for (const payload of impostors) {
        const impostor = as(payload);
        expect(meSchema.parse(await (await impostor(paths.me())).json()).email).toBe('alice@acme.example');
        expect(((await (await impostor(paths.domains())).json()) as { domains: unknown[] }).domains).toEqual([]);
        const refused = await impostor(paths.imports('acme'), json('POST', {}));
        expect(refused.status).toBe(403);
        expect(problemSchema.parse(await refused.json()).code).toBe('DOMAIN_FORBIDDEN');
      }
      const owner = as(claims());
      expect(((await (await owner(paths.domains())).json()) as { domains: Array<{ code: string }> }).domains.map((d) => d.code)).toEqual(['acme']);
      expect((await owner(paths.imports('acme'), json('POST', {}))).status).toBe(201);
    } finally {
      await multi.dispose();
    }
  });

  it('a caller without credentials gets the status the key set leaves: degraded (503) while it cannot be fetched', async () => {
    const gone = await serveKeySet([publicJwk]);
    await new Promise((resolve) => gone.server.close(resolve));
    const stranded = await startTestServer({ overrides: jwtAuth(gone.url) });
    try {
      for (let call = 0; call < 3; call += 1) {
        const response = await fetch(`${stranded.url}${paths.health()}`);
        expect(response.status).toBe(503);
        expect(response.headers.get('content-type')).toMatch(/^application\/json/);
        expect(await response.json()).toEqual({ status: 'degraded' });
      }
    } finally {
      await stranded.dispose();
    }
  });

  it('answers 503, not 401, when the key set cannot be fetched: a new token would not help', async () => {
    const gone = await serveKeySet([publicJwk]);
    await new Promise((resolve) => gone.server.close(resolve));
    const stranded = await startTestServer({ overrides: jwtAuth(gone.url) });
    try {
      const response = await fetch(`${stranded.url}${paths.me()}`, { headers: { Authorization: `Bearer ${await sign(claims())}` } });
      expect(response.status).toBe(503);
      expect(problemSchema.parse(await response.json()).code).toBe('UNAVAILABLE');
    } finally {
      await stranded.dispose();
    }
  });
});
