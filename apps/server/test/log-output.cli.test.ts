import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { testConfig, writeTestSite } from '@toa/fixtures/site';
import { spawnListening } from './support/cli-server.js';
import { repoRoot } from './support/corpus.js';

/**
 * Issue 9 item 2: every server log line went to the log file and to stdout,
 * so a flood wrote everything twice. One destination unless configured
 * otherwise (`logOutput`); the start and shutdown lines reach stdout always,
 * since supervisors, scripts and the journal wait for them there.
 */

const bin = path.join(repoRoot, 'node_modules', '.bin', 'toa-server');

let dir: string;
let child: ChildProcess | undefined;

beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'toa-log-output-'));
});

afterEach(async () => {
  if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  child = undefined;
  await rm(dir, { recursive: true, force: true });
});

/** Runs the server with `logOutput` (absent: the default), makes one request that logs its URL, stops it; what went where. */
async function run(logOutput: string | undefined): Promise<{ stdout: string; file: string | undefined; marker: string }> {
  const configFile = await writeTestSite(dir, { config: testConfig(logOutput ? { logOutput } : {}) });
  const { url, output } = await spawnListening(bin, ['serve', '--config', configFile], { cwd: dir, onSpawn: (started) => (child = started) });
  const marker = `marker-${Date.now()}`;
  const answer = await fetch(`${url}/api/${marker}`, { headers: { 'X-TOA-User-Email': 'alice@acme.example' } });
  expect(answer.status).toBe(404);
  await answer.arrayBuffer();
  const exited = once(child as ChildProcess, 'exit');
  (child as ChildProcess).kill('SIGTERM');
  const [code] = (await exited) as [number | null];
  expect(code).toBe(0);
  const file = await readFile(path.join(dir, 'logs', 'toa-server.log'), 'utf8').catch(() => undefined);
  return { stdout: output(), file, marker };
}

const LIFECYCLE_LINES = [/"msg":"TOA server starting/, /"msg":"TOA server listening on http:/, /"msg":"shutting down/, /"msg":"TOA server stopped"/];

describe('the server log goes to one destination unless configured otherwise (logOutput)', () => {
  it('by default writes every line to the file and only the start and shutdown lines to stdout', async () => {
    const { stdout, file, marker } = await run(undefined);
    expect(file).toBeDefined();
    for (const line of LIFECYCLE_LINES) {
      expect(stdout).toMatch(line);
      expect(file).toMatch(line);
    }
    expect(file).toContain(marker);
    expect(stdout).not.toContain(marker);
  });

  it('"stdout" writes every line to stdout and no server log file', async () => {
    const { stdout, file, marker } = await run('stdout');
    expect(file).toBeUndefined();
    for (const line of LIFECYCLE_LINES) expect(stdout).toMatch(line);
    expect(stdout).toContain(marker);
  });

  it('"both" writes every line to each, once', async () => {
    const { stdout, file, marker } = await run('both');
    expect(file).toContain(marker);
    const lines = (text: string | undefined): string[] => (text ?? '').split('\n').filter((line) => line.includes(marker));
    expect(lines(stdout).length).toBeGreaterThan(0);
    expect(lines(stdout)).toEqual(lines(file));
    for (const line of LIFECYCLE_LINES) {
      expect(stdout.match(new RegExp(line.source, 'g'))).toHaveLength(1);
      expect(file?.match(new RegExp(line.source, 'g'))).toHaveLength(1);
    }
  });
});
