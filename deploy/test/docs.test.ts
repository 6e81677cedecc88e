import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { loadConfig } from '@toa/server/dist/config/load-config.js';
import { describe, expect, it } from 'vitest';

const repoRoot = path.resolve(import.meta.dirname, '..', '..');
const docs = [
  'README.md',
  ...readdirSync(path.join(repoRoot, 'docs'))
    .filter((name) => name.endsWith('.md'))
    .map((name) => path.join('docs', name)),
];
const lockedPackages = new Set(
  Object.keys((JSON.parse(readFileSync(path.join(repoRoot, 'package-lock.json'), 'utf8')) as { packages: Record<string, unknown> }).packages)
    .filter((key) => key.includes('node_modules/'))
    .map((key) => key.slice(key.lastIndexOf('node_modules/') + 'node_modules/'.length)),
);

describe('the docs install and run the server without resolving a public name', () => {
  /** The commands a doc shows: fenced code blocks and inline code spans (which may wrap a line). */
  function commands(file: string): string[] {
    const text = readFileSync(path.join(repoRoot, file), 'utf8');
    const fence = /^[ \t]*```[^\n]*\n([\s\S]*?)^[ \t]*```/gm;
    const fenced = [...text.matchAll(fence)].map((match) => match[1] as string);
    const inline = [...text.replace(fence, '').matchAll(/`([^`]+)`/g)].map((match) => match[1] as string);
    return [...fenced, ...inline];
  }

  /** The package each `npx` in the docs' commands would run. */
  const npxPackages = docs.flatMap((file) =>
    commands(file).flatMap((code) => [...code.matchAll(/\bnpx\s+((?:-\S+\s+)*)([@\w./-]+)/g)].map((match) => ({ file, name: match[2] as string }))),
  );

  it('finds the npx commands the docs show', () => {
    expect(npxPackages.map(({ name }) => name)).toEqual(expect.arrayContaining(['office-addin-debugging@7.0.0', 'office-addin-dev-certs@3.0.0']));
  });

  it('every npx in README and docs/ runs a package the lock file pins, or names an exact version', () => {
    const unsafe = npxPackages
      .filter(({ name }) => !lockedPackages.has(name) && !/^(@[\w.-]+\/)?[\w.-]+@\d+\.\d+\.\d+$/.test(name))
      .map(({ file, name }) => `${file}: npx ${name}`);
    expect(unsafe).toEqual([]);
  });

  it('no doc says npx toa-server, and no locked package could answer it', () => {
    expect(npxPackages.filter(({ name }) => name.startsWith('toa-server'))).toEqual([]);
    expect(lockedPackages.has('toa-server')).toBe(false);
  });

  it('the nginx site in docs/deployment.md is the one the release ships', () => {
    const deployment = readFileSync(path.join(repoRoot, 'docs', 'deployment.md'), 'utf8');
    const shown = /```nginx\n([\s\S]*?)```/.exec(deployment)?.[1];
    expect(shown).toBe(readFileSync(path.join(import.meta.dirname, '..', 'share', 'nginx', 'toa.conf'), 'utf8'));
  });

  it('the example configuration the release ships is a valid production configuration', () => {
    const config = loadConfig({ file: path.join(import.meta.dirname, '..', 'share', 'toa.example.json'), env: {} });
    expect(config.production).toBe(true);
    expect(config.auth.mode).toBe('jwt');
    expect(config.dataRoot).toBe('/var/lib/toa/data');
    expect(config.logDir).toBe('/var/log/toa');
  });
});
