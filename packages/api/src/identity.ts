import { z } from 'zod';

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
  source: catalogueSourceSchema.optional(),
  /** when its content was obtained from that source (for `cache`: when that copy was downloaded) */
  fetchedAt: z.iso.datetime({ offset: true }).optional(),
  /** seconds since `fetchedAt` */
  ageSeconds: z.number().int().min(0).optional(),
  templates: z.number().int().min(0).optional(),
  /** the latest load that failed, when it was not followed by a good one */
  lastFailure: z.object({ at: z.iso.datetime({ offset: true }), reason: z.string() }).optional(),
  /** when a URL source is tried next (after a failure: seconds to minutes, growing) */
  nextAttemptAt: z.iso.datetime({ offset: true }).optional(),
});
export type CatalogueStatus = z.infer<typeof catalogueStatusSchema>;

/** One readiness check: `ok`, or the problem in words for the administrator. */
export const readinessCheckSchema = z.object({ ok: z.boolean(), detail: z.string().optional() });
export type ReadinessCheck = z.infer<typeof readinessCheckSchema>;

export const healthStatusSchema = z.enum(['ok', 'degraded', 'failing']);

/**
 * `GET /api/health`: 200 when `ok`, 503 otherwise. Callers who are not
 * administrators get `status` only; the checks (which name hosts, paths and
 * errors) are for administrators.
 */
export const healthSchema = z.object({
  status: healthStatusSchema,
  version: z.string().optional(),
  timeZone: z.string().optional(),
  checks: z
    .object({
      /** `freeBytes`: what an unprivileged writer may still use (statfs); below `reserveBytes` writes get 507 and status is `degraded` */
      dataRoot: z.object({
        writable: z.boolean(),
        detail: z.string().optional(),
        freeBytes: z.number().int().min(0).optional(),
        reserveBytes: z.number().int().min(0).optional(),
      }),
      catalogues: z.record(z.string(), catalogueStatusSchema),
      /** per domain: the archive can be reached with what is configured (token set, root writable) */
      archives: z.record(z.string(), readinessCheckSchema),
      /** `jwt` mode: the issuer's key set can be fetched */
      identity: readinessCheckSchema.optional(),
      /** the server log file: `writable` false (status `failing`) while writes fail, e.g. ENOSPC; `dropped` lines lost since the start */
      logFile: z.object({ writable: z.boolean(), dropped: z.number().int().nonnegative(), detail: z.string().optional() }).optional(),
    })
    .optional(),
});
export type Health = z.infer<typeof healthSchema>;

/**
 * `GET /api/health?probe=…`, for orchestrators whose probes see only the
 * status code. `ready`: 200 unless `failing` (a `degraded` server still serves
 * reads and most writes, so it stays in the load balancer); `live`: 204 as
 * soon as the server answers, without running the checks (restarting would
 * cure none of them). Without `probe`: 200 only when `ok`.
 */
export const healthQuerySchema = z.object({ probe: z.enum(['ready', 'live']).optional() });

/** `POST /api/admin/:domain/templates/refresh` */
export const catalogueRefreshResponseSchema = catalogueStatusSchema.extend({ domain: z.string() });
export type CatalogueRefreshResponse = z.infer<typeof catalogueRefreshResponseSchema>;

/** One line of `audit-<domain>.log`, also served by `GET /api/admin/:domain/audit`. */
export const auditEntrySchema = z.object({
  at: z.string(),
  domain: z.string(),
  action: z.string(),
  importId: z.string().optional(),
  userId: z.string().optional(),
  userEmail: z.string().optional(),
  details: z.record(z.string(), z.unknown()).optional(),
});
export type AuditEntry = z.infer<typeof auditEntrySchema>;

export const auditQuerySchema = z.object({
  importId: z.string().optional(),
  from: z.iso.datetime({ offset: true }).optional(),
  to: z.iso.datetime({ offset: true }).optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(200),
});
export type AuditQuery = z.infer<typeof auditQuerySchema>;

export const auditResponseSchema = z.object({ entries: z.array(auditEntrySchema) });
export type AuditResponse = z.infer<typeof auditResponseSchema>;
