import net from 'node:net';
import { importSchema } from '@toa/api/imports';
import { paths } from '@toa/api/routes';
import { identityLines, requestHead } from '../../hostile/support.js';
import type { Ledger } from './ledger.js';

const BOUNDARY = 'toa-trickle';

/** Something a fault started that can be ended: the fault goes away. */
export interface Abuser {
  stop(): Promise<void>;
}

/**
 * Page uploads that declare a large body and send one byte every
 * `intervalMs`, never finishing: each holds a connection and, once accepted,
 * a temporary file on the server. `users` greedy users (`<name>N@acme.example`)
 * start `uploadsEach` each, into an import of their own. What each answer
 * was goes to the ledger (an upload still trickling when stopped is not counted).
 */
export async function trickleUploads(
  ledger: Ledger,
  baseUrl: string,
  greedy: { name: string; users: number; uploadsEach: number },
  intervalMs: number,
): Promise<Abuser> {
  const uploads: Array<{ email: string; pathname: string }> = [];
  for (let user = 1; user <= greedy.users; user += 1) {
    const email = `${greedy.name}${user}@acme.example`;
    const [id] = await importsOf(ledger, baseUrl, email, 1);
    for (let i = 0; i < greedy.uploadsEach && id; i += 1) uploads.push({ email, pathname: paths.pages('acme', id, 1) });
  }
  const { hostname, port } = new URL(baseUrl);
  const sockets = uploads.map(({ email, pathname }) => {
    const at = performance.now();
    const socket = net.connect(Number(port), hostname);
    let answer = '';
    let counted = false;
    const count = (): void => {
      if (counted) return;
      counted = true;
      const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(answer)?.[1] ?? 0);
      const code = /"code":"([A-Z_]+)"/.exec(answer)?.[1];
      ledger.outcomes.push({ status, ...(code ? { code } : {}), ms: performance.now() - at, at });
      if (status === 500) ledger.violations.push(`trickling upload: 500 ${answer.slice(0, 300)}`);
      else if (code) ledger.checkCode('trickling upload', code, answer);
    };
    socket.on('data', (chunk: Buffer) => {
      answer += chunk.toString('utf8');
      if (/\r\n\r\n\{.*\}$/s.test(answer)) count();
    });
    socket.on('error', () => socket.destroy());
    socket.on('close', () => {
      clearInterval(timer);
      if (!stopping) count();
    });
    const head = requestHead('POST', pathname, [
      ...identityLines(email),
      `Content-Type: multipart/form-data; boundary=${BOUNDARY}`,
      `Content-Length: ${64 * 1024 * 1024}`,
    ]);
    socket.write(`${head}--${BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="slow.pdf"\r\nContent-Type: application/pdf\r\n\r\n%PDF-1.7\n`);
    const timer = setInterval(() => {
      if (!socket.destroyed) socket.write('x');
    }, intervalMs);
    return socket;
  });
  let stopping = false;
  return {
    async stop() {
      stopping = true;
      for (const socket of sockets) socket.destroy();
    },
  };
}

/** Connections that send half a request head, a byte at a time: the slow-loris client. */
export function slowHeads(baseUrl: string, count: number, intervalMs: number): Abuser {
  const { hostname, port } = new URL(baseUrl);
  const timers: NodeJS.Timeout[] = [];
  const sockets = Array.from({ length: count }, () => {
    const socket = net.connect(Number(port), hostname);
    socket.on('error', () => socket.destroy());
    socket.write('GET /api/domains HTTP/1.1\r\nHost: 127.0.0.1\r\n');
    timers.push(
      setInterval(() => {
        if (!socket.destroyed) socket.write('X');
      }, intervalMs),
    );
    return socket;
  });
  return {
    async stop() {
      for (const timer of timers) clearInterval(timer);
      for (const socket of sockets) socket.destroy();
    },
  };
}

/** Imports of `email`, one each, for abusers to upload into. */
export async function importsOf(ledger: Ledger, baseUrl: string, email: string, count: number): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < count; i += 1) {
    const created = await ledger.call(baseUrl, paths.imports('acme'), { method: 'POST', email, headers: { 'Content-Type': 'application/json' }, body: '{}' });
    if (created.status === 201) ids.push(importSchema.parse(created.body).id);
  }
  return ids;
}

/**
 * `workers` loops that each send one request after another until stopped;
 * `request(worker, signal)` makes a request through the ledger. Stopping
 * aborts the requests in flight: the fault ends at once.
 */
export function loops(workers: number, request: (worker: number, signal: AbortSignal) => Promise<unknown>): Abuser {
  const stopped = new AbortController();
  const all = Array.from({ length: workers }, async (_, worker) => {
    while (!stopped.signal.aborted) await request(worker, stopped.signal);
  });
  return {
    async stop() {
      stopped.abort();
      await Promise.all(all);
    },
  };
}
