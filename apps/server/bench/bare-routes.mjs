import { readFile } from 'node:fs/promises';
import express from 'express';

/**
 * The baseline of the route bench, run as its own process: bare Express
 * answering each route with a body fixed in advance — the same JSON the
 * server answered the bench with — and nothing else (no identity, no
 * headers, no logging, no lookup).
 *
 * Usage: node bare-routes.mjs <bodies.json>, where the file maps a path to its body.
 */
const [file] = process.argv.slice(2);
if (!file) throw new Error('usage: node bare-routes.mjs <bodies.json>');
const bodies = JSON.parse(await readFile(file, 'utf8'));
const app = express();
for (const [route, body] of Object.entries(bodies)) app.get(route, (_req, res) => res.json(body));
const server = app.listen(0, '127.0.0.1', () => console.log(`listening on http://127.0.0.1:${server.address().port}`));
process.on('SIGTERM', () => server.close(() => process.exit(0)));
