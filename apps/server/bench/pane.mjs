import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { tracked } from './lib/children.mjs';
import { quick } from './lib/measure.mjs';

/**
 * Issue 12 row 10, the task pane against a minimal React + Fluent UI v9 pane,
 * lives with the pane (apps/addin/bench/pane.mjs: it builds with Vite and
 * loads in Chromium, the pane's own tools). It runs here as a program of its
 * own, the way the other benches run the server, and hands back its table.
 */
const paneBench = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'addin', 'bench', 'pane.mjs');

export async function pane(workDir, { signal: stop } = {}) {
  // a quick run is quick there too; what it prints goes to stderr, not among the tables; `stop` (and the end of this process) ends it
  const child = tracked(spawn(process.execPath, [paneBench, workDir, ...(quick ? ['--quick'] : [])], { stdio: ['ignore', 2, 2], signal: stop }), 'SIGTERM');
  const [code, signal] = await once(child, 'exit');
  if (code !== 0) throw new Error(`the pane bench ended with ${signal ?? code}`);
  return JSON.parse(await readFile(path.join(workDir, 'result.json'), 'utf8'));
}
