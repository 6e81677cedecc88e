import { API_PREFIX, ROUTES } from '@toa/api/routes';
import type { RequestListener } from 'node:http';
import express from 'express';
import { ipKeyGenerator } from 'express-rate-limit';
import { createAuthMiddleware } from './auth/create-auth-middleware.js';
import { AppError } from './errors.js';
import type { AppContext } from './http/context.js';
import { domainGate } from './http/domain-gate.js';
import { onEveryAnswer } from './http/every-answer.js';
import { deferredJson } from './http/json-body.js';
import { inOrder } from './http/in-order.js';
import { loopbackHostsOnly, rememberedLoopbackVerdicts } from './http/loopback-host.js';
import { answerPlainProbesFirst } from './http/plain-probe.js';
import { rateLimit, refusedSignInLimit } from './http/rate-limit.js';
import { createErrorHandler } from './http/problem.js';
import { adminRoutes } from './http/routes/admin-routes.js';
import { healthRoute } from './http/routes/health-route.js';
import { importRoutes } from './http/routes/import-routes.js';
import { metricsRoute } from './http/routes/metrics-route.js';
import { paneRoutes } from './http/routes/pane-routes.js';
import { systemRoutes } from './http/routes/system-routes.js';
import { apiSecurityHeaders, taskpaneSecurityHeaders } from './http/security-headers.js';
import { accessLog } from './logging/access-log.js';
import { RefusalSampler } from './logging/refusal-sampler.js';
import { METRICS_PATH } from './metrics/route-label.js';

/**
 * Builds the request listener from its dependencies: the Express app, with
 * the load balancer's plain probe answered before it (`answerPlainProbesFirst`);
 * never listens (tests start it on port 0).
 */
export function createApp(ctx: AppContext): RequestListener {
  const app = express();
  app.disable('x-powered-by');
  // API answers are never stored (Cache-Control: no-store), so a validator would never be asked about:
  // no weak ETag hashed over every JSON body (a page download sets its own, the page's sha256)
  app.set('etag', false);
  // the client's address (rate limits, metrics allow-list) is the one these proxies forward
  app.set('trust proxy', ['loopback', ...ctx.config.trustedProxies]);
  const refusals = new RefusalSampler(ctx.logger);
  // every request: counted and timed by route, one log line, and (dev identity) addressed to a loopback name —
  // dev identity trusts whoever reaches the port, not a page whose DNS was rebound to loopback
  const requestLog = accessLog(app, ctx.logger);
  const everyRequest = [requestLog.identify, onEveryAnswer(ctx.metrics.answered, requestLog.answered)];
  const loopback = rememberedLoopbackVerdicts();
  const devIdentity = ctx.config.auth.mode === 'dev';
  app.use(inOrder(...everyRequest, ...(devIdentity ? [loopbackHostsOnly(loopback)] : [])));

  const apiHeaders = apiSecurityHeaders(ctx.config);
  const authenticate = createAuthMiddleware(ctx.config);
  // what load balancers ask every few seconds, before the API's router: no body to read, no identity required
  app.get(`${API_PREFIX}${ROUTES.health}`, apiHeaders, healthRoute(ctx, authenticate));

  const api = express.Router();
  api.use(inOrder(apiHeaders, deferredJson({ limit: '1mb' })));
  api.use(
    inOrder(
      // authentication, limited by client address (behind the documented proxy, the forwarded one):
      // only refused sign-ins count, so colleagues behind one address are not throttled by each other
      refusedSignInLimit(authenticate, {
        windowMs: 60_000,
        limit: ctx.config.limits.refusedPerMinute,
        identifier: 'refused-per-address',
        key: (req) => ipKeyGenerator(req.ip ?? ''),
        refusal: `more than ${ctx.config.limits.refusedPerMinute} refused sign-ins from your address in a minute; wait a moment`,
      }),
      rateLimit({
        windowMs: 60_000,
        limit: ctx.config.limits.requestsPerMinute,
        key: (req) => req.identity?.userId ?? 'anonymous',
        refusal: `more than ${ctx.config.limits.requestsPerMinute} requests in a minute; wait a moment`,
      }),
    ),
  );
  // a cluster node: another node's domain is 421, a draining domain read-only (docs/scaling.md)
  if (ctx.clusterMap && ctx.drains) api.use(domainGate(ctx.clusterMap, ctx.drains));
  systemRoutes(api, ctx);
  importRoutes(api, ctx);
  adminRoutes(api, ctx);
  api.use((req) => {
    throw new AppError('NOT_FOUND', `there is no route ${req.method} ${req.baseUrl}${req.path}`);
  });
  app.use(API_PREFIX, api);
  app.get(METRICS_PATH, metricsRoute(ctx.metrics));

  // the built task pane, on the same origin as the API (the URL the manifest points at); Outlook frames it
  app.use(taskpaneSecurityHeaders(ctx.config));
  app.use(paneRoutes(ctx.config));
  app.use(createErrorHandler(refusals, apiHeaders));
  return answerPlainProbesFirst(app, {
    status: ctx.healthStatus,
    hostAllowed: devIdentity ? loopback : () => true,
    steps: [...everyRequest, apiHeaders],
  });
}
