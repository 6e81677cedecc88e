import { execFile, spawn } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { repoRoot } from './support/corpus.js';

const run = promisify(execFile);
const stops: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const stop of stops.splice(0)) await stop();
});

interface StartLine {
  dataRoot: string;
  logDir: string;
}

/**
 * Runs `npm run <script>` of the server package as a developer would, on a
 * system-chosen port, and resolves with the paths of its "starting" log line
 * once it listens; stopped with SIGTERM to its whole process group.
 */
function startScript(script: 'start' | 'dev'): Promise<StartLine> {
  const child = spawn('npm', ['run', script, '--workspace', '@toa/server'], {
    cwd: path.join(repoRoot, 'apps', 'server'),
    env: { ...process.env, TOA_PORT: '0', TOA_LOG_LEVEL: 'info' },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  const exited = new Promise((resolve) => child.once('exit', resolve));
  stops.push(async () => {
    if (child.exitCode === null && child.pid) process.kill(-child.pid, 'SIGTERM');
    await exited;
  });
  return new Promise((resolve, reject) => {
    let output = '';
    let start: StartLine | undefined;
    const read = (chunk: Buffer) => {
      output += chunk.toString();
      for (const line of output.split('\n')) {
        if (line.includes('"dataRoot"')) start ??= JSON.parse(line) as StartLine;
      }
      if (start && /listening on http/.test(output)) resolve(start);
    };
    child.stdout.on('data', read);
    child.stderr.on('data', read);
    child.once('exit', (code) => reject(new Error(`npm run ${script} exited with ${code}:\n${output}`)));
  });
}

describe('npm start and turbo dev', () => {
  it("start waits for the task pane's build, not only the server's", async () => {
    const { stdout } = await run(path.join(repoRoot, 'node_modules', '.bin', 'turbo'), ['run', 'start', '--dry=json'], { cwd: repoRoot });
    const tasks = (JSON.parse(stdout) as { tasks: Array<{ taskId: string; dependencies: string[] }> }).tasks;
    expect(tasks.find((task) => task.taskId === '@toa/server#start')?.dependencies).toEqual(expect.arrayContaining(['@toa/server#build', '@toa/addin#build']));
  });

  it.each(['start', 'dev'] as const)('npm run %s keeps data and logs in the repository root, which git ignores', async (script) => {
    const { dataRoot, logDir } = await startScript(script);
    expect(dataRoot).toBe(path.join(repoRoot, 'data'));
    expect(logDir).toBe(path.join(repoRoot, 'logs'));
    const written = ['data/sample/import.json', 'logs/toa-server.log', 'archive/sample/batch.json'];
    const { stdout } = await run('git', ['check-ignore', ...written], { cwd: repoRoot });
    expect(stdout.trim().split('\n')).toEqual(written);
  });
});
