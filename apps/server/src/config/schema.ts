import { domainCodeSchema } from '@toa/api/ids';
import { z } from 'zod';
import { parseAddressRange } from '../metrics/scraper-access.js';

/** `30d`, `7d`, `0d` (0 disables retention). */
export const retentionSchema = z.string().regex(/^\d{1,5}d$/, 'must be a number of days such as "30d" ("0d" disables)');

/** `24h`, `30m`, `1d`, `45s`. */
export const intervalSchema = z.string().regex(/^\d{1,6}(s|m|h|d)$/, 'must be a duration such as "24h", "30m" or "1d"');

export function intervalMs(value: string): number {
  const amount = Number.parseInt(value, 10);
  const unit = value.at(-1) as 's' | 'm' | 'h' | 'd';
  return amount * { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 }[unit];
}

/** An IANA zone, stored in its canonical spelling (`utc` → `UTC`, `europe/prague` → `Europe/Prague`) as Intl resolves it. */
const timeZoneSchema = z.string().transform((zone, ctx) => {
  try {
    return new Intl.DateTimeFormat('en-US', { timeZone: zone }).resolvedOptions().timeZone;
  } catch {
    ctx.addIssue({ code: 'custom', message: 'must be an IANA time zone such as "Europe/Prague"' });
    return z.NEVER;
  }
});

/**
 * The one rule for every URL of the configuration (catalogue, archive, key
 * set): no credentials in it. A URL ends up in logs, process listings and
 * support tickets; secrets are read from the environment variable a `…Env`
 * key names.
 */
export const CREDENTIALS_IN_URL = 'must not contain credentials (user:password@); name the environment variable that holds them instead';

const serviceUrlSchema = z.url({ protocol: /^https?$/ }).refine((url) => {
  const parsed = new URL(url);
  return parsed.username === '' && parsed.password === '';
}, CREDENTIALS_IN_URL);

/** The name of an environment variable holding a secret (never the secret itself). */
const envNameSchema = z.string().regex(/^[A-Z_][A-Z0-9_]*$/, 'must be the name of an environment variable, such as "GLOBEX_TOKEN"');

const PORT_RULE = 'must be a port number from 0 to 65535';
const portSchema = z.number({ error: PORT_RULE }).int(PORT_RULE).min(0, PORT_RULE).max(65_535, PORT_RULE);

const templatesSchema = z.union([
  z.object({ file: z.string().min(1) }).strict(),
  z
    .object({
      url: serviceUrlSchema,
      refresh: intervalSchema.default('24h'),
      timeoutMs: z.number().int().min(100).max(300_000).default(30_000),
      /** sent as `Authorization: Bearer <value of the variable>` */
      tokenEnv: envNameSchema.optional(),
      /** the variable holds `user:password`, sent as HTTP Basic authentication */
      basicAuthEnv: envNameSchema.optional(),
    })
    .strict()
    .refine((source) => !(source.tokenEnv && source.basicAuthEnv), { message: 'name either tokenEnv or basicAuthEnv, not both', path: ['basicAuthEnv'] }),
]);

const filesystemArchiveSchema = z.object({ type: z.literal('filesystem'), root: z.string().min(1) }).strict();

const httpArchiveSchema = z
  .object({
    type: z.literal('http'),
    url: serviceUrlSchema,
    targetDomain: z.string().min(1).optional(),
    /** name of the environment variable holding the bearer token (never the token itself) */
    tokenEnv: envNameSchema.optional(),
    timeoutMs: z.number().int().min(100).max(600_000).default(60_000),
    retries: z.number().int().min(0).max(10).default(3),
  })
  .strict();

export const archiveConfigSchema = z.discriminatedUnion('type', [filesystemArchiveSchema, httpArchiveSchema]);

/** Entra tenant ids (directory ids), compared in lower case. */
const tenantIdsSchema = z
  .array(z.guid('must be a tenant id (GUID)'))
  .min(1, 'name at least one tenant id')
  .transform((ids) => ids.map((id) => id.toLowerCase()));

