import { z } from './zod.js';

/** `GET /api/me` */
export const meSchema = z.object({
  /** the owner key compared on every read and mutation */
  userId: z.string(),
  email: z.string(),
  name: z.string(),
  roles: z.array(z.string()),
  authMode: z.enum(['dev', 'jwt']),
});
export type Me = z.infer<typeof meSchema>;

export const domainSummarySchema = z.object({
  code: z.string(),
  name: z.string(),
  /** `false` while the domain has no usable template catalogue */
  catalogueAvailable: z.boolean(),
});
export type DomainSummary = z.infer<typeof domainSummarySchema>;

/** `GET /api/domains` */
export const domainsResponseSchema = z.object({ domains: z.array(domainSummarySchema) });
export type DomainsResponse = z.infer<typeof domainsResponseSchema>;

/** Where a domain's catalogue in use came from. */
export const catalogueSourceSchema = z.enum(['file', 'url', 'cache']);

/**
 * A domain's catalogue as an administrator sees it: in `GET /api/health` and
 * the answer of `POST /api/admin/:domain/templates/refresh`.
 */
export const catalogueStatusSchema = z.object({
  available: z.boolean(),
  /** where the catalogue in use came from (absent while there is none) */
  source: z.optional(catalogueSourceSchema),
  /** when its content was obtained from that source (for `cache`: when that copy was downloaded) */
  fetchedAt: z.optional(z.iso.datetime({ offset: true })),
  /** seconds since `fetchedAt` */
  ageSeconds: z.optional(z.int().check(z.minimum(0))),
  templates: z.optional(z.int().check(z.minimum(0))),
  /** the latest load that failed, when it was not followed by a good one */
  lastFailure: z.optional(z.object({ at: z.iso.datetime({ offset: true }), reason: z.string() })),
  /** when a URL source is tried next (after a failure: seconds to minutes, growing) */
  nextAttemptAt: z.optional(z.iso.datetime({ offset: true })),
});
export type CatalogueStatus = z.infer<typeof catalogueStatusSchema>;

/** One readiness check: `ok`, or the problem in words for the administrator. */
export const readinessCheckSchema = z.object({ ok: z.boolean(), detail: z.optional(z.string()) });
export type ReadinessCheck = z.infer<typeof readinessCheckSchema>;

/**
 * `starting`: the port answers but the start-up pass over the data root (the
 * recovery sweep and the listing index) is not done; the domains' imports
 * answer 503 `STARTING` meanwhile. Then `ok`, `degraded` or `failing`.
 */
export const healthStatusSchema = z.enum(['starting', 'ok', 'degraded', 'failing']);

/**
 * `GET /api/health`: 200 when `ok`, 503 otherwise. Callers who are not
 * administrators get `status` only; the checks (which name hosts, paths and
 * errors) are for administrators.
 */
export const healthSchema = z.object({
  status: healthStatusSchema,
  version: z.optional(z.string()),
  timeZone: z.optional(z.string()),
  checks: z.optional(
    z.object({
      /** `freeBytes`: what an unprivileged writer may still use (statfs); below `reserveBytes` writes get 507 and status is `degraded` */
      dataRoot: z.object({
        writable: z.boolean(),
        detail: z.optional(z.string()),
        freeBytes: z.optional(z.int().check(z.minimum(0))),
        reserveBytes: z.optional(z.int().check(z.minimum(0))),
      }),
      catalogues: z.record(z.string(), catalogueStatusSchema),
      /** per domain: the archive can be reached with what is configured (token set, root writable) */
      archives: z.record(z.string(), readinessCheckSchema),
      /** `jwt` mode: the issuer's key set can be fetched */
      identity: z.optional(readinessCheckSchema),
      /** the start-up pass over the data root, while it runs (`ok` false, status `starting`) or after it failed (status `failing`) */
      recovery: z.optional(readinessCheckSchema),
      /** the server log file: `writable` false (status `failing`) while writes fail, e.g. ENOSPC; `dropped` lines lost since the start */
      logFile: z.optional(z.object({ writable: z.boolean(), dropped: z.int().check(z.nonnegative()), detail: z.optional(z.string()) })),
    }),
  ),
});
export type Health = z.infer<typeof healthSchema>;

/**
 * `GET /api/health?probe=…`, for orchestrators whose probes see only the
 * status code. `ready`: 200 unless `starting` or `failing` (a `degraded` server still serves
 * reads and most writes, so it stays in the load balancer); `live`: 204 as
 * soon as the server answers, without running the checks (restarting would
 * cure none of them). Without `probe`: 200 only when `ok`.
 */
export const healthQuerySchema = z.object({ probe: z.optional(z.enum(['ready', 'live'])) });

/** `POST /api/admin/:domain/templates/refresh` */
export const catalogueRefreshResponseSchema = z.extend(catalogueStatusSchema, { domain: z.string() });
export type CatalogueRefreshResponse = z.infer<typeof catalogueRefreshResponseSchema>;

/** One line of `audit-<domain>.log`, also served by `GET /api/admin/:domain/audit`. */
export const auditEntrySchema = z.object({
  at: z.string(),
  domain: z.string(),
  action: z.string(),
  importId: z.optional(z.string()),
  userId: z.optional(z.string()),
  userEmail: z.optional(z.string()),
  details: z.optional(z.record(z.string(), z.unknown())),
});
export type AuditEntry = z.infer<typeof auditEntrySchema>;

export const auditQuerySchema = z.object({
  importId: z.optional(z.string()),
  from: z.optional(z.iso.datetime({ offset: true })),
  to: z.optional(z.iso.datetime({ offset: true })),
  limit: z._default(z.coerce.number().check(z.int(), z.minimum(1), z.maximum(1000)), 200),
});
export type AuditQuery = z.infer<typeof auditQuerySchema>;

export const auditResponseSchema = z.object({ entries: z.array(auditEntrySchema) });
export type AuditResponse = z.infer<typeof auditResponseSchema>;
