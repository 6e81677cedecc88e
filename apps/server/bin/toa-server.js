#!/usr/bin/env node
import { existsSync } from 'node:fs';

// a checkout runs the compiled CLI: before `npm run build` there is none, and Node's own error is a stack trace
const cli = new URL('../dist/cli.js', import.meta.url);
if (!existsSync(cli)) {
  process.stderr.write('toa-server: the server is not built yet: run `npm run build` first (in the repository root)\n');
  process.exit(1);
}
await import(cli.href);