/** MiB of stored pages (fractions allowed); 0 means no limit, as with file-system quotas. */
const quotaMbSchema = z.number().min(0).max(1_073_741_824);
/** A number of imports; 0 means no limit. */
const quotaImportsSchema = z.number().int().min(0);

/**
 * What users may keep stored in a domain, counted per domain (SPEC §3 keeps
 * each domain apart): page bytes and imports of each user, and of the domain
 * in all. A domain's `quota` overrides `limits.quota` key by key.
 */
const quotaSchema = z
  .object({
    userMb: quotaMbSchema.default(10_240),
    userImports: quotaImportsSchema.default(100_000),
    domainMb: quotaMbSchema.default(0),
    domainImports: quotaImportsSchema.default(0),
  })
  .strict();

const domainQuotaSchema = z
  .object({
    userMb: quotaMbSchema.optional(),
    userImports: quotaImportsSchema.optional(),
    domainMb: quotaMbSchema.optional(),
    domainImports: quotaImportsSchema.optional(),
  })
  .strict();

export const domainConfigSchema = z
  .object({
    code: domainCodeSchema,
    name: z.string().min(1).max(200),
    users: z
      .object({
        mailDomains: z.array(z.string().regex(/^[a-z0-9.-]+$/i, 'must be a mail domain such as "acme.example"')).min(1),
        /**
         * `jwt` only: the tenants that own these mail domains; a user of another allowed
         * tenant may not use the domain, whatever address the token claims. Required when
         * `auth.tenants` lists several; implied (the one tenant) otherwise.
         */
        tenants: tenantIdsSchema.optional(),
      })
      .strict()
      .optional(),
    templates: templatesSchema,
    archive: archiveConfigSchema,
    /** overrides `limits.quota` for this domain, key by key */
    quota: domainQuotaSchema.optional(),
    /** filing suggestions (docs/api.md): `shared` lets everyone's imports of the domain count, shown as targets and values only */
    suggestions: z
      .object({ shared: z.boolean().default(false) })
      .strict()
      .optional(),
  })
  .strict();

export const limitsSchema = z
  .object({
    pageSizeMb: z.number().positive().max(10_240).default(100),
    pagesPerDocument: z.number().int().positive().default(100),
    documentsPerImport: z.number().int().positive().default(100),
    requestsPerMinute: z.number().int().positive().default(600),
    /** requests refused by authentication (401) per client address and minute; above, 429 before authentication */
    refusedPerMinute: z.number().int().positive().default(300),
    attributeLength: z.number().int().positive().default(4000),
    /** e-mail parsing runs in worker threads with these bounds (hostile messages) */
    parseTimeoutSeconds: z.number().positive().max(600).default(30),
    parseMemoryMb: z.number().int().min(32).max(4096).default(256),
    parseWorkers: z.number().int().min(1).max(16).default(2),
    /** messages that may wait for a mail worker; one more is 503 with Retry-After */
    parseQueueLength: z.number().int().positive().default(64),
    /** messages of one user that may wait for a mail worker; one more of theirs is 429 with Retry-After (the line is served user by user in turn) */
    parseQueuePerUser: z.number().int().positive().default(8),
    /** longest wait for a mail worker; longer is 503 with Retry-After */
    parseWaitSeconds: z.number().positive().max(600).default(60),
    /** free space (MiB) the data disk keeps; below it writes are refused with 507 so reads, deletes and submits of what is stored go on */
    freeSpaceReserveMb: z.number().int().min(0).default(1024),
    /** page uploads one user may have under way at once; one more is 429 (a trickling client holds a descriptor each) */
    uploadsPerUser: z.number().int().positive().default(32),
    /** a request body that sends no byte for this long is ended with 408 */
    bodyIdleSeconds: z.number().positive().max(600).default(30),
    /** open connections the server accepts (`server.maxConnections`); kept below the descriptor limit */
    maxConnections: z.number().int().positive().default(800),
    /** what users may keep stored; new content past it is refused with 409 QUOTA_EXCEEDED before its body is read */
    quota: quotaSchema.default(quotaSchema.parse({})),
  })
  .strict();

