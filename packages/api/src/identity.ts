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

/** `GET /api/health` */
export const healthSchema = z.object({
  status: z.enum(['ok', 'degraded', 'failing']),
  version: z.string(),
  timeZone: z.string(),
  checks: z.object({
    dataRoot: z.object({ writable: z.boolean(), detail: z.string().optional() }),
    catalogues: z.record(z.string(), z.object({ available: z.boolean(), detail: z.string().optional() })),
  }),
});
export type Health = z.infer<typeof healthSchema>;

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
