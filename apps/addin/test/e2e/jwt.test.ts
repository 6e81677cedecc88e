// @vitest-environment node
import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, type JWTPayload, SignJWT } from 'jose';
import { API_PREFIX } from '@toa/api/routes';
import type { Page, Request } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { chromiumForFile } from './support/chromium';
import { pdfMessage } from './support/corpus-message';
import { type OfficeConfig, type OfficeState, officeState, openPane } from './support/pane';
import { fillInvoice, importButton, submittedBatchId } from './support/pane-form';
import { type StoredImport, startToaServer, type ToaServer } from './support/toa-server';

/** The Entra ID side, played by the test: one tenant, one key, a key set on loopback. */
const TENANT = randomUUID();
const OID = randomUUID();
const ISSUER = `https://login.microsoftonline.com/${TENANT}/v2.0`;
const AUDIENCE = randomUUID();
const KID = 'toa-e2e-key';

const message = pdfMessage({ itemId: 'AAMkItem-jwt' });

/** What the stand-in's `Office.auth.getAccessToken` does (preview/office/stand-in.ts, `sso`). */
type SsoSetting = { token: string } | { error: { code: number; name: string; message: string } };

const browser = chromiumForFile();
let signingKey: CryptoKey;
let keySet: Server;
let jwksUrl: string;
let server: ToaServer | undefined;

beforeAll(async () => {
  const pair = await generateKeyPair('RS256', { extractable: true });
  signingKey = pair.privateKey;
  const publicJwk = { ...(await exportJWK(pair.publicKey)), kid: KID, alg: 'RS256', use: 'sig' };
  keySet = createServer((_req, res) => {
    res.writeHead(200, { 'Content-Type': 'application/json' });
    res.end(JSON.stringify({ keys: [publicJwk] }));
  });
  await new Promise<void>((resolve) => keySet.listen(0, '127.0.0.1', resolve));
  jwksUrl = `http://127.0.0.1:${(keySet.address() as AddressInfo).port}/discovery/v2.0/keys`;
});
afterAll(async () => {
  await new Promise((resolve) => keySet?.close(resolve));
});
afterEach(async () => {
  await server?.stop();
  server = undefined;
});

/** An access token as Entra ID issues it for the TOA API (v2, RS256). */
function mintToken(changes: JWTPayload = {}): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({
    iss: ISSUER,
    aud: AUDIENCE,
    tid: TENANT,
    oid: OID,
    preferred_username: 'dana@acme.example',
    name: 'Dana Novak',
    iat: now,
    exp: now + 3600,
    ...changes,
  })
    .setProtectedHeader({ alg: 'RS256', kid: KID, typ: 'JWT' })
    .sign(signingKey);
}

function startJwtServer(): Promise<ToaServer> {
  return startToaServer({ auth: { mode: 'jwt', jwksUrl, issuer: ISSUER, audience: AUDIENCE, tenants: [TENANT] } });
}

function paneWith(running: ToaServer, sso: SsoSetting): Promise<Page> {
  const office: OfficeConfig = { message: message.outlook, sso };
  return openPane(browser(), running.url, office);
}

const ssoState = (page: Page): Promise<OfficeState> => officeState(page);

/** Every /api request the pane sends, with its headers once it has been sent. */
function recordApiRequests(page: Page): Request[] {
  const requests: Request[] = [];
  page.on('request', (request) => {
    if (new URL(request.url()).pathname.startsWith(`${API_PREFIX}/`)) requests.push(request);
  });
  return requests;
}

describe('the task pane against a server in jwt mode', () => {
  it('signs in through Office SSO on the first challenge and imports to SUBMITTED as <tid>:<oid>', async () => {
    server = await startJwtServer();
    const token = await mintToken();
    const page = await paneWith(server, { token });
    await fillInvoice(page, { department: 'Finance' });
    const requests = recordApiRequests(page);
    await importButton(page).click();
    const batchId = await submittedBatchId(page);

    const stored = await server.importsOnDisk();
    expect(stored).toHaveLength(1);
    const { record } = stored[0] as StoredImport;
    expect(record).toMatchObject({ status: 'SUBMITTED', damisBatchId: batchId, userId: `${TENANT}:${OID}`, userEmail: 'dana@acme.example' });

    // One token for the whole session, asked for the add-in itself (not Microsoft Graph).
    const office = await ssoState(page);
    expect(office.calls.getAccessToken).toBe(1);
    expect(office.authOptions).toEqual([{ allowSignInPrompt: true, allowConsentPrompt: true, forMSGraphAccess: false }]);
    // Every request of the import, the XMLHttpRequest upload included, carried the cached token and no dev identity.
    const sent = requests.map((request) => `${request.method()} ${new URL(request.url()).pathname.replace(/^\/api\/import\/acme(\/[^/]+)?/, '')}`);
    expect(sent).toEqual(expect.arrayContaining(['POST ', 'POST /documents/1/pages', 'PUT /documents/1', 'POST /submit']));
    for (const request of requests) {
      const headers = await request.allHeaders();
      expect(headers.authorization).toBe(`Bearer ${token}`);
      expect(headers['x-toa-user-email']).toBeUndefined();
    }
  });

  it('shows why signing in failed when Office cannot give a token (13001), and asks again only on Try again', async () => {
    server = await startJwtServer();
    const page = await paneWith(server, { error: { code: 13001, name: 'User is not signed in', message: 'The user is not signed in.' } });
    const notice = page.getByText(/The domains could not be loaded: You are not signed in to Office\. Sign in to Outlook/);
    await notice.waitFor();
    expect(await notice.textContent()).toContain('(Office error 13001)');
    expect((await ssoState(page)).calls.getAccessToken).toBe(1);

    await page.getByRole('button', { name: 'Try again' }).click();
    await expect.poll(async () => (await ssoState(page)).calls.getAccessToken).toBe(2);
    await notice.waitFor();
    expect(await server.importsOnDisk()).toEqual([]);
  });

  it('says the server refused the sign-in when the token is not for TOA', async () => {
    server = await startJwtServer();
    // A Microsoft Graph token, say: right issuer and key, wrong audience.
    const page = await paneWith(server, { token: await mintToken({ aud: 'https://graph.microsoft.com' }) });
    await page.getByText(/The domains could not be loaded: The TOA server did not accept your sign-in/).waitFor();
    // One retry with a fresh token, then it stops.
    expect((await ssoState(page)).calls.getAccessToken).toBe(1);
  });
});
