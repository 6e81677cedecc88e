#!/usr/bin/env node
/**
 * `npm run release`: builds a self-contained server release that a host runs
 * without a checkout and without ever resolving a package name on a registry.
 *
 *   <out>/toa-server-<version>/       the release folder (install it as /opt/toa)
 *     bin/toa-server                  the command (POSIX sh; runs `node` from PATH)
 *     dist/ samples/ package.json     the server, as built from apps/server
 *     taskpane/                       the built task pane (found there by default)
 *     node_modules/                   production dependencies from package-lock.json,
 *                                     with the private @toa/api copied in
 *     share/                          systemd unit, nginx site, example configuration
 *   <out>/toa-server-<version>.tgz    the same folder as a tarball
 *
 * Options: --out DIR (default ./release), --skip-build (use the existing dist
 * folders), --no-tarball, --offline (npm's cache only; the tests use it). Dependencies come from package-lock.json through
 * `npm ci --omit=dev` (from npm's cache when it has them); nothing is resolved
 * by name at build time either.
 */
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';

const repoRoot = path.resolve(import.meta.dirname, '..');
const serverDir = path.join(repoRoot, 'apps', 'server');
const apiDir = path.join(repoRoot, 'packages', 'api');
const paneDir = path.join(repoRoot, 'apps', 'addin', 'dist');

const { values: options } = parseArgs({
  options: {
    out: { type: 'string', default: path.join(repoRoot, 'release') },
    'skip-build': { type: 'boolean', default: false },
    'no-tarball': { type: 'boolean', default: false },
    offline: { type: 'boolean', default: false },
  },
});

const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
const run = (command, args, cwd, env = process.env) => execFileSync(command, args, { cwd, env, stdio: ['ignore', 'inherit', 'inherit'] });
const readJson = (file) => JSON.parse(readFileSync(file, 'utf8'));

// a release is for production whatever the caller's NODE_ENV: Vite builds React's development runtime under any other
if (!options['skip-build']) run(npm, ['run', 'build'], repoRoot, { ...process.env, NODE_ENV: 'production' });
for (const built of [path.join(serverDir, 'dist', 'cli.js'), path.join(apiDir, 'dist'), path.join(paneDir, 'taskpane.html')]) {
  if (!existsSync(built)) throw new Error(`${path.relative(repoRoot, built)} is missing: run npm run build (or drop --skip-build)`);
}

const serverPackage = readJson(path.join(serverDir, 'package.json'));
const name = `toa-server-${serverPackage.version}`;
const out = path.resolve(options.out);
const target = path.join(out, name);
rmSync(target, { recursive: true, force: true });
mkdirSync(target, { recursive: true });

/**
 * The lock file describes the whole workspace, so the install runs in a staging
 * copy of every workspace's package.json: `npm ci` then checks the lock against
 * them exactly as in the checkout, and installs only the server's production tree.
 */
function installProductionDependencies() {
  const stage = mkdtempSync(path.join(tmpdir(), 'toa-release-'));
  try {
    const root = readJson(path.join(repoRoot, 'package.json'));
    cpSync(path.join(repoRoot, 'package.json'), path.join(stage, 'package.json'));
    cpSync(path.join(repoRoot, 'package-lock.json'), path.join(stage, 'package-lock.json'));
    for (const pattern of root.workspaces) {
      const parent = pattern.endsWith('/*') ? pattern.slice(0, -2) : undefined;
      const folders = parent ? readdirSync(path.join(repoRoot, parent)).map((entry) => path.join(parent, entry)) : [pattern];
      for (const folder of folders) {
        const manifest = path.join(repoRoot, folder, 'package.json');
        if (!existsSync(manifest)) continue;
        mkdirSync(path.join(stage, folder), { recursive: true });
        cpSync(manifest, path.join(stage, folder, 'package.json'));
      }
    }
    const cache = options.offline ? '--offline' : '--prefer-offline';
    run(npm, ['ci', '--omit=dev', `--workspace=${serverPackage.name}`, '--ignore-scripts', cache, '--no-audit', '--no-fund'], stage);
    // the scripts were skipped, the root's postinstall with them: apply the dependency patches (patches/README.md) here
    cpSync(path.join(repoRoot, 'patches'), path.join(stage, 'patches'), { recursive: true });
    run(process.execPath, [path.join(repoRoot, 'node_modules', 'patch-package', 'index.js'), '--error-on-fail', '--error-on-warn'], stage);
    const nested = path.join(stage, 'apps', 'server', 'node_modules');
    if (existsSync(nested)) throw new Error('the lock file nests server dependencies under apps/server; the release layout assumes a hoisted tree');
    // workspace packages are symlinks into the staging copy; the one the server needs is copied in whole below
    rmSync(path.join(stage, 'node_modules', '@toa'), { recursive: true, force: true });
    cpSync(path.join(stage, 'node_modules'), path.join(target, 'node_modules'), { recursive: true, verbatimSymlinks: true });
  } finally {
    rmSync(stage, { recursive: true, force: true });
  }
}

installProductionDependencies();

const apiTarget = path.join(target, 'node_modules', '@toa', 'api');
mkdirSync(apiTarget, { recursive: true });
cpSync(path.join(apiDir, 'package.json'), path.join(apiTarget, 'package.json'));
cpSync(path.join(apiDir, 'dist'), path.join(apiTarget, 'dist'), { recursive: true });

for (const folder of ['bin', 'dist', 'samples']) cpSync(path.join(serverDir, folder), path.join(target, folder), { recursive: true });
cpSync(paneDir, path.join(target, 'taskpane'), { recursive: true });
cpSync(path.join(import.meta.dirname, 'share'), path.join(target, 'share'), { recursive: true });
cpSync(path.join(import.meta.dirname, 'toa-server.sh'), path.join(target, 'bin', 'toa-server'));

// the workspace's overrides shaped the locked tree, so the release's own manifest states them too
const { devDependencies: _dev, scripts: _scripts, files: _files, ...released } = serverPackage;
const { overrides } = readJson(path.join(repoRoot, 'package.json'));
writeFileSync(path.join(target, 'package.json'), `${JSON.stringify({ ...released, bundleDependencies: ['@toa/api'], overrides }, null, 2)}\n`);

// the tree must satisfy the server's own package.json with nothing fetched: npm ls only reads the folder
execFileSync(npm, ['ls', '--omit=dev', '--all', '--offline'], { cwd: target, stdio: ['ignore', 'ignore', 'inherit'] });

if (!options['no-tarball']) {
  run('tar', ['-czf', `${name}.tgz`, name], out);
  console.log(`release: ${path.join(out, `${name}.tgz`)}`);
}
console.log(`release folder: ${target}`);
