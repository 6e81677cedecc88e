/** Where the API is served. */
export const API_PREFIX = '/api';

/**
 * Every route of the API, once: Express patterns under `API_PREFIX` (SPEC §5).
 * The server mounts these; clients and tests build URLs from them with
 * `pathTo` or `paths`.
 */
export const ROUTES = {
  health: '/health',
  me: '/me',
  domains: '/domains',
  templates: '/domains/:domain/templates',
  lastValues: '/domains/:domain/last-values',
  imports: '/import/:domain',
  import: '/import/:domain/:id',
  submit: '/import/:domain/:id/submit',
  document: '/import/:domain/:id/documents/:n',
  pages: '/import/:domain/:id/documents/:n/pages',
  page: '/import/:domain/:id/documents/:n/pages/:m',
  pageMeta: '/import/:domain/:id/documents/:n/pages/:m/meta',
  extract: '/import/:domain/:id/documents/:n/pages/:m/extract',
  suggestions: '/import/:domain/suggestions',
  audit: '/admin/:domain/audit',
  catalogueRefresh: '/admin/:domain/templates/refresh',
} as const;

/**
 * The first path segment (under API_PREFIX) of every route that names a
 * domain right after it: `import`, `domains`, `admin`. A cluster sends these
 * to the node that owns the domain; every other route answers on any node.
 */
export const DOMAIN_SCOPED_PREFIXES: readonly string[] = [
  ...new Set(Object.values(ROUTES).flatMap((route) => /^\/([a-z]+)\/:domain(?:\/|$)/.exec(route)?.slice(1, 2) ?? [])),
];

/**
 * The domain segment of a path under API_PREFIX (`/import/acme/…` → `acme`),
 * percent-decoded as the router decodes parameters; `undefined` for an
 * unscoped path or a segment that cannot be decoded.
 */
export function domainOfPath(apiPath: string): string | undefined {
  const [, first, segment] = apiPath.split('/', 3);
  if (first === undefined || segment === undefined || segment === '' || !DOMAIN_SCOPED_PREFIXES.includes(first)) return undefined;
  try {
    return decodeURIComponent(segment);
  } catch {
    return undefined;
  }
}

/** The multipart field that carries a page upload. */
export const PAGE_UPLOAD_FIELD = 'file';

/** Headers that carry the identity in `dev` auth mode. */
export const DEV_IDENTITY_HEADERS = {
  email: 'X-TOA-User-Email',
  name: 'X-TOA-User-Name',
} as const;

/** The names of a pattern's `:params`, as a union of string literals. */
type ParamNames<P extends string> = P extends `${string}:${infer Name}/${infer Rest}`
  ? Name | ParamNames<`/${Rest}`>
  : P extends `${string}:${infer Name}`
    ? Name
    : never;

/** A value for each `:param` of a pattern. */
export type RouteParams<P extends string> = { [Name in ParamNames<P>]: string | number };

/**
 * The URL path of a route: `API_PREFIX` plus its pattern from `ROUTES`, each
 * `:param` replaced by its value, percent-encoded (RFC 3986 §3.3: a value can
 * never add a segment). `encode` is for callers whose values are already
 * segments as they go on the wire.
 */
export function pathTo<P extends string>(pattern: P, params: RouteParams<P>, encode: (value: string) => string = encodeURIComponent): string {
  const values = params as Record<string, string | number>;
  return API_PREFIX + pattern.replace(/:(\w+)/g, (_, name: string) => encode(String(values[name])));
}

/** The routes as URL builders for clients and tests; every one fills in its pattern from `ROUTES`. */
export const paths = {
  health: () => pathTo(ROUTES.health, {}),
  me: () => pathTo(ROUTES.me, {}),
  domains: () => pathTo(ROUTES.domains, {}),
  templates: (domain: string) => pathTo(ROUTES.templates, { domain }),
  lastValues: (domain: string) => pathTo(ROUTES.lastValues, { domain }),
  imports: (domain: string) => pathTo(ROUTES.imports, { domain }),
  import: (domain: string, id: string) => pathTo(ROUTES.import, { domain, id }),
  submit: (domain: string, id: string) => pathTo(ROUTES.submit, { domain, id }),
  document: (domain: string, id: string, n: number) => pathTo(ROUTES.document, { domain, id, n }),
  pages: (domain: string, id: string, n: number) => pathTo(ROUTES.pages, { domain, id, n }),
  page: (domain: string, id: string, n: number, m: number) => pathTo(ROUTES.page, { domain, id, n, m }),
  pageMeta: (domain: string, id: string, n: number, m: number) => pathTo(ROUTES.pageMeta, { domain, id, n, m }),
  extract: (domain: string, id: string, n: number, m: number) => pathTo(ROUTES.extract, { domain, id, n, m }),
  suggestions: (domain: string) => pathTo(ROUTES.suggestions, { domain }),
  audit: (domain: string) => pathTo(ROUTES.audit, { domain }),
  catalogueRefresh: (domain: string) => pathTo(ROUTES.catalogueRefresh, { domain }),
};
