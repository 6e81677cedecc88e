import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { gzip } from 'node:zlib';
import { corpusDir } from '@toa/fixtures';
import react from '@vitejs/plugin-react';
import { chromium } from 'playwright-core';
import { build, minifySync } from 'vite';
import { startChildServer } from '@toa/server/bench/lib/child-server.mjs';
import { alternate, fmt, median, ratio, scaledRounds } from '@toa/server/bench/lib/measure.mjs';

/**
 * Issue 12 row 10: the task pane against a minimal React + Fluent UI v9 pane
 * (bench/minimal-pane: the same Fluent components on fixed data), both built
 * from source in this run with the same Vite. Measured:
 *
 * - the gzipped bytes of each build's JavaScript and CSS, and which packages
 *   weigh what in the pane (each package's share of the rendered code);
 * - in Debian's Chromium, a fresh browser context per load (nothing cached),
 *   both pages served by one `toa-server serve` on loopback (the embedded
 *   default, the minimal pane in a folder of the pane's): the time from
 *   navigation to the first render (React's first content in `#root`), and
 *   for the pane the time to its real form — the template picker and the
 *   message's attachments listed — on the browser preview's Office stand-in
 *   with one message of the corpus selected.
 *
 * Times are read in the page (`performance.now()` from navigation start, by a
 * MutationObserver), so the bench's own round trips are not in them.
 *
 * `npm run bench` runs it as a program of its own (apps/server/bench/pane.mjs):
 * `node bench/pane.mjs <work folder>` writes the result table as JSON to
 * `<work folder>/result.json`.
 */

const addinDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const serverBin = path.resolve(addinDir, '..', 'server', 'bin', 'toa-server.js');
const CHROMIUM = '/usr/bin/chromium';
const OFFICE_CDN = 'https://appsforoffice.microsoft.com/**';
const gz = promisify(gzip);

/** The message the pane opens on: one PDF attachment (the browser preview's first sample message). */
const MESSAGE_FILE = path.join(corpusDir, 'mikel-mail', 'attachment_emails', 'attachment_pdf.eml');
const ATTACHMENT = 'broken.pdf';

/** Package a bundled module belongs to: its npm package, `@toa/api`, or the pane's own code. */
function packageOf(id) {
  const normalized = id.replaceAll('\\', '/');
  const at = normalized.lastIndexOf('/node_modules/');
  if (at >= 0) {
    const [scope, name] = normalized.slice(at + '/node_modules/'.length).split('/');
    return scope.startsWith('@') ? `${scope}/${name}` : scope;
  }
  if (normalized.includes('/packages/api/')) return '@toa/api';
  return normalized.includes('/apps/addin/') ? 'the pane itself' : 'other';
}

/**
 * Records what a build is made of: each package's rendered code of every chunk
 * (what tree-shaking kept), minified and gzipped on its own — its weight — and
 * the files the page loads before it can render: the entry chunk, the chunks
 * it imports statically and their CSS (dynamic imports are left for later).
 */
function bundleFacts(facts) {
  return {
    name: 'toa-bench-bundle-facts',
    async generateBundle(_options, bundle) {
      const code = new Map();
      const chunks = Object.values(bundle).filter((file) => file.type === 'chunk');
      for (const chunk of chunks) {
        for (const [id, module] of Object.entries(chunk.modules)) {
          const name = packageOf(id);
          code.set(name, `${code.get(name) ?? ''}${module.code ?? ''}\n`);
        }
      }
      for (const [name, text] of code) {
        const minified = minifySync(`${name.replaceAll('/', '_')}.js`, text).code;
        facts.weights.set(name, (facts.weights.get(name) ?? 0) + (await gz(minified, { level: 9 })).length);
      }
      const byName = new Map(chunks.map((chunk) => [chunk.fileName, chunk]));
      const pending = chunks.filter((chunk) => chunk.isEntry);
      while (pending.length > 0) {
        const chunk = pending.pop();
        if (facts.initial.has(chunk.fileName)) continue;
        facts.initial.add(chunk.fileName);
        for (const css of chunk.viteMetadata?.importedCss ?? []) facts.initial.add(css);
        pending.push(...chunk.imports.map((name) => byName.get(name)).filter(Boolean));
      }
    },
  };
}

