import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { loadConfig } from '../../src/config/load-config.js';
import type { Config } from '../../src/config/schema.js';
import { CRASH_AT_ENV, type CrashPointName } from '../../src/fs/crash-points.js';
import { writeTestSite } from '@toa/fixtures/site';
import { repoRoot } from '../support/corpus.js';

/** The built CLI (`npm test` builds first); its own process, so SIGKILL is real. */
const bin = path.join(repoRoot, 'apps', 'server', 'bin', 'toa-server.js');

/** A data root and configuration that survive the servers started on them. */
export interface CrashSite {
  dir: string;
  configFile: string;
  config: Config;
}

/** One domain "acme" with the SPEC catalogue and the filesystem archive (which resumes PENDING imports). */
export async function createCrashSite(): Promise<CrashSite> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'toa-crash-'));
  const configFile = await writeTestSite(dir);
  return { dir, configFile, config: loadConfig({ file: configFile, env: {} }) };
}

export interface ForkedServer {
  url: string;
  /** resolves with the signal that ended the process (null for a normal exit) */
  exited: Promise<NodeJS.Signals | null>;
  kill(): Promise<NodeJS.Signals | null>;
}

/**
 * Starts `toa-server serve` on the site, optionally with one crash point armed.
 * Resolves once the server listens (after its start-up sweep and the resumption
 * of PENDING imports); rejects when it exits first.
 */
export function startForkedServer(site: CrashSite, crashAt?: { point: CrashPointName; nth: number }): Promise<ForkedServer> {
  const env = { ...process.env };
  delete env[CRASH_AT_ENV];
  if (crashAt) env[CRASH_AT_ENV] = `${crashAt.point}:${crashAt.nth}`;
  const child: ChildProcess = spawn(process.execPath, [bin, 'serve', '--config', site.configFile], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  const exited = new Promise<NodeJS.Signals | null>((resolve) => child.once('exit', (_code, signal) => resolve(signal)));
  return new Promise((resolve, reject) => {
    let out = '';
    const onData = (chunk: Buffer): void => {
      out += chunk.toString();
      const match = /listening on (http:\/\/[^"\s]+)/.exec(out);
      if (!match?.[1]) return;
      child.stdout?.off('data', onData);
      // keep draining, or a full pipe would block the server's log writes
      child.stdout?.resume();
      resolve({
        url: match[1],
        exited,
        kill: () => {
          child.kill('SIGKILL');
          return exited;
        },
      });
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', (chunk: Buffer) => {
      out += chunk.toString();
    });
    void exited.then((signal) => reject(new Error(`toa-server serve ended (${signal ?? 'exit'}) before listening:\n${out}`)));
  });
}
