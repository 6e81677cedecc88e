import { type ChildProcess, spawn } from 'node:child_process';

/** A `toa-server serve` child process that listens, with everything it printed so far. */
export interface ListeningServer {
  child: ChildProcess;
  url: string;
  output: () => string;
}

/**
 * Spawns a server command and resolves once it logs `listening on http://…`
 * (stdout or stderr); rejects with its output if it exits first. `onSpawn`
 * hands the child to the caller's clean-up before it can fail.
 */
export function spawnListening(
  command: string,
  args: string[],
  options: { cwd: string; env?: NodeJS.ProcessEnv; onSpawn?: (child: ChildProcess) => void },
): Promise<ListeningServer> {
  const child = spawn(command, args, { cwd: options.cwd, env: options.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] });
  options.onSpawn?.(child);
  let out = '';
  return new Promise((resolve, reject) => {
    const collect = (chunk: Buffer): void => {
      out += chunk.toString();
      const match = /listening on (http:\/\/[^"\s]+)/.exec(out);
      if (match) resolve({ child, url: match[1] as string, output: () => out });
    };
    child.stdout?.on('data', collect);
    child.stderr?.on('data', collect);
    child.on('exit', (code) => reject(new Error(`${command} exited with ${code}: ${out}`)));
  });
}

/** A one-domain configuration on loopback port 0 with the SPEC catalogue in `./acme.xml`; `overrides` replace top-level keys. */
export function cliConfig(overrides: Record<string, unknown> = {}): string {
  return JSON.stringify({
    host: '127.0.0.1',
    port: 0,
    timeZone: 'Europe/Prague',
    logLevel: 'info',
    domains: [{ code: 'acme', name: 'ACME', templates: { file: './acme.xml' }, archive: { type: 'filesystem', root: './archive' } }],
    ...overrides,
  });
}
