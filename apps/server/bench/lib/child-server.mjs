import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFile, writeFile } from 'node:fs/promises';
import { tracked } from './children.mjs';

/**
 * A server in its own process, so that its memory can be read from /proc
 * and its CPU is not shared with the bench's client code. Both the real
 * `toa-server serve` and the buffering receiver print `listening on <url>`.
 */
export async function startChildServer(args, { cwd, env, wrapper = [] } = {}) {
  // `wrapper`: a command that runs node, such as valgrind and its options (instructions.mjs)
  const [command, ...prefix] = [...wrapper, process.execPath];
  const child = tracked(spawn(command, [...prefix, ...args], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] }));
  const exited = once(child, 'exit');
  let out = '';
  const url = await new Promise((resolve, reject) => {
    const onData = (chunk) => {
      out += chunk;
      const match = /listening on (http:\/\/[^"\s]+)/.exec(out);
      if (!match) return;
      child.stdout.off('data', onData);
      resolve(match[1]);
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', (chunk) => {
      out += chunk;
    });
    exited.then(([code, signal]) => reject(new Error(`${args.join(' ')} ended (${signal ?? code}) before listening:\n${out}`)));
  });
  // keep draining: a full pipe would block the server's log writes
  child.stdout.resume();
  child.stderr.resume();
  return {
    url,
    pid: child.pid,
    /** SIGTERM (graceful shutdown), SIGKILL if it has not ended within 5 s. */
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const killer = setTimeout(() => child.kill('SIGKILL'), 5000);
      child.kill('SIGTERM');
      await exited;
      clearTimeout(killer);
    },
  };
}

/** Resident set size of a process now, and its peak since the last reset, in bytes (Linux only). */
export async function residentMemory(pid) {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const kb = (field) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1]) * 1024;
  return { rss: kb('VmRSS'), peak: kb('VmHWM') };
}

/** clock ticks per second of /proc/<pid>/stat (USER_HZ; 100 on every Linux Node supports) */
const USER_HZ = 100;

/** CPU seconds (user + system) a process has used so far (Linux only). */
export async function cpuSeconds(pid) {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
  // the fields after the command name, which is in parentheses and may hold spaces
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / USER_HZ;
}

/** Resets a process's peak RSS (VmHWM) to its current RSS (proc(5), clear_refs "5"). */
export async function resetPeakMemory(pid) {
  await writeFile(`/proc/${pid}/clear_refs`, '5');
}
