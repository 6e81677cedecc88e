import { type ChildProcess, spawn } from 'node:child_process';
import { listening } from '@toa/fixtures/site';

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
export async function spawnListening(
  command: string,
  args: string[],
  options: { cwd: string; env?: NodeJS.ProcessEnv; onSpawn?: (child: ChildProcess) => void },
): Promise<ListeningServer> {
  const child = spawn(command, args, { cwd: options.cwd, env: options.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] });
  options.onSpawn?.(child);
  return { child, ...(await listening(child)) };
}
