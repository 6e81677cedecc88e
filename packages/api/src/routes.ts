/** Every route of the API, as Express patterns (under API_PREFIX) and as URL builders for clients. */
export const API_PREFIX = '/api';

export const ROUTES = {
  health: '/health',
  me: '/me',
  domains: '/domains',
  templates: '/domains/:domain/templates',
  imports: '/import/:domain',
  import: '/import/:domain/:id',
  submit: '/import/:domain/:id/submit',
  document: '/import/:domain/:id/documents/:n',
  pages: '/import/:domain/:id/documents/:n/pages',
  page: '/import/:domain/:id/documents/:n/pages/:m',
  pageMeta: '/import/:domain/:id/documents/:n/pages/:m/meta',
  extract: '/import/:domain/:id/documents/:n/pages/:m/extract',
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

const seg = encodeURIComponent;

export const paths = {
  health: () => `${API_PREFIX}/health`,
  me: () => `${API_PREFIX}/me`,
  domains: () => `${API_PREFIX}/domains`,
  templates: (domain: string) => `${API_PREFIX}/domains/${seg(domain)}/templates`,
  imports: (domain: string) => `${API_PREFIX}/import/${seg(domain)}`,
  import: (domain: string, id: string) => `${API_PREFIX}/import/${seg(domain)}/${seg(id)}`,
  submit: (domain: string, id: string) => `${paths.import(domain, id)}/submit`,
  document: (domain: string, id: string, n: number) => `${paths.import(domain, id)}/documents/${n}`,
  pages: (domain: string, id: string, n: number) => `${paths.document(domain, id, n)}/pages`,
  page: (domain: string, id: string, n: number, m: number) => `${paths.pages(domain, id, n)}/${m}`,
  pageMeta: (domain: string, id: string, n: number, m: number) => `${paths.page(domain, id, n, m)}/meta`,
  extract: (domain: string, id: string, n: number, m: number) => `${paths.page(domain, id, n, m)}/extract`,
  audit: (domain: string) => `${API_PREFIX}/admin/${seg(domain)}/audit`,
  catalogueRefresh: (domain: string) => `${API_PREFIX}/admin/${seg(domain)}/templates/refresh`,
};
