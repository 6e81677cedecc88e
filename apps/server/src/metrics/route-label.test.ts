import { describe, expect, it } from 'vitest';
import { methodLabel, PANE, routeLabel, UNMATCHED } from './route-label.js';

describe('routeLabel', () => {
  it('names the route pattern, not the path', () => {
    expect(routeLabel('/api/health')).toBe('/api/health');
    expect(routeLabel('/api/import/acme')).toBe('/api/import/:domain');
    expect(routeLabel('/api/import/acme/2026-11-21_0942-3fa85f64/documents/2/pages/3/meta')).toBe('/api/import/:domain/:id/documents/:n/pages/:m/meta');
    expect(routeLabel('/api/admin/globex/templates/refresh')).toBe('/api/admin/:domain/templates/refresh');
    expect(routeLabel('/metrics')).toBe('/metrics');
  });

  it('routes as Express does: literal segments in any case, one trailing slash', () => {
    expect(routeLabel('/API/Me/')).toBe('/api/me');
    expect(routeLabel('/api/domains/acme/templates/')).toBe('/api/domains/:domain/templates');
  });

  it('folds every other path into two labels', () => {
    expect(routeLabel('/api/import/acme/x/documents/1/pages/2/../../../../etc/passwd')).toBe(UNMATCHED);
    expect(routeLabel('/api/import//x')).toBe(UNMATCHED);
    expect(routeLabel('/api')).toBe(UNMATCHED);
    expect(routeLabel('/api/nope')).toBe(UNMATCHED);
    expect(routeLabel('/taskpane.html')).toBe(PANE);
    expect(routeLabel('/assets/index-3f9a.js')).toBe(PANE);
    expect(routeLabel('/%2e%2e/%2e%2e/etc/passwd')).toBe(PANE);
  });
});

describe('methodLabel', () => {
  it('keeps the methods HTTP defines and folds the rest', () => {
    expect(methodLabel('GET')).toBe('GET');
    expect(methodLabel('DELETE')).toBe('DELETE');
    expect(methodLabel('PROPFIND')).toBe('other');
    expect(methodLabel('X'.repeat(500))).toBe('other');
  });
});