/** A node of a cluster: a DNS-label-like name, used in messages, logs, `TOA_NODE` and the nginx upstream names. */
const nodeNameSchema = z.string().regex(/^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/, 'must be a node name: lower-case letters, digits and "-", such as "toa-1"');

const clusterNodeSchema = z
  .object({
    name: nodeNameSchema,
    /** where the node's server listens, as nginx reaches it (`http://10.0.0.11:3100`); no path */
    url: serviceUrlSchema.refine((url) => ['', '/'].includes(new URL(url).pathname) && !new URL(url).search, "must be the server's origin, without a path"),
    /** the domain codes this node stores and serves; a node with none is a spare (or one being added) */
    domains: z.array(domainCodeSchema).default([]),
  })
  .strict();

/** Domains sharded over several servers (docs/scaling.md): who owns what, and which node this process is. */
export const clusterSchema = z
  .object({
    /** this process's node; `TOA_NODE` overrides it, so one file serves every node */
    self: nodeNameSchema.optional(),
    nodes: z.array(clusterNodeSchema).min(1, 'name at least one node'),
  })
  .strict();

/** Asymmetric signature algorithms only: an HMAC or `none` token is never accepted. */
export const JWT_ALGORITHMS = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512'] as const;

/** Where the tenant id goes in `jwt.issuer` when several tenants share one (Microsoft's own spelling). */
export const ISSUER_TENANT_PLACEHOLDER = '{tenantid}';

/** A user id claim value (`oid` is a GUID, `sub` a base64url string): safe to store and compare. */
export const USER_ID_CLAIM_PATTERN = /^[A-Za-z0-9._-]{1,128}$/;

/** The owner key of a `jwt` user: `<tenant id>:<user id claim>`. */
const JWT_USER_ID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}:[A-Za-z0-9._-]{1,128}$/i;

const devAuthSchema = z
  .object({
    mode: z.literal('dev'),
    /** e-mail addresses that get the admin role */
    admins: z.array(z.string()).default([]),
  })
  .strict();

const jwtAuthSchema = z
  .object({
    mode: z.literal('jwt'),
    /** the issuer's JSON Web Key Set; https (http only on loopback, outside production — checked in load-config) */
    jwksUrl: serviceUrlSchema,
    /** the exact `iss`; may contain `{tenantid}`, replaced by the token's `tid` */
    issuer: z.string().min(1),
    /** the add-in's application (client) id or application id URI, or several */
    audience: z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]),
    /** the tenants (directory ids) whose users may sign in */
    tenants: tenantIdsSchema,
    algorithms: z.array(z.enum(JWT_ALGORITHMS)).min(1).default(['RS256']),
    clockToleranceSec: z.number().int().min(0).max(300).default(60),
    /** claims tried in order for the per-tenant user id; `sub` only as a documented fallback */
    userIdClaims: z
      .array(z.enum(['oid', 'sub']))
      .min(1)
      .default(['oid']),
    /** user ids (`<tid>:<oid>`, as `GET /api/me` shows them) that get the admin role */
    admins: z
      .array(
        z
          .string()
          .regex(JWT_USER_ID_PATTERN, 'must be a user id "<tenant id>:<object id>" as GET /api/me shows it')
          .transform((id) => id.replace(/^[^:]+/, (tid) => tid.toLowerCase())),
      )
      .default([]),
  })
  .strict();

const authSchema = z.discriminatedUnion('mode', [devAuthSchema, jwtAuthSchema]);

/** an IPv4/IPv6 address or CIDR range, as `BlockList` and Express's `trust proxy` take them */
const addressRangeSchema = z.string().refine((entry) => parseAddressRange(entry) !== undefined, 'must be an IP address or a CIDR range such as "10.0.0.0/8"');

