import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { type CryptoKey, exportJWK, generateKeyPair, SignJWT } from 'jose';
import type { Certificate } from './tls.js';

/** A stand-in for Microsoft Entra ID: one tenant, a signing key, its key set served over HTTPS on loopback. */
export interface Issuer {
  tenant: string;
  issuer: string;
  audience: string;
  jwksUrl: string;
  /** a v2 access token for user `oid` of the tenant, valid ten minutes */
  token(oid: string): Promise<string>;
  close(): Promise<void>;
}

export async function startIssuer(certificate: Certificate): Promise<Issuer> {
  const tenant = randomUUID();
  const issuer = `https://login.microsoftonline.com/${tenant}/v2.0`;
  const audience = randomUUID();
  const kid = 'walk-key';
  const pair = await generateKeyPair('RS256', { extractable: true });
  const key: CryptoKey = pair.privateKey;
  const keys = [{ ...(await exportJWK(pair.publicKey)), kid, alg: 'RS256', use: 'sig' }];
  const server: Server = createServer({ cert: await readFile(certificate.certFile), key: await readFile(certificate.keyFile) }, (_req, res) => {
    res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify({ keys }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const now = (): number => Math.floor(Date.now() / 1000);
  return {
    tenant,
    issuer,
    audience,
    jwksUrl: `https://127.0.0.1:${(server.address() as AddressInfo).port}/discovery/v2.0/keys`,
    token: (oid) =>
      new SignJWT({ iss: issuer, aud: audience, tid: tenant, oid, preferred_username: 'admin@acme.example', name: 'Ada Admin', iat: now(), exp: now() + 600 })
        .setProtectedHeader({ alg: 'RS256', kid })
        .sign(key),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
