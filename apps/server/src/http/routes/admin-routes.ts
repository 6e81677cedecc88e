import { auditQuerySchema, type CatalogueRefreshResponse } from '@toa/api/identity';
import { ROUTES } from '@toa/api/routes';
import type { Router } from 'express';
import { AppError } from '../../errors.js';
import { isAdmin } from '../../identity.js';
import type { AppContext } from '../context.js';
import { scope } from '../params.js';

/** Adds the administrator routes to `router` (the API's, mounted at /api): its own layers, not a nested router a request walks through. */
export function adminRoutes(router: Router, ctx: AppContext): void {
  router.get(ROUTES.audit, async (req, res) => {
    const { identity, domain } = scope(ctx, req);
    if (!isAdmin(identity)) throw new AppError('FORBIDDEN', 'the audit log is for administrators');
    res.json({ entries: await ctx.audit.query(domain, auditQuerySchema.parse(req.query)) });
  });
  router.post(ROUTES.catalogueRefresh, async (req, res) => {
    const { identity, domain } = scope(ctx, req);
    if (!isAdmin(identity)) throw new AppError('FORBIDDEN', 'reloading a catalogue is for administrators');
    req.log.info({ domain }, 'template catalogue reload requested');
    await ctx.templates.refresh(domain);
    const answer: CatalogueRefreshResponse = { domain, ...ctx.templates.status(domain) };
    res.json(answer);
  });
}
