import path from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * How to start a worker thread on the module `name` beside the module at
 * `moduleUrl` (the caller's `import.meta.url`), with that module's own
 * extension: `.js` in the build, `.ts` when running from source (vitest,
 * tsx). Node 20 cannot load TypeScript in a worker, and does not apply a
 * loader given in a worker's execArgv to its entry, so from source the
 * worker first registers tsx itself and then imports the entry. Give the
 * result to `new Worker(entry, { eval })`.
 */
export function workerEntry(moduleUrl: string, name: string): { entry: URL | string; eval: boolean } {
  const ownPath = fileURLToPath(moduleUrl);
  const entry = new URL(`./${name}${path.extname(ownPath)}`, moduleUrl);
  if (!ownPath.endsWith('.ts')) return { entry, eval: false };
  const tsx = import.meta.resolve('tsx/esm/api');
  const source = `import(${JSON.stringify(tsx)}).then((tsx) => { tsx.register(); return import(${JSON.stringify(entry.href)}); });`;
  return { entry: source, eval: true };
}
