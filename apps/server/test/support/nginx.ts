import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import path from 'node:path';
import { promisify } from 'node:util';

/** Debian's nginx: on PATH for root, in /usr/sbin for everyone (`.ci/run` installs it). */
export function nginxBinary(): string {
  return existsSync('/usr/sbin/nginx') ? '/usr/sbin/nginx' : 'nginx';
}

/**
 * A main nginx.conf in `prefix` that includes `site` (an http-context file),
 * with every path nginx writes (pid, logs, temporaries) inside `prefix`, so
 * nginx runs unprivileged in the foreground.
 */
export async function nginxMainConfig(prefix: string, site: string): Promise<string> {
  await mkdir(prefix, { recursive: true });
  const file = path.join(prefix, 'nginx.conf');
  await writeFile(
    file,
    [
      'daemon off;',
      'worker_processes 1;',
      `pid ${prefix}/nginx.pid;`,
      `error_log ${prefix}/error.log warn;`,
      'events { worker_connections 256; }',
      'http {',
      `  access_log ${prefix}/access.log;`,
      ...['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'].map((kind) => `  ${kind}_temp_path ${prefix}/${kind}_temp;`),
      `  include ${site};`,
      '}',
      '',
    ].join('\n'),
  );
  return file;
}

/** `nginx -t` on the configuration: resolves with its output, rejects with it when nginx finds a problem. */
export async function nginxCheck(prefix: string, mainConfig: string): Promise<string> {
  const { stderr } = await promisify(execFile)(nginxBinary(), ['-t', '-p', prefix, '-c', mainConfig]);
  return stderr;
}

export interface RunningNginx {
  /** `nginx -s reload`: the new site is read, requests under way finish on the old workers */
  reload(): Promise<void>;
  stop(): Promise<void>;
}

/** Starts nginx in the foreground and waits until `port` on 127.0.0.1 accepts connections. */
export async function startNginx(prefix: string, mainConfig: string, port: number): Promise<RunningNginx> {
  const child: ChildProcess = spawn(nginxBinary(), ['-p', prefix, '-c', mainConfig], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  for (let attempt = 0; ; attempt++) {
    const open = await new Promise<boolean>((resolve) => {
      const socket = connect(port, '127.0.0.1', () => {
        socket.end();
        resolve(true);
      }).once('error', () => resolve(false));
    });
    if (open) break;
    if (child.exitCode !== null || attempt > 200) throw new Error(`nginx did not start:\n${output}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return {
    reload: async () => {
      await promisify(execFile)(nginxBinary(), ['-p', prefix, '-c', mainConfig, '-s', 'reload']);
    },
    stop: async () => {
      if (child.exitCode === null) child.kill('SIGQUIT');
      await exited;
    },
  };
}
