import { createServer } from 'node:http';

/**
 * Runs a baseline receiver as its own process: `store(req)` handles each
 * request's body (201 `{}` once it resolves, 500 otherwise). Prints the
 * listening line the benches wait for; stops on SIGTERM.
 */
export function serveBaseline(store) {
  const server = createServer((req, res) => {
    store(req).then(
      () => res.writeHead(201).end('{}'),
      (error) => res.writeHead(500).end(JSON.stringify({ error: String(error) })),
    );
  });
  server.listen(0, '127.0.0.1', () => console.log(`listening on http://127.0.0.1:${server.address().port}`));
  process.on('SIGTERM', () => server.close());
}
