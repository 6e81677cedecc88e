import { auditQuerySchema } from '@toa/api/identity';
import { ROUTES } from '@toa/api/routes';
import { Router } from 'express';
import { AppError } from '../../errors.js';
import { isAdmin } from '../../identity.js';
import type { AppContext } from '../context.js';
import { scope } from '../params.js';

export function adminRoutes(ctx: AppContext): Router {
  const router = Router();
  router.get(ROUTES.audit, async (req, res) => {
    const { identity, domain } = scope(ctx, req);
    if (!isAdmin(identity)) throw new AppError('FORBIDDEN', 'the audit log is for administrators');
    res.json({ entries: await ctx.audit.query(domain, auditQuerySchema.parse(req.query)) });
  });
  return router;
}
