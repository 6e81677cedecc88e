import { readFile } from 'node:fs/promises';
import path from 'node:path';
import express, { Router } from 'express';
import type { Config } from '../../config/schema.js';
import { AppError, errnoCode } from '../../errors.js';
import { OFFICE_JS_ORIGIN } from '../security-headers.js';

const PANE_PAGE = 'taskpane.html';
const OFFICE_JS_TAG = new RegExp(`<script src="${OFFICE_JS_ORIGIN.replaceAll('.', '\\.')}/lib/1/hosted/office\\.js"></script>`);

function notBuilt(): never {
  throw new AppError('UNAVAILABLE', 'the task pane is not built yet; it is served as soon as the build has written it');
}

/** The built pane's page, read now: it may appear or change while the server runs. */
async function panePage(taskpaneDir: string): Promise<string> {
  try {
    return await readFile(path.join(taskpaneDir, PANE_PAGE), 'utf8');
  } catch (error) {
    if (errnoCode(error) === 'ENOENT') notBuilt();
    throw error;
  }
}

/** Only a developer's own machine: `dev` identity (loopback only) and not production. */
export function previewAllowed(config: Pick<Config, 'auth' | 'production' | 'previewDir' | 'taskpaneDir'>): boolean {
  return config.auth.mode === 'dev' && !config.production && config.previewDir !== undefined && config.taskpaneDir !== undefined;
}

/**
 * The browser preview (docs/taskpane.md): `/` leads to `/preview/`, the sample
 * mailbox page, which frames `/preview/taskpane.html` — the built pane itself,
 * with the Office stand-in loaded where office.js would be and its own assets
 * taken from the root.
 */
function previewRoutes(previewDir: string, taskpaneDir: string): Router {
  const router = Router();
  router.get('/', (_req, res) => res.redirect(302, 'preview/'));
  router.get(`/preview/${PANE_PAGE}`, async (_req, res) => {
    const page = await panePage(taskpaneDir);
    if (!OFFICE_JS_TAG.test(page))
      throw new AppError('UNAVAILABLE', 'the built task pane does not load office.js where the preview expects it; rebuild the pane');
    res
      .type('html')
      .send(page.replace('<head>', '<head>\n    <base href="../" />').replace(OFFICE_JS_TAG, '<script src="preview/office-stand-in.js"></script>'));
  });
  router.use('/preview', express.static(previewDir, { index: 'index.html', fallthrough: true }));
  router.get(['/preview', '/preview/'], () => {
    throw new AppError('UNAVAILABLE', 'the browser preview is not built yet; it is served as soon as the build has written it');
  });
  return router;
}

/**
 * The built task pane (`taskpane.html` and `assets/`), and in `dev` identity
 * the browser preview. Folders are looked up on every request, not once at
 * start: `npm start` may start the server while the pane is still being built,
 * and a rebuild replaces the folder.
 */
export function paneRoutes(config: Pick<Config, 'taskpaneDir' | 'previewDir' | 'auth' | 'production'>): Router {
  const router = Router();
  if (!config.taskpaneDir) return router;
  if (previewAllowed(config)) router.use(previewRoutes(config.previewDir as string, config.taskpaneDir));
  router.use(express.static(config.taskpaneDir, { index: false, fallthrough: true }));
  router.get(`/${PANE_PAGE}`, notBuilt);
  return router;
}
