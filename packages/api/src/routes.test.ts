import { describe, expect, it } from 'vitest';
import { pathTo, paths, ROUTES } from './routes.js';

describe('routes', () => {
  it('builds the URLs of SPEC §5 from the one table', () => {
    const id = '2026-11-30_0942-3fa85f64';
    expect(paths.health()).toBe('/api/health');
    expect(paths.me()).toBe('/api/me');
    expect(paths.domains()).toBe('/api/domains');
    expect(paths.templates('acme')).toBe('/api/domains/acme/templates');
    expect(paths.imports('acme')).toBe('/api/import/acme');
    expect(paths.import('acme', id)).toBe(`/api/import/acme/${id}`);
    expect(paths.submit('acme', id)).toBe(`/api/import/acme/${id}/submit`);
    expect(paths.document('acme', id, 2)).toBe(`/api/import/acme/${id}/documents/2`);
    expect(paths.pages('acme', id, 2)).toBe(`/api/import/acme/${id}/documents/2/pages`);
    expect(paths.page('acme', id, 2, 3)).toBe(`/api/import/acme/${id}/documents/2/pages/3`);
    expect(paths.pageMeta('acme', id, 2, 3)).toBe(`/api/import/acme/${id}/documents/2/pages/3/meta`);
    expect(paths.extract('acme', id, 2, 3)).toBe(`/api/import/acme/${id}/documents/2/pages/3/extract`);
    expect(paths.suggestions('acme')).toBe('/api/import/acme/suggestions');
    expect(paths.audit('acme')).toBe('/api/admin/acme/audit');
    expect(paths.catalogueRefresh('acme')).toBe('/api/admin/acme/templates/refresh');
  });

  it('percent-encodes every value, so that no value adds or removes a segment', () => {
    expect(paths.import('a/b', '../x')).toBe('/api/import/a%2Fb/..%2Fx');
    expect(pathTo(ROUTES.templates, { domain: '%2e%2e' }, (segment) => segment)).toBe('/api/domains/%2e%2e/templates');
  });

  it('has a builder for every route', () => {
    expect(Object.keys(paths).sort()).toEqual(Object.keys(ROUTES).sort());
  });
});
