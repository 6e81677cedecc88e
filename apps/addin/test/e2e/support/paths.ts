import path from 'node:path';

/** apps/addin */
export const addinDir = path.resolve(import.meta.dirname, '../../..');
/** The repository root (the folder holding turbo.json). */
export const repoRoot = path.resolve(addinDir, '../..');
/** The built pane, as `vite build` writes it (turbo builds it before the tests). */
export const taskpaneDir = path.join(addinDir, 'dist');
/** The server's bin; it runs the built server in apps/server/dist. */
export const serverBin = path.join(repoRoot, 'apps', 'server', 'bin', 'toa-server.js');
/** Real-world messages, vendored in the @toa/fixtures package. */
export { corpusDir } from '@toa/fixtures';
/** Debian's Chromium; playwright-core drives it, no browser is downloaded. */
export const CHROMIUM = '/usr/bin/chromium';
