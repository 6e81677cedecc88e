import { createReadStream, existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, normalize, relative } from 'node:path';
import { API_PREFIX } from '@toa/api/routes';
import { loadConfig } from '@toa/server/dist/config/load-config.js';
import react from '@vitejs/plugin-react';
import type { Plugin } from 'vite';
import { defineConfig } from 'vitest/config';

const OFFICE_CDN = 'https://appsforoffice.microsoft.com/lib/1/hosted/';
const LOCAL_OFFICE_PREFIX = '/office-js/';

/**
 * Development has no internet: the dev server answers office.js from the copy in
 * `@microsoft/office-js` (Microsoft allows it for debugging and firewalled use).
 * The production build keeps the CDN URL.
 */
function localOfficeJs(): Plugin {
  const require = createRequire(import.meta.url);
  const dist = join(dirname(require.resolve('@microsoft/office-js/package.json')), 'dist');
  return {
    name: 'toa-local-office-js',
    apply: 'serve',
    transformIndexHtml: (html) => html.replaceAll(OFFICE_CDN, LOCAL_OFFICE_PREFIX),
    configureServer(server) {
      server.middlewares.use(LOCAL_OFFICE_PREFIX, (req, res, next) => {
        const relative = normalize(decodeURIComponent((req.url ?? '/').split('?')[0] ?? '/')).replace(/^([/\\])+/, '');
        const file = join(dist, relative);
        if (relative.startsWith('..') || !file.startsWith(dist) || !existsSync(file)) return next();
        res.setHeader('Content-Type', 'text/javascript; charset=utf-8');
        createReadStream(file).pipe(res);
      });
    },
  };
}

const CHUNK_URL = '?chunk-url';
const CHUNK_URL_ID = '\0toa-chunk-url:';
/** what the built code holds until the chunk's file name is known */
const CHUNK_URL_MARK = /(["'`])toa-chunk-url\[(.+?)\]\1/g;

/**
 * `import url from './module?chunk-url'`: the URL of the chunk that
 * `import('./module')` loads, so that a load that failed can be retried at
 * another URL — a browser keeps a failed module load for good (HTML's module
 * map), and `import()` of the same URL fails again without asking the server
 * (src/features/bulk-filing/lazy-bulk-filing.tsx). The dev server serves the
 * module itself at its path.
 */
function chunkUrls(): Plugin {
  let root = '';
  let serving = false;
  return {
    name: 'toa-chunk-url',
    // before Vite's own resolver, which would drop the query and import the module itself
    enforce: 'pre',
    configResolved(config) {
      root = config.root;
      serving = config.command === 'serve';
    },
    async resolveId(source, importer) {
      if (!source.endsWith(CHUNK_URL)) return null;
      const resolved = await this.resolve(source.slice(0, -CHUNK_URL.length), importer);
      return resolved ? CHUNK_URL_ID + resolved.id : null;
    },
    load(id) {
      if (!id.startsWith(CHUNK_URL_ID)) return null;
      const module = id.slice(CHUNK_URL_ID.length);
      if (serving) return `export default ${JSON.stringify(`/${relative(root, module).replaceAll('\\', '/')}`)};`;
      return `export default ${JSON.stringify(`toa-chunk-url[${module}]`)};`;
    },
    generateBundle(_options, bundle) {
      const chunks = Object.values(bundle).filter((file) => file.type === 'chunk');
      const fileOf = new Map(chunks.flatMap((chunk) => (chunk.facadeModuleId ? [[chunk.facadeModuleId, chunk.fileName]] : [])));
      for (const chunk of chunks) {
        chunk.code = chunk.code.replace(CHUNK_URL_MARK, (_mark, _quote, module: string) => {
          const target = fileOf.get(module);
          if (!target) this.error(`${module}?chunk-url: no chunk of its own (is it loaded with import()?)`);
          const url = relative(dirname(chunk.fileName), target).replaceAll('\\', '/');
          return `new URL(${JSON.stringify(`./${url}`)}, import.meta.url).href`;
        });
      }
    },
  };
}

/** The repository root: `npm start` and `turbo dev` both run the server from here. */
const repoRoot = join(import.meta.dirname, '..', '..');

/**
 * Where the dev server sends `/api`: the address the server itself listens on,
 * read with the server's own configuration loader (`TOA_CONFIG`, `TOA_HOST`,
 * `TOA_PORT`, the embedded default) from the folder it runs in.
 */
export function apiTarget(env: NodeJS.ProcessEnv = process.env): string {
  let host = '127.0.0.1';
  let port = 3100;
  try {
    ({ host, port } = loadConfig({ env, cwd: repoRoot }));
  } catch (error) {
    // the server refuses the same configuration with every problem listed; the proxy keeps the default meanwhile
    console.warn(`the server's configuration does not load, /api goes to ${host}:${port}: ${error instanceof Error ? error.message : error}`);
  }
  const loopback = host === '0.0.0.0' ? '127.0.0.1' : host === '::' ? '::1' : host;
  return `http://${loopback.includes(':') ? `[${loopback}]` : loopback}:${port}`;
}

/** Unit tests that run without a DOM (vitest project `node`). */
const NODE_TESTS = ['src/features/import-flow/flow/**/*.test.ts', 'src/features/bulk-filing/queue/**/*.test.ts'];

// A function config: only the dev server proxies /api (a build runs as production and needs no server configuration).
export default defineConfig(({ command }) => ({
  plugins: [react(), localOfficeJs(), chunkUrls()],
  // Relative asset URLs: the server serves dist at its root, a proxy may mount it elsewhere.
  base: './',
  build: {
    outDir: 'dist',
    assetsDir: 'assets',
    emptyOutDir: true,
    rolldownOptions: { input: 'taskpane.html' },
    // One page, loaded once per Outlook session and cached: Fluent UI alone is most of it.
    chunkSizeWarningLimit: 800,
  },
  server: {
    port: 3000,
    proxy: command === 'serve' ? { [API_PREFIX]: apiTarget() } : undefined,
  },
  test: {
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          environment: 'jsdom',
          globals: true,
          setupFiles: ['./src/test/setup.ts'],
          include: ['src/**/*.test.{ts,tsx}', 'test/*.test.ts'],
          exclude: [...NODE_TESTS, '**/node_modules/**'],
          // whole flows through jsdom take seconds when every package's tests share two busy cores
          testTimeout: 20_000,
        },
      },
      {
        // React-free modules, without a DOM: the import flow's steps against the real server (a child process per file).
        extends: true,
        test: {
          name: 'node',
          environment: 'node',
          include: NODE_TESTS,
          testTimeout: 30_000,
          hookTimeout: 60_000,
        },
      },
      {
        // The built pane in Debian's Chromium against the real server (docs/taskpane.md, "How it is checked").
        extends: true,
        test: {
          name: 'browser',
          environment: 'node',
          include: ['test/e2e/**/*.test.ts'],
          // a browser and a server process per file; a busy 2-core CI machine needs headroom
          testTimeout: 60_000,
          hookTimeout: 60_000,
        },
      },
    ],
  },
}));
