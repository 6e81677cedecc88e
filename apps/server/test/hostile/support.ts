import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { readdir, readFile } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { importSchema } from '@toa/api/imports';
import { DEV_IDENTITY_HEADERS } from '@toa/api/routes';

/** What came back on a raw socket: the status line's code (when any) and the whole answer as text. */
export interface RawAnswer {
  status: number | undefined;
  text: string;
}

/** Dev identity headers as raw header lines. */
export function identityLines(email: string): string[] {
  return [`${DEV_IDENTITY_HEADERS.email}: ${email}`, `${DEV_IDENTITY_HEADERS.name}: Mallory`];
}

/**
 * Sends exactly `head` and `body` on a fresh socket, byte for byte (no client
 * library fixes anything up), and reads until the server closes. With
 * `abortAfterBody` the client closes its side right after writing, as a
 * browser does when a user cancels an upload halfway.
 */
export function rawRequest(baseUrl: string, head: string, body: Buffer | string = '', options: { abortAfterBody?: boolean } = {}): Promise<RawAnswer> {
  const { hostname, port } = new URL(baseUrl);
  return new Promise((resolve, reject) => {
    const socket = net.connect(Number(port), hostname);
    const chunks: Buffer[] = [];
    socket.on('data', (chunk) => chunks.push(chunk));
    socket.on('error', (error: NodeJS.ErrnoException) => {
      // the server may reset a connection it refuses mid-body; what it said before counts
      if (error.code === 'ECONNRESET' || error.code === 'EPIPE') socket.destroy();
      else reject(error);
    });
    socket.on('close', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      const status = /^HTTP\/1\.1 (\d{3})/.exec(text)?.[1];
      resolve({ status: status === undefined ? undefined : Number(status), text });
    });
    socket.write(head);
    socket.write(body, () => {
      if (options.abortAfterBody) socket.destroy();
    });
  });
}

/**
 * Sends only the head of a page upload declaring `declaredBytes` and no body
 * byte, and returns the status of the answer: only an answer given before the
 * body is read can arrive.
 */
export async function statusBeforeBody(baseUrl: string, pathname: string, email: string, declaredBytes: number): Promise<number> {
  const { hostname, port } = new URL(baseUrl);
  const socket = net.connect(Number(port), hostname);
  await once(socket, 'connect');
  socket.write(requestHead('POST', pathname, [...identityLines(email), 'Content-Type: multipart/form-data; boundary=x', `Content-Length: ${declaredBytes}`]));
  const [chunk] = (await once(socket, 'data')) as [Buffer];
  socket.destroy();
  return Number(/^HTTP\/1\.1 (\d{3})/.exec(chunk.toString('latin1'))?.[1] ?? 0);
}

/** An HTTP/1.1 request head with `Connection: close`, its lines joined with CRLF. */
export function requestHead(method: string, pathname: string, lines: readonly string[]): string {
  return [`${method} ${pathname} HTTP/1.1`, 'Host: 127.0.0.1', 'Connection: close', ...lines, '', ''].join('\r\n');
}

/** Every file and folder under `dir` (but those `skip` names) with a hash of each file's bytes: equal snapshots mean nothing changed. */
export async function snapshot(dir: string, skip: (relative: string) => boolean = () => false): Promise<Map<string, string>> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  const result = new Map<string, string>();
  for (const entry of entries) {
    const full = path.join(entry.parentPath, entry.name);
    const relative = path.relative(dir, full);
    if (skip(relative)) continue;
    result.set(
      relative,
      entry.isFile()
        ? createHash('sha256')
            .update(await readFile(full))
            .digest('hex')
        : entry.isDirectory()
          ? 'dir'
          : 'other',
    );
  }
  return result;
}

/** Parses every import.json under the data root with the shared schema; throws on the first that does not. */
export async function checkImports(dataRoot: string): Promise<number> {
  const files = (await readdir(dataRoot, { recursive: true, withFileTypes: true })).filter((entry) => entry.isFile() && entry.name === 'import.json');
  for (const file of files) importSchema.parse(JSON.parse(await readFile(path.join(file.parentPath, file.name), 'utf8')));
  return files.length;
}

/** The files an import folder must hold according to its import.json, and the ones it holds: equal when nothing is left behind. */
export async function importFiles(importDir: string): Promise<{ expected: string[]; actual: string[] }> {
  const stored = importSchema.parse(JSON.parse(await readFile(path.join(importDir, 'import.json'), 'utf8')));
  const expected = ['import.json'];
  for (const document of stored.documents) {
    for (const page of document.pages) {
      expected.push(path.join(`doc-${document.n}`, 'pages', `page-${page.m}.bin`));
      if (page.sidecar) expected.push(path.join(`doc-${document.n}`, 'pages', page.sidecar));
    }
  }
  const actual = (await readdir(importDir, { recursive: true, withFileTypes: true }))
    .filter((entry) => entry.isFile())
    .map((entry) => path.relative(importDir, path.join(entry.parentPath, entry.name)));
  return { expected: expected.sort(), actual: actual.sort() };
}

/** Runs `call` and returns its result with the wall-clock milliseconds it took. */
export async function timed<T>(call: () => Promise<T>): Promise<{ value: T; ms: number }> {
  const start = performance.now();
  const value = await call();
  return { value, ms: Math.round(performance.now() - start) };
}

/** Prints a measurement table into the test output (the figures in docs/reliability.md come from it). */
export function report(title: string, rows: ReadonlyArray<Record<string, string | number>>): void {
  const lines = rows.map((row) => `| ${Object.values(row).join(' | ')} |`);
  const header = rows[0] ? `| ${Object.keys(rows[0]).join(' | ')} |` : '';
  console.info([`${title}:`, header, ...lines].join('\n'));
}

/** The folder of an import, from its id (SPEC §3.2). */
export function importDirOf(dataRoot: string, domain: string, id: string): string {
  const [date, folder] = id.split('_') as [string, string];
  return path.join(dataRoot, domain, date, folder);
}
