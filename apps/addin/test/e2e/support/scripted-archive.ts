import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ArchiveAnswer {
  status: number;
  /** the JSON body, or a function of the batch's number (1 for the first batch received) */
  body: unknown;
}

export interface ScriptedArchive {
  /** where the TOA server posts its batches */
  url: string;
  /** the answer to every following batch, until changed */
  answer(next: ArchiveAnswer): void;
  /** the answer to the next batch only (several calls queue up), before the standing one */
  answerNext(once: ArchiveAnswer): void;
  /** headers of each batch received, in order */
  requests: IncomingHttpHeaders[];
  close(): Promise<void>;
}

/**
 * A stand-in for a remote archive (docs/archive.md's HTTP contract) on a
 * loopback port: it reads each batch to the end and answers what the test set.
 */
export async function startScriptedArchive(first: ArchiveAnswer): Promise<ScriptedArchive> {
  let current = first;
  const once: ArchiveAnswer[] = [];
  const requests: IncomingHttpHeaders[] = [];
  const server = createServer((request, response) => {
    requests.push(request.headers);
    const n = requests.length;
    const answer = once.shift() ?? current;
    request.resume();
    request.on('end', () => {
      response.writeHead(answer.status, { 'Content-Type': 'application/json' });
      response.end(JSON.stringify(typeof answer.body === 'function' ? answer.body(n) : answer.body));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/upload`,
    answer: (next) => {
      current = next;
    },
    answerNext: (next) => {
      once.push(next);
    },
    requests,
    close: () => new Promise((resolve, reject) => server.close((error) => (error ? reject(error) : resolve()))),
  };
}
