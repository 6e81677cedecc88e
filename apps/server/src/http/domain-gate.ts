import { API_PREFIX, domainOfPath, paths } from '@toa/api/routes';
import type { RequestHandler } from 'express';
import { DRAIN_RETRY_AFTER_SECONDS, type DomainDrains } from '../cluster/domain-drains.js';
import type { ClusterMap } from '../cluster/cluster-map.js';
import { AppError } from '../errors.js';

const READS = new Set(['GET', 'HEAD', 'OPTIONS']);

/** A POST that only reads (its body is a question, not content): served while the domain drains. */
function isQuery(req: { method: string; path: string }, domain: string): boolean {
  return req.method === 'POST' && `${API_PREFIX}${req.path}` === paths.suggestions(domain);
}

/**
 * A cluster's check on every domain-scoped request (docs/scaling.md): a
 * domain another node owns is 421 DOMAIN_ELSEWHERE naming that node (RFC
 * 9110 §15.5.20: this server is not the one to answer); a draining domain
 * serves reads and answers writes 503 DOMAIN_READ_ONLY with `Retry-After`;
 * every other write is counted until its handler answers, so a drain knows
 * when nothing of the domain is under way. Unscoped routes pass untouched.
 * The placement is the map's current one (read again on SIGHUP); a domain
 * placed here since the start is served once the server has opened it
 * (503 `STARTING` meanwhile, from the import service), and answers 503
 * UNAVAILABLE if opening it failed.
 */
export function domainGate(map: ClusterMap, drains: DomainDrains): RequestHandler {
  return (req, res, next) => {
    const domain = domainOfPath(req.path);
    if (domain === undefined) {
      next();
      return;
    }
    const owner = map.ownerOf(domain);
    const self = map.current.self;
    if (owner !== undefined && owner.name !== self.name) {
      next(
        new AppError(
          'DOMAIN_ELSEWHERE',
          `the domain "${domain}" is stored on node "${owner.name}" (${owner.url}), not on "${self.name}"; send requests through the cluster's proxy`,
        ),
      );
      return;
    }
    if (owner !== undefined && !map.serves(domain)) {
      next(
        new AppError(
          'UNAVAILABLE',
          `the domain "${domain}" is placed on node "${self.name}" but not served there: opening its folder failed (the server log says why); a reload (SIGHUP) tries again`,
          {
            retryAfterSeconds: DRAIN_RETRY_AFTER_SECONDS,
          },
        ),
      );
      return;
    }
    if (READS.has(req.method) || isQuery(req, domain)) {
      next();
      return;
    }
    if (drains.isDraining(domain)) {
      next(
        new AppError('DOMAIN_READ_ONLY', `the domain "${domain}" is moving to another node and is read-only meanwhile; try again in a moment`, {
          retryAfterSeconds: DRAIN_RETRY_AFTER_SECONDS,
        }),
      );
      return;
    }
    // the handler's work is done once it answers (end), even when the client has gone before (close comes earlier then)
    const done = drains.beginWrite(domain);
    const end = res.end.bind(res) as (...args: unknown[]) => typeof res;
    res.end = ((...args: unknown[]) => {
      done();
      return end(...args);
    }) as typeof res.end;
    next();
  };
}