/** Who may scrape `GET /metrics`; absent, it is not served. Both given: a scraper must pass both. */
const metricsSchema = z
  .object({
    /** client addresses or CIDR ranges */
    allow: z.array(addressRangeSchema).min(1).optional(),
    /** name of the environment variable holding the bearer token scrapers send */
    tokenEnv: envNameSchema.optional(),
  })
  .strict()
  .refine(
    (metrics) => metrics.allow !== undefined || metrics.tokenEnv !== undefined,
    'name the scrapers: an address allow-list (allow), a token variable (tokenEnv), or both',
  );

export const configSchema = z
  .object({
    host: z.string().min(1).default('127.0.0.1'),
    port: portSchema.default(3100),
    dataRoot: z.string().min(1).default('./data'),
    logDir: z.string().min(1).default('./logs'),
    logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    /** where the server log goes: its file in logDir, stdout, or both (start and shutdown lines reach stdout always) */
    logOutput: z.enum(['file', 'stdout', 'both']).default('file'),
    timeZone: timeZoneSchema.optional(),
    dataRetention: retentionSchema.default('30d'),
    production: z.boolean().default(false),
    auth: authSchema.default({ mode: 'dev', admins: [] }),
    limits: limitsSchema.default(limitsSchema.parse({})),
    metrics: metricsSchema.optional(),
    /**
     * reverse proxies on other hosts whose `X-Forwarded-For` names the client (addresses or
     * CIDR ranges); loopback is always trusted. Express's `trust proxy`, docs/configuration.md
     */
    trustedProxies: z.array(addressRangeSchema).default([]),
    /** folder with the built task pane; served at /taskpane.html when it exists */
    taskpaneDir: z.string().optional(),
    domains: z.array(domainConfigSchema).min(1, 'configure at least one domain'),
    /** several servers, each owning some domains (docs/scaling.md); absent: this server serves every domain */
    cluster: clusterSchema.optional(),
  })
  .strict()
  .superRefine((config, ctx) => {
    const seen = new Set<string>();
    config.domains.forEach((domain, index) => {
      if (seen.has(domain.code)) {
        ctx.addIssue({ code: 'custom', path: ['domains', index, 'code'], message: `duplicate domain code "${domain.code}"` });
      }
      seen.add(domain.code);
    });
    if (config.production && !config.timeZone) {
      ctx.addIssue({ code: 'custom', path: ['timeZone'], message: 'is required in production' });
    }
    for (const [index, domain] of config.domains.entries()) checkDomainTenants(config.auth, domain, index, ctx);
    if (config.cluster) checkCluster(config.cluster, config.domains, ctx);
  });

/** Every domain has exactly one owner among the nodes, every owned code is a domain, names and URLs are unique, `self` is a node. */
function checkCluster(cluster: z.output<typeof clusterSchema>, domains: ReadonlyArray<{ code: string }>, ctx: z.RefinementCtx): void {
  const names = new Map<string, number>();
  const urls = new Map<string, string>();
  const owners = new Map<string, string>();
  const codes = new Set(domains.map((d) => d.code));
  cluster.nodes.forEach((node, index) => {
    const at = ['cluster', 'nodes', index];
    if (names.has(node.name)) ctx.addIssue({ code: 'custom', path: [...at, 'name'], message: `duplicate node name "${node.name}"` });
    names.set(node.name, index);
    const origin = new URL(node.url).origin;
    const twin = urls.get(origin);
    if (twin !== undefined) ctx.addIssue({ code: 'custom', path: [...at, 'url'], message: `${origin} is also the URL of node "${twin}"` });
    urls.set(origin, node.name);
    node.domains.forEach((code, i) => {
      const owner = owners.get(code);
      if (!codes.has(code)) ctx.addIssue({ code: 'custom', path: [...at, 'domains', i], message: `"${code}" is not a configured domain` });
      else if (owner !== undefined)
        ctx.addIssue({ code: 'custom', path: [...at, 'domains', i], message: `"${code}" is already owned by node "${owner}"; a domain has one owner` });
      else owners.set(code, node.name);
    });
  });
  domains.forEach((domain, index) => {
    if (!owners.has(domain.code))
      ctx.addIssue({
        code: 'custom',
        path: ['domains', index, 'code'],
        message: `"${domain.code}" is owned by no node; list it under one of cluster.nodes[].domains`,
      });
  });
  if (cluster.self === undefined) ctx.addIssue({ code: 'custom', path: ['cluster', 'self'], message: 'name the node this process is (or set TOA_NODE)' });
  else if (!names.has(cluster.self))
    ctx.addIssue({ code: 'custom', path: ['cluster', 'self'], message: `"${cluster.self}" is not one of the nodes (${[...names.keys()].join(', ')})` });
}

