import type { RequestHandler } from 'express';
import { AppError } from '../../errors.js';
import { METRICS_PATH } from '../../metrics/route-label.js';
import type { ServerMetrics } from '../../metrics/server-metrics.js';

/**
 * `GET /metrics`: the Prometheus text format, only to the scrapers the
 * configuration names (`metrics.allow`, `metrics.tokenEnv`). Without that
 * section the path does not exist (404); anyone else gets 403.
 */
export function metricsRoute(metrics: ServerMetrics): RequestHandler {
  return async (req, res) => {
    const verdict = metrics.verdict(req.ip, req.get('authorization'));
    if (verdict === 'not-served') throw new AppError('NOT_FOUND', `there is no route ${req.method} ${METRICS_PATH}`);
    if (verdict === 'refused')
      throw new AppError('FORBIDDEN', 'metrics are served only to the scrapers the configuration names (metrics.allow, metrics.tokenEnv)');
    res.set({ 'Content-Type': metrics.contentType, 'Cache-Control': 'no-store', 'X-Content-Type-Options': 'nosniff' }).send(await metrics.render());
  };
}
