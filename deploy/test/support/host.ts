import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

const exec = promisify(execFile);

/** The account a command runs as: the service's own, unprivileged, as `User=toa` in the unit. */
export interface Account {
  uid: number;
  gid: number;
}

/**
 * The service account the walks run the server as: `nobody` when the tests run
 * as root (as CI does), so the root-owned release is read-only to the server
 * exactly as on a host; the tests' own user otherwise.
 */
export const serviceAccount: Account | undefined = process.getuid?.() === 0 ? { uid: 65_534, gid: 65_534 } : undefined;

/** A host for one test file: a temporary root with the release unpacked as `<root>/opt/toa`, as the docs install it. */
export interface Host {
  root: string;
  /** the installed release: `<root>/opt/toa` */
  release: string;
  /** `<release>/bin/toa-server` */
  bin: string;
  /** the environment every command runs with: no npm on PATH, npm's registry pointed at the trap */
  env: NodeJS.ProcessEnv;
  /** every request that reached the registry trap (a name lookup would land here) */
  registryRequests: string[];
  close(): Promise<void>;
}

/**
 * Unpacks the release tarball into a fresh temporary folder, outside any
 * checkout, and prepares an environment in which resolving a package name is
 * impossible to miss: PATH holds `node` and the two tools `bin/toa-server`
 * uses, but neither npm nor npx, and `npm_config_registry` names a loopback
 * server that records whatever reaches it.
 */
export async function installRelease(tarball: string): Promise<Host> {
  const root = await mkdtemp(path.join(tmpdir(), 'toa-host-'));
  // the service account must reach the release and its configuration, as it reaches /opt and /etc
  await chmod(root, 0o755);
  const release = path.join(root, 'opt', 'toa');
  await mkdir(release, { recursive: true });
  await exec('tar', ['-xzf', tarball, '-C', release, '--strip-components=1']);

  const binDir = path.join(root, 'usr', 'bin');
  await mkdir(binDir, { recursive: true });
  await symlink(process.execPath, path.join(binDir, 'node'));
  for (const tool of ['readlink', 'dirname']) {
    const found = ['/usr/bin', '/bin'].map((dir) => path.join(dir, tool)).find((file) => existsSync(file));
    if (!found) throw new Error(`${tool} is not installed`);
    await symlink(found, path.join(binDir, tool));
  }
  const home = path.join(root, 'home');
  await mkdir(home);
  await writeFile(path.join(home, '.npmrc'), '');

  const registryRequests: string[] = [];
  const trap = createServer((req, res) => {
    registryRequests.push(`${req.method} ${req.url}`);
    res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => trap.listen(0, '127.0.0.1', resolve));
  const registry = `http://127.0.0.1:${(trap.address() as AddressInfo).port}/`;

  const env: NodeJS.ProcessEnv = { PATH: binDir, HOME: home, npm_config_registry: registry, NPM_CONFIG_REGISTRY: registry, LANG: 'C.UTF-8' };
  return {
    root,
    release,
    bin: path.join(release, 'bin', 'toa-server'),
    env,
    registryRequests,
    close: async () => {
      await new Promise<void>((resolve) => trap.close(() => resolve()));
      await rm(root, { recursive: true, force: true });
    },
  };
}

/** Runs `toa-server <args>` of the installed release to completion, as `account` when given. */
export async function runCommand(
  host: Host,
  args: string[],
  extraEnv: NodeJS.ProcessEnv = {},
  account?: Account,
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(host.bin, args, { cwd: host.root, env: { ...host.env, ...extraEnv }, ...account }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

export interface RunningServer {
  url: string;
  child: ChildProcess;
  /** stdout and stderr so far */
  output(): string;
  /** sends the signal and resolves with the exit code */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/** Starts `toa-server serve --config <file>` (as `account` when given) and resolves once it logs the URL it listens on. */
export async function serve(host: Host, configFile: string, extraEnv: NodeJS.ProcessEnv = {}, account?: Account): Promise<RunningServer> {
  const child = spawn(host.bin, ['serve', '--config', configFile], {
    cwd: host.root,
    env: { ...host.env, ...extraEnv },
    stdio: ['ignore', 'pipe', 'pipe'],
    ...account,
  });
  let out = '';
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const url = await new Promise<string>((resolve, reject) => {
    const onData = (chunk: Buffer): void => {
      out += chunk.toString();
      const match = /listening on (http:\/\/[^"\s]+)/.exec(out);
      if (match) resolve(match[1] as string);
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    exited.then((code) => reject(new Error(`toa-server serve exited with ${code} before listening:\n${out}`)));
  });
  return {
    url,
    child,
    output: () => out,
    stop: (signal = 'SIGTERM') => {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
  };
}
