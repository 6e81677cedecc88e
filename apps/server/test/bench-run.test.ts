import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { repoRoot } from './support/corpus.js';

/** `npm run bench`'s program (docs/benchmarks.md), run as a developer runs it: its variables checked, its folder and servers gone however it ends. */
const serverPackage = path.join(repoRoot, 'apps', 'server');
const runBench = path.join(serverPackage, 'bench', 'run.mjs');

const dirs: string[] = [];
const running: ChildProcess[] = [];
afterEach(async () => {
  // a run an assertion left going is ended before its folder is removed
  for (const child of running.splice(0)) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
});

/** A temporary folder for TOA_BENCH_DIR and TOA_BENCH_STORE. */
async function benchDir(): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'toa-bench-run-'));
  dirs.push(dir);
  return dir;
}

/** The environment without any TOA_BENCH_* of the machine running the tests, plus `variables`. */
function benchEnv(variables: Record<string, string>): NodeJS.ProcessEnv {
  const env = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('TOA_BENCH_')));
  return { ...env, ...variables };
}

/**
 * Runs bench/run.mjs with `variables` and resolves with its exit code and
 * stderr. A run the check let through would start benching: it is ended
 * after 20 s, its code then null.
 */
function refusedRun(variables: Record<string, string>): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve) => {
    const options = { env: benchEnv(variables), cwd: serverPackage, timeout: 20_000, killSignal: 'SIGKILL' as const };
    execFile(process.execPath, [runBench, '--quick'], options, (error, _stdout, stderr) =>
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : null) : 0, stderr }),
    );
  });
}

/** Processes whose command line mentions `text` (Linux /proc), this test's own excepted. */
async function processesMentioning(text: string): Promise<string[]> {
  const found: string[] = [];
  for (const pid of (await readdir('/proc')).filter((name) => /^\d+$/.test(name))) {
    if (Number(pid) === process.pid) continue;
    const command = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '');
    if (command.includes(text)) found.push(command.replaceAll('\0', ' '));
  }
  return found;
}

describe('npm run bench (bench/run.mjs)', () => {
  it('lists every problem with its variables at once, exits 2 without a stack trace, and starts nothing', async () => {
    const dir = await benchDir();
    const failed = await refusedRun({
      TOA_BENCH_DIR: dir,
      TOA_BENCH_STORE: path.join(dir, 'store'),
      TOA_BENCH_ONLY: 'workflow,bogus',
      TOA_BENCH_ROUNDS: 'abc',
      TOA_BENCH_SCALE: '2000',
      TOA_BENCH_LARGE_MB: '-1',
      TOA_BENCH_ROUND: '3',
    });
    expect(failed.code).toBe(2);
    const lines = failed.stderr.trim().split('\n');
    expect(lines[0]).toBe('The bench cannot run:');
    for (const expected of [
      /^- TOA_BENCH_ONLY names unknown benches: bogus \(known: upload, .*workflow.*\)$/,
      /^- TOA_BENCH_ROUNDS must be a positive number .*"abc"$/,
      /^- TOA_BENCH_SCALE must be .* of at least 10,000, got "2000"$/,
      /^- TOA_BENCH_LARGE_MB must be a comma-separated list of positive numbers, got "-1"$/,
      /^- TOA_BENCH_ROUND is not a variable of the bench \(known: .*TOA_BENCH_ROUNDS.*\)$/,
    ]) {
      expect(lines.filter((line) => expected.test(line))).toHaveLength(1);
    }
    expect(lines.filter((line) => line.startsWith('- '))).toHaveLength(5);
    expect(failed.stderr).not.toMatch(/^\s+at /m);
    expect(await readdir(dir)).toEqual([]);
  });

  it('takes bench names in any case, and an empty TOA_BENCH_ONLY as every bench', async () => {
    const dir = await benchDir();
    // an invalid factor stops every run after the names were checked, before any bench starts
    const checked = async (only: string) => {
      const { code, stderr } = await refusedRun({ TOA_BENCH_DIR: dir, TOA_BENCH_ONLY: only, TOA_BENCH_ROUNDS: '0' });
      expect(code).toBe(2);
      return /TOA_BENCH_ONLY/.test(stderr) ? 'names refused' : 'names taken';
    };
    expect(await checked(' Health, WORKFLOW ')).toBe('names taken');
    expect(await checked('')).toBe('names taken');
    expect(await checked('health,')).toBe('names taken');
    expect(await checked('healthy')).toBe('names refused');
  });

  it('on SIGTERM ends its servers and removes its folder, as at its end', async () => {
    const dir = await benchDir();
    const env = benchEnv({ TOA_BENCH_DIR: dir, TOA_BENCH_STORE: path.join(dir, 'store'), TOA_BENCH_ONLY: 'workflow', TOA_BENCH_QUICK: '1' });
    const bench = spawn(process.execPath, [runBench], { env, cwd: serverPackage, stdio: 'ignore' });
    running.push(bench);
    const exited = once(bench, 'exit');
    // under way: the run's folder made and both servers of the workflow bench serving from it
    let serving: string[] = [];
    for (let tries = 0; serving.length < 2 && tries < 300; tries += 1) {
      await sleep(100);
      serving = await processesMentioning(dir);
    }
    expect(serving).toEqual(expect.arrayContaining([expect.stringContaining('toa-server.js serve'), expect.stringContaining('bare-workflow.mjs')]));
    expect(await readdir(dir)).toEqual([expect.stringMatching(/^toa-bench-/)]);
    bench.kill('SIGTERM');
    const [code, signal] = await exited;
    expect({ code, signal }).toEqual({ code: 128 + os.constants.signals.SIGTERM, signal: null });
    // the servers were sent SIGKILL before the exit: give the kernel a moment to reap them
    for (let tries = 0; (await processesMentioning(dir)).length > 0 && tries < 50; tries += 1) await sleep(100);
    expect(await processesMentioning(dir)).toEqual([]);
    expect(await readdir(dir)).toEqual([]);
  });
});
