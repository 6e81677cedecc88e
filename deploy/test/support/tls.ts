import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';

export interface Certificate {
  certFile: string;
  keyFile: string;
  /** the certificate in PEM: a client's `ca` */
  pem: string;
}

/** A self-signed certificate for `localhost` and 127.0.0.1 from openssl, valid for a day. */
export async function selfSignedCertificate(dir: string, name: string): Promise<Certificate> {
  const certFile = path.join(dir, `${name}.crt`);
  const keyFile = path.join(dir, `${name}.key`);
  await promisify(execFile)('openssl', [
    'req',
    '-x509',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:prime256v1',
    '-nodes',
    '-days',
    '1',
    '-subj',
    '/CN=localhost',
    '-addext',
    'subjectAltName=DNS:localhost,IP:127.0.0.1',
    '-keyout',
    keyFile,
    '-out',
    certFile,
  ]);
  return { certFile, keyFile, pem: await readFile(certFile, 'utf8') };
}
