import express, { Router } from 'express';
import type { Config } from '../../config/schema.js';
import { AppError } from '../../errors.js';

/**
 * The built task pane (`taskpane.html` and `assets/`). The folder is looked up
 * on every request, not once at start: `npm start` may start the server while
 * the pane is still being built, and a rebuild replaces the folder.
 */
export function paneRoutes(config: Pick<Config, 'taskpaneDir'>): Router {
  const router = Router();
  if (!config.taskpaneDir) return router;
  router.use(express.static(config.taskpaneDir, { index: false, fallthrough: true }));
  router.get('/taskpane.html', () => {
    throw new AppError('UNAVAILABLE', 'the task pane is not built yet; it is served as soon as the build has written it');
  });
  return router;
}
