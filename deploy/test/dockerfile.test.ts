import { execFile } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { DockerfileParser, type Instruction } from 'dockerfile-ast';
import { validate } from 'dockerfile-utils';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { writeConfig } from './support/config.js';
import { type Host, installRelease, serve } from './support/host.js';

/**
 * No Docker engine runs where these tests run, so the image is not built here:
 * the Dockerfile is linted offline and its parts are checked against what the
 * release really provides (its build step is `npm run release`, tested on its own).
 */
const repoRoot = path.resolve(import.meta.dirname, '..', '..');
const dockerfile = readFileSync(path.join(repoRoot, 'Dockerfile'), 'utf8');
const instructions = DockerfileParser.parse(dockerfile).getInstructions();

/** The instructions of each build stage, in order (a stage starts at its FROM). */
function stages(): Instruction[][] {
  const result: Instruction[][] = [];
  for (const instruction of instructions) {
    if (instruction.getKeyword() === 'FROM') result.push([]);
    result.at(-1)?.push(instruction);
  }
  return result;
}

const args = (instruction: Instruction | undefined): string => instruction?.getArgumentsContent() ?? '';
const jsonArgs = (instruction: Instruction | undefined): string[] => JSON.parse(args(instruction).replace(/^CMD\s+/, '')) as string[];

describe('Dockerfile', () => {
  it('has no problem the offline Dockerfile linter (dockerfile-utils) reports', () => {
    expect(validate(dockerfile)).toEqual([]);
  });

  it('the linter reports a broken instruction (the check above can fail)', () => {
    expect(validate(dockerfile.replace('--interval=30s', '--interval=30'))).not.toEqual([]);
  });

  it('builds in one stage and runs from node:22-slim in another, as an unprivileged user', () => {
    const [build, run, ...more] = stages();
    expect(more).toEqual([]);
    expect(args(build?.[0])).toBe('node:22-slim AS build');
    expect(args(run?.[0])).toBe('node:22-slim');
    expect(run?.some((i) => /^COPY --from=build /.test(i.getTextContent()))).toBe(true);
    const users = run?.filter((i) => i.getKeyword() === 'USER').map(args);
    expect(users?.at(-1)).toBe('node');
    // nothing in the image runs npm or npx: the installed command only
    expect(run?.filter((i) => /\bnp[mx]\b/.test(args(i)))).toEqual([]);
  });

  it('copies every workspace manifest before npm ci, so the lock file matches', () => {
    const root = JSON.parse(readFileSync(path.join(repoRoot, 'package.json'), 'utf8')) as { workspaces: string[] };
    const manifests = root.workspaces.flatMap((pattern) =>
      pattern.endsWith('/*')
        ? readdirSync(path.join(repoRoot, pattern.slice(0, -2)))
            .map((name) => `${pattern.slice(0, -1)}${name}/package.json`)
            .filter((file) => existsSync(path.join(repoRoot, file)))
        : [`${pattern}/package.json`],
    );
    const copied = instructions.filter((i) => i.getKeyword() === 'COPY').map((i) => args(i).split(/\s+/)[0]);
    expect(copied).toEqual(expect.arrayContaining(manifests));
    // the root's postinstall applies the dependency patches during that npm ci
    expect(copied).toContain('patches/');
  });

  it('keeps the build context to sources (.dockerignore)', () => {
    const ignored = readFileSync(path.join(repoRoot, '.dockerignore'), 'utf8').split('\n');
    for (const entry of ['.git', '**/node_modules', '**/dist', '/data', '/release', '.env']) expect(ignored).toContain(entry);
  });

  describe('run against the release', () => {
    let host: Host;
    beforeAll(async () => {
      host = await installRelease(inject('releaseTarball'));
    });
    afterAll(() => host?.close());

    it('ENTRYPOINT is the release command, and HEALTHCHECK answers 0 while the server is healthy and 1 once it is gone', async () => {
      const entrypoint = jsonArgs(instructions.find((i) => i.getKeyword() === 'ENTRYPOINT'));
      expect(entrypoint).toEqual(['/opt/toa/bin/toa-server']);
      expect(existsSync(path.join(host.release, 'bin', 'toa-server'))).toBe(true);

      const healthcheck = instructions.find((i) => i.getKeyword() === 'HEALTHCHECK');
      const command = jsonArgs(healthcheck).map((part) => (part === 'node' ? process.execPath : part));
      expect(command.join(' ')).toMatch(/\/api\/health/);
      const check = async (port: string): Promise<number> =>
        promisify(execFile)(command[0] as string, command.slice(1), { env: { TOA_PORT: port } }).then(
          () => 0,
          (error: { code: number }) => error.code,
        );

      const server = await serve(host, await writeConfig(host, 'toa.json'));
      const port = new URL(server.url).port;
      try {
        expect(await check(port)).toBe(0);
      } finally {
        await server.stop();
      }
      expect(await check(port)).toBe(1);
    });
  });
});