/** Gzip (level 9) bytes of the .js and .css files under `dir`: all of them, and those the page loads at start. */
async function gzippedBytes(dir, initial) {
  let total = 0;
  let atStart = 0;
  for (const entry of await readdir(dir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile() || !/\.(js|css)$/.test(entry.name)) continue;
    const file = path.join(entry.parentPath, entry.name);
    const bytes = (await gz(await readFile(file), { level: 9 })).length;
    total += bytes;
    if (initial.has(path.relative(dir, file).replaceAll(path.sep, '/'))) atStart += bytes;
  }
  return { total, atStart };
}

const kib = (bytes) => fmt(bytes / 1024, 0);

async function buildPanes(workDir) {
  const paneDir = path.join(workDir, 'pane');
  const standInDir = path.join(workDir, 'stand-in');
  const paneFacts = { weights: new Map(), initial: new Set() };
  const minimalFacts = { weights: new Map(), initial: new Set() };
  const quiet = { logLevel: 'warn', mode: 'production' };
  await build({
    ...quiet,
    root: addinDir,
    configFile: path.join(addinDir, 'vite.config.ts'),
    plugins: [bundleFacts(paneFacts)],
    build: { outDir: paneDir, emptyOutDir: true },
  });
  // inside the pane's folder, so that one server serves both alike
  await build({
    ...quiet,
    configFile: false,
    root: path.join(addinDir, 'bench', 'minimal-pane'),
    base: './',
    plugins: [react(), bundleFacts(minimalFacts)],
    build: { outDir: path.join(paneDir, 'minimal'), emptyOutDir: true, chunkSizeWarningLimit: 800 },
  });
  await build({
    ...quiet,
    configFile: path.join(addinDir, 'preview', 'vite.stand-in.config.ts'),
    build: { outDir: standInDir, emptyOutDir: true },
  });
  const minimalBytes = await gzippedBytes(path.join(paneDir, 'minimal'), minimalFacts.initial);
  const all = await gzippedBytes(paneDir, paneFacts.initial);
  const paneBytes = { total: all.total - minimalBytes.total, atStart: all.atStart };
  return {
    paneDir,
    standIn: await readFile(path.join(standInDir, 'office-stand-in.js'), 'utf8'),
    paneBytes,
    minimalBytes,
    paneWeights: paneFacts.weights,
    minimalWeights: minimalFacts.weights,
  };
}

/**
 * The biggest packages of a build, each one's gzipped weight scaled to the
 * build's gzipped total (packages compressed apart add up to more than the
 * bundle compressed whole).
 */
function weights(sizes, gzipped, top = 7) {
  const total = [...sizes.values()].reduce((sum, size) => sum + size, 0);
  const sorted = [...sizes].sort((a, b) => b[1] - a[1]);
  const shown = sorted.slice(0, top).map(([name, size]) => `${name} ${kib((gzipped * size) / total)}`);
  const rest = sorted.slice(top).reduce((sum, [, size]) => sum + size, 0);
  return [...shown, ...(rest > 0 ? [`the rest ${kib((gzipped * rest) / total)}`] : [])].join(', ');
}

/** Records in the page when `#root` first has content and when the pane's form lists the attachment. */
function pageMarks(attachment) {
  const marks = {};
  window.__benchMarks = marks;
  const formReady = () => {
    const list = document.querySelector('ul[aria-label="Attachments"]');
    return Boolean(list?.textContent?.includes(attachment) && document.querySelector('select option[value]:not([value=""])'));
  };
  const observer = new MutationObserver(() => {
    if (marks.firstRender === undefined && document.getElementById('root')?.firstElementChild) marks.firstRender = performance.now();
    if (marks.form === undefined && formReady()) {
      marks.form = performance.now();
      observer.disconnect();
    }
  });
  observer.observe(document, { subtree: true, childList: true, attributes: true, characterData: true });
}

