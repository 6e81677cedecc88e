import { execFile } from 'node:child_process';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import type { TestProject } from 'vitest/node';

declare module 'vitest' {
  export interface ProvidedContext {
    /** the tarball `npm run release` wrote, in a temporary folder outside the checkout */
    releaseTarball: string;
  }
}

const deployDir = path.resolve(import.meta.dirname, '..', '..');

/**
 * Builds the release once for every test file, as `npm run release` does but
 * from the dist folders turbo has already built (`--skip-build`) and from npm's
 * cache only (`--offline`): the tests reach no registry.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const out = await mkdtemp(path.join(tmpdir(), 'toa-release-out-'));
  try {
    await promisify(execFile)(process.execPath, [path.join(deployDir, 'release.mjs'), '--skip-build', '--offline', '--out', out], {
      maxBuffer: 16 * 1024 * 1024,
    });
  } catch (error) {
    const { stdout, stderr } = error as { stdout?: string; stderr?: string };
    throw new Error(`npm run release failed:\n${stdout ?? ''}\n${stderr ?? ''}`);
  }
  const tarball = (await readdir(out)).find((name) => name.endsWith('.tgz'));
  if (!tarball) throw new Error(`the release wrote no tarball into ${out}`);
  project.provide('releaseTarball', path.join(out, tarball));
  return () => rm(out, { recursive: true, force: true });
}
