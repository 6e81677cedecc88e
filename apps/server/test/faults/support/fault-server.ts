import { type ChildProcess, execFile } from 'node:child_process';
import { once } from 'node:events';
import { readdir, readFile, readlink } from 'node:fs/promises';
import path from 'node:path';
import { testConfig, writeTestSite } from '@toa/fixtures/site';
import { spawnListening } from '../../support/cli-server.js';
import { repoRoot } from '../../support/corpus.js';

/** The built CLI (`npm test` builds first): a process of its own, so limits, signals and full disks are real. */
const bin = path.join(repoRoot, 'apps', 'server', 'bin', 'toa-server.js');

/** cli.ts's shutdown deadline: SIGTERM must end the server within it. */
export const SHUTDOWN_DEADLINE_MS = 15_000;

export interface FaultServerOptions {
  /** the site folder: the configuration, catalogue and filesystem archive */
  dir: string;
  dataRoot: string;
  logDir: string;
  /** `limits` keys and whole top-level keys (such as `domains`) to replace */
  limits?: Record<string, unknown>;
  overrides?: Record<string, unknown>;
  /** `ulimit -n`: the descriptor limit the server runs under (prlimit) */
  nofile?: number;
}

/**
 * `toa-server serve` in a child process, one domain `acme` in dev identity
 * (`admin@acme.example` is an administrator), logging at `info` to its file.
 */
export class FaultServer {
  readonly configFile: string;
  #child: ChildProcess | undefined;
  #output: () => string = () => '';
  url = '';

  private constructor(readonly options: FaultServerOptions) {
    this.configFile = path.join(options.dir, 'toa.json');
  }

  static async start(options: FaultServerOptions): Promise<FaultServer> {
    const server = new FaultServer(options);
    await writeTestSite(options.dir, {
      config: testConfig({
        dataRoot: options.dataRoot,
        logDir: options.logDir,
        auth: { mode: 'dev', admins: ['admin@acme.example'] },
        limits: options.limits ?? {},
        ...options.overrides,
      }),
    });
    const serve = [bin, 'serve', '--config', server.configFile];
    const [command, args] = options.nofile
      ? ['prlimit', [`--nofile=${options.nofile}:${options.nofile}`, process.execPath, ...serve]]
      : [process.execPath, serve];
    const listening = await spawnListening(command, args, { cwd: options.dir, onSpawn: (child) => (server.#child = child) });
    server.url = listening.url;
    server.#output = listening.output;
    return server;
  }

  /** What the server printed on stdout and stderr so far. */
  output(): string {
    return this.#output();
  }

  get pid(): number {
    return this.#child?.pid ?? 0;
  }

  /** Open sockets of the server process, from /proc (what `server.maxConnections` bounds). */
  async openSockets(): Promise<number> {
    const fds = await readdir(`/proc/${this.pid}/fd`).catch(() => []);
    const targets = await Promise.all(fds.map((fd) => readlink(`/proc/${this.pid}/fd/${fd}`).catch(() => '')));
    return targets.filter((target) => target.startsWith('socket:')).length;
  }

  /** SIGTERM; resolves with how long the server took to exit, or `undefined` when it outlived the deadline (then it is killed). */
  async stop(): Promise<number | undefined> {
    const child = this.#child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return 0;
    const started = performance.now();
    const exited = once(child, 'exit').then(() => performance.now() - started);
    child.kill('SIGTERM');
    const outcome = await Promise.race([
      exited,
      new Promise<undefined>((resolve) => setTimeout(() => resolve(undefined), SHUTDOWN_DEADLINE_MS + 2_000).unref()),
    ]);
    if (outcome === undefined) {
      child.kill('SIGKILL');
      await exited;
    }
    return outcome;
  }

  /** The server log so far (its file in logDir). */
  log(): Promise<string> {
    return readFile(path.join(this.options.logDir, 'toa-server.log'), 'utf8').catch(() => '');
  }

  /** The server log's lines about requests answered 500 (what explains them), at most `max`. */
  async errorLines(max = 5): Promise<string[]> {
    const lines = (await this.log()).split('\n');
    const failed = new Set(lines.filter((line) => line.includes('"statusCode":500')).map((line) => /"id":"([^"]+)"/.exec(line)?.[1]));
    return lines.filter((line) => failed.has(/"id":"([^"]+)"/.exec(line)?.[1]) && !line.includes('"statusCode":500')).slice(0, max);
  }

  /** Kills a server a failed test left behind. */
  kill(): void {
    const child = this.#child;
    if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }

  /** `toa-server fsck --json` on the stopped server's data root: its findings (none when every import is whole). */
  fsck(): Promise<unknown[]> {
    return new Promise((resolve, reject) => {
      execFile(process.execPath, [bin, 'fsck', '--json', '--config', this.configFile], { cwd: this.options.dir }, (error, stdout, stderr) => {
        try {
          resolve((JSON.parse(stdout) as { findings: unknown[] }).findings);
        } catch {
          reject(new Error(`fsck answered no JSON (${error?.message ?? 'exit 0'}): ${stdout}${stderr}`));
        }
      });
    });
  }
}
