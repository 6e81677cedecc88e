import { existsSync } from 'node:fs';
import { lstat, readdir, readFile, readlink, realpath, symlink } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { writeConfig } from './support/config.js';
import { type Host, installRelease, runCommand, serve } from './support/host.js';

let host: Host;
beforeAll(async () => {
  host = await installRelease(inject('releaseTarball'));
});
afterAll(() => host?.close());

/** Every folder from `dir` up to the file system's root. */
function ancestors(dir: string): string[] {
  const parent = path.dirname(dir);
  return parent === dir ? [dir] : [dir, ...ancestors(parent)];
}

describe('the release (npm run release)', () => {
  it('is installed outside any checkout: nothing above it can lend it a package', () => {
    for (const dir of ancestors(path.dirname(host.release))) {
      expect(existsSync(path.join(dir, 'node_modules')), `${dir}/node_modules`).toBe(false);
      expect(existsSync(path.join(dir, 'package.json')), `${dir}/package.json`).toBe(false);
    }
  });

  it('carries the server, the pane, the private @toa/api and only production dependencies', async () => {
    const modules = path.join(host.release, 'node_modules');
    for (const file of ['bin/toa-server', 'dist/cli.js', 'samples/catalogue.xml', 'taskpane/taskpane.html', 'share/systemd/toa-server.service']) {
      expect(existsSync(path.join(host.release, file)), file).toBe(true);
    }
    expect((await lstat(path.join(modules, '@toa', 'api'))).isSymbolicLink()).toBe(false);
    expect(existsSync(path.join(modules, '@toa', 'api', 'dist', 'ids.js'))).toBe(true);
    expect(await readdir(path.join(modules, '@toa'))).toEqual(['api']);
    for (const devOnly of ['vitest', 'typescript', 'vite', 'turbo', '@biomejs', 'fast-check', 'react']) {
      expect(existsSync(path.join(modules, devOnly)), devOnly).toBe(false);
    }
  });

  it('carries the dependency patches of patches/: every patched file as the checkout has it', async () => {
    const repoRoot = path.resolve(import.meta.dirname, '..', '..');
    const patches = (await readdir(path.join(repoRoot, 'patches'))).filter((file) => file.endsWith('.patch'));
    expect(patches.length).toBeGreaterThan(0);
    for (const patch of patches) {
      const patched = [...(await readFile(path.join(repoRoot, 'patches', patch), 'utf8')).matchAll(/^\+\+\+ b\/node_modules\/(.+)$/gm)].map(
        (match) => match[1] as string,
      );
      expect(patched.length, patch).toBeGreaterThan(0);
      for (const file of patched) {
        expect(await readFile(path.join(host.release, 'node_modules', file), 'utf8'), file).toBe(
          await readFile(path.join(repoRoot, 'node_modules', file), 'utf8'),
        );
      }
    }
  });

  it('has no link that leaves it', async () => {
    const links: string[] = [];
    const walk = async (dir: string): Promise<void> => {
      for (const entry of await readdir(dir, { withFileTypes: true })) {
        const full = path.join(dir, entry.name);
        if (entry.isSymbolicLink()) links.push(full);
        else if (entry.isDirectory()) await walk(full);
      }
    };
    await walk(host.release);
    for (const link of links) {
      expect(path.isAbsolute(await readlink(link)), link).toBe(false);
      expect((await realpath(link)).startsWith(`${await realpath(host.release)}${path.sep}`), link).toBe(true);
    }
  });

  it('serves the API and the task pane with no npm on PATH and without asking a registry, and stops cleanly on SIGTERM', async () => {
    const config = await writeConfig(host, 'toa.json');
    const server = await serve(host, config);
    try {
      const health = await fetch(`${server.url}/api/health`);
      expect(health.status).toBe(200);
      // anyone gets the status alone; the checks are for administrators
      expect(await health.json()).toEqual({ status: 'ok' });

      const pane = await fetch(`${server.url}/taskpane.html`);
      expect(pane.status).toBe(200);
      expect(pane.headers.get('content-type')).toMatch(/^text\/html/);
      const html = await pane.text();
      // the pane's own bundle (office.js comes from Microsoft's CDN and is not fetched here)
      const script = /<script type="module"[^>]+src="(\.\/assets\/[^"]+\.js)"/.exec(html)?.[1];
      expect(script).toBeDefined();
      const asset = await fetch(new URL(script as string, `${server.url}/taskpane.html`));
      expect(asset.status).toBe(200);
      expect(asset.headers.get('content-type')).toMatch(/javascript/);
      // the browser preview belongs to a checkout's build, not to a release, even in dev identity
      expect((await fetch(`${server.url}/`, { redirect: 'manual' })).status).toBe(404);
    } finally {
      expect(await server.stop('SIGTERM')).toBe(0);
    }
    expect(server.output()).toMatch(/shutting down/);
    expect(server.output()).toMatch(/TOA server stopped/);
    expect(existsSync(path.join(host.root, 'var', 'lib', 'toa', 'data', '.toa-server.lock'))).toBe(false);
    expect(await readFile(path.join(host.root, 'var', 'log', 'toa', 'toa-server.log'), 'utf8')).toMatch(/TOA server listening/);
    expect(host.registryRequests).toEqual([]);
  });

  it('runs through a symlink such as /usr/local/bin/toa-server, and npm is really absent', async () => {
    const link = path.join(host.root, 'usr', 'bin', 'toa-server');
    await symlink(host.bin, link);
    const help = await runCommand({ ...host, bin: link }, ['--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/Usage: toa-server/);
    const npm = await runCommand({ ...host, bin: '/bin/sh' }, ['-c', 'command -v npm || command -v npx || echo none']);
    expect(npm.stdout.trim()).toBe('none');
    expect(host.registryRequests).toEqual([]);
  });
});