/** One cold load in a fresh context; resolves with the page's marks once `until` is set. */
async function load(browser, url, { until, standIn, office }) {
  const context = await browser.newContext({ viewport: { width: 360, height: 720 }, timezoneId: 'Europe/Prague', locale: 'en-US' });
  try {
    await context.route(
      (target) => target.hostname !== '127.0.0.1',
      (route) => route.abort('blockedbyclient'),
    );
    if (standIn) await context.route(OFFICE_CDN, (route) => route.fulfill({ contentType: 'text/javascript', body: standIn }));
    const page = await context.newPage();
    if (office) {
      await page.addInitScript((config) => {
        window.__TOA_OFFICE_CONFIG__ = config;
      }, office);
    }
    await page.addInitScript(pageMarks, ATTACHMENT);
    await page.goto(url);
    await page.waitForFunction((name) => window.__benchMarks?.[name] !== undefined, until, { timeout: 60_000 });
    return await page.evaluate(() => window.__benchMarks);
  } finally {
    await context.close();
  }
}

/** The stand-in's configuration: the corpus message selected, its attachment as Outlook lists it. */
async function officeConfig() {
  const eml = await readFile(MESSAGE_FILE);
  return {
    user: { displayName: 'Bench User', emailAddress: 'bench@example.com' },
    message: {
      itemId: 'bench-item-1',
      internetMessageId: '<xxxx@xxxx.com>',
      subject: 'Another PDF with 🎉 Unicode chars in it 🍿',
      from: { displayName: 'Test Tester', emailAddress: 'xxxx@xxxx.com' },
      dateTimeCreated: '2005-05-10T17:26:39.000Z',
      attachments: [{ id: 'bench-attachment-1', name: ATTACHMENT, contentType: 'application/pdf', size: 1026, isInline: false, attachmentType: 'file' }],
      emlBase64: eml.toString('base64'),
    },
  };
}

export async function pane(workDir) {
  const rounds = scaledRounds(9);
  const built = await buildPanes(workDir);
  const serverDir = path.join(workDir, 'server');
  await mkdir(serverDir);
  // the embedded default, as `npm start` runs it (dev identity, the sample domain), serving this run's build
  const env = { ...process.env, TOA_PORT: '0', TOA_HOST: '127.0.0.1', TOA_TASKPANE_DIR: built.paneDir };
  // vite's build sets NODE_ENV=production in this process; the embedded default refuses production
  delete env.TOA_CONFIG;
  delete env.NODE_ENV;
  const server = await startChildServer([serverBin, 'serve'], { cwd: serverDir, env });
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run'],
  });
  try {
    const office = await officeConfig();
    const samples = await alternate(rounds, {
      pane: () => load(browser, `${server.url}/taskpane.html`, { until: 'form', standIn: built.standIn, office }),
      minimal: () => load(browser, `${server.url}/minimal/index.html`, { until: 'firstRender' }),
    });
    const paneFirst = median(samples.pane.map((marks) => marks.firstRender));
    const paneForm = median(samples.pane.map((marks) => marks.form));
    const minimalFirst = median(samples.minimal.map((marks) => marks.firstRender));
    return {
      title: 'Task pane against a minimal React + Fluent UI v9 pane (issue 12 row 10)',
      columns: ['measure', 'rounds', 'pane', 'minimal pane', 'pane / minimal'],
      rows: [
        ['gzipped JS + CSS, KiB', 1, kib(built.paneBytes.total), kib(built.minimalBytes.total), ratio(built.paneBytes.total, built.minimalBytes.total)],
        [
          'of it loaded before the first render, KiB',
          1,
          kib(built.paneBytes.atStart),
          kib(built.minimalBytes.atStart),
          ratio(built.paneBytes.atStart, built.minimalBytes.atStart),
        ],
        ['load to first render, ms', rounds, fmt(paneFirst), fmt(minimalFirst), ratio(paneFirst, minimalFirst)],
        ['load to the form with the attachments listed, ms', rounds, fmt(paneForm), fmt(minimalFirst), ratio(paneForm, minimalFirst)],
      ],
      notes: [
        `pane, KiB gzipped by package (each package's code as the build kept it, minified and gzipped alone, scaled to the total): ${weights(built.paneWeights, built.paneBytes.total)}`,
        `minimal pane, likewise: ${weights(built.minimalWeights, built.minimalBytes.total)}`,
      ],
    };
  } finally {
    await browser.close();
    await server.stop();
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const workDir = process.argv[2];
  if (!workDir) throw new Error('usage: node bench/pane.mjs <work folder>');
  await writeFile(path.join(workDir, 'result.json'), JSON.stringify(await pane(workDir)));
}
