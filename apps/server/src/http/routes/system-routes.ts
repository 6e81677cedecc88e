import type { Me } from '@toa/api/identity';
import { ROUTES } from '@toa/api/routes';
import type { TemplatesResponse } from '@toa/api/templates';
import type { Router } from 'express';
import { AppError } from '../../errors.js';
import { identityOf } from '../auth.js';
import type { AppContext } from '../context.js';
import { scope } from '../params.js';

/** Adds the identity, domains and templates routes to `router` (the API's, mounted at /api): its own layers, not a nested router a request walks through. */
export function systemRoutes(router: Router, ctx: AppContext): void {
  router.get(ROUTES.me, (req, res) => {
    const identity = identityOf(req);
    const me: Me = { userId: identity.userId, email: identity.email, name: identity.name, roles: [...identity.roles], authMode: ctx.config.auth.mode };
    res.json(me);
  });

  router.get(ROUTES.domains, (req, res) => {
    res.json({ domains: ctx.domains.list(identityOf(req)) });
  });

  router.get(ROUTES.templates, (req, res) => {
    const { domain } = scope(ctx, req);
    const state = ctx.templates.state(domain);
    if (!state.available) throw new AppError('CATALOGUE_UNAVAILABLE', `the domain "${domain}" has no template catalogue: ${state.reason}`);
    const body: TemplatesResponse = {
      domain,
      source: state.source,
      loadedAt: state.loadedAt,
      templates: state.catalogue.templates,
      limits: { attributeLength: ctx.config.limits.attributeLength },
    };
    res.json(body);
  });
}