/**
 * A domain's mail-domain rule trusts the address a token claims; only the
 * tenant that owns a mail domain vouches for addresses in it. With several
 * allowed tenants the owners must be named, or any of them could claim
 * `someone@<mail domain>`.
 */
function checkDomainTenants(auth: z.output<typeof authSchema>, domain: z.output<typeof domainConfigSchema>, index: number, ctx: z.RefinementCtx): void {
  const path = ['domains', index, 'users', 'tenants'];
  const owners = domain.users?.tenants;
  if (auth.mode === 'dev') {
    if (owners) ctx.addIssue({ code: 'custom', path, message: 'applies to jwt identity only (dev identity has no tenant)' });
    return;
  }
  if (!domain.users) return;
  if (!owners) {
    if (auth.tenants.length > 1) {
      ctx.addIssue({
        code: 'custom',
        path,
        message: `is required: auth.tenants lists ${auth.tenants.length} tenants, and any of them could otherwise claim an address at ${domain.users.mailDomains.join(', ')}; name the tenants that own these mail domains`,
      });
    }
    return;
  }
  owners.forEach((tenant, i) => {
    if (!auth.tenants.includes(tenant))
      ctx.addIssue({ code: 'custom', path: [...path, i], message: `${tenant} is not in auth.tenants, so none of its users can sign in` });
  });
}

export type ClusterNode = z.output<typeof clusterNodeSchema>;

/** The cluster as this process sees it. */
export interface ClusterPlacement {
  self: ClusterNode;
  nodes: ClusterNode[];
  /** every domain of the cluster, owned here or elsewhere */
  domains: DomainConfig[];
  /** the owning node of each domain code */
  owners: Record<string, ClusterNode>;
}

export type ConfigInput = z.input<typeof configSchema>;
export type ParsedConfig = z.output<typeof configSchema>;
export type DomainConfig = z.output<typeof domainConfigSchema>;
export type ArchiveConfig = z.output<typeof archiveConfigSchema>;
/** The kinds of archive client a domain can be configured with: `filesystem`, `http`. */
export type ArchiveKind = ArchiveConfig['type'];
export type Limits = z.output<typeof limitsSchema>;
export type QuotaLimits = z.output<typeof quotaSchema>;
export type DevAuthConfig = z.output<typeof devAuthSchema>;
export type JwtAuthConfig = z.output<typeof jwtAuthSchema>;

/**
 * The configuration the server runs on: every path absolute, the zone settled,
 * the retention in days.
 */
export interface Config extends Omit<ParsedConfig, 'timeZone' | 'cluster'> {
  timeZone: string;
  /**
   * With a cluster: `domains` holds only the domains this node owns (what it
   * stores, serves, checks and sweeps); `cluster.domains` holds every domain,
   * for the directory every node answers (`GET /api/domains`).
   */
  cluster?: ClusterPlacement;
  retentionDays: number;
  /** where relative paths were resolved from */
  baseDir: string;
  /** the built browser preview (apps/addin/dist-preview), served in `dev` identity outside production only */
  previewDir?: string;
  /** what was read: the file (absolute) or "embedded default", and the environment variables that overrode keys */
  source: { file: string; environment: string[] };
}
