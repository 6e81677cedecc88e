import { describe, expect, it } from 'vitest';
import { parseAddressRange, ScraperAccess } from './scraper-access.js';

describe('parseAddressRange', () => {
  it('reads addresses and CIDR ranges of both families', () => {
    expect(parseAddressRange('10.0.0.0/8')).toEqual({ address: '10.0.0.0', prefix: 8, family: 'ipv4' });
    expect(parseAddressRange('127.0.0.1')).toEqual({ address: '127.0.0.1', prefix: 32, family: 'ipv4' });
    expect(parseAddressRange('fd00::/8')).toEqual({ address: 'fd00::', prefix: 8, family: 'ipv6' });
  });

  it('refuses what is not one', () => {
    for (const bad of ['10.0.0.0/33', '::/129', 'prometheus', '10.0.0.0/8/1', '10.0.0.0/', '10.0.0.0/x', ''])
      expect(parseAddressRange(bad), bad).toBeUndefined();
  });
});

describe('ScraperAccess', () => {
  it('serves nobody when no scrapers are configured', () => {
    expect(new ScraperAccess(undefined, {}).verdict('127.0.0.1', 'Bearer x')).toBe('not-served');
  });

  it('lets in addresses of the allow-list, IPv4 clients of a dual-stack socket too', () => {
    const access = new ScraperAccess({ allow: ['10.1.0.0/16', '::1'] }, {});
    expect(access.verdict('10.1.2.3', undefined)).toBe('allowed');
    expect(access.verdict('::ffff:10.1.2.3', undefined)).toBe('allowed');
    expect(access.verdict('::1', undefined)).toBe('allowed');
    expect(access.verdict('10.2.0.1', undefined)).toBe('refused');
    expect(access.verdict(undefined, undefined)).toBe('refused');
  });

  it('wants the exact bearer token, and both checks when both are configured', () => {
    const access = new ScraperAccess({ allow: ['127.0.0.0/8'], tokenEnv: 'SCRAPE_TOKEN' }, { SCRAPE_TOKEN: 's3cret' });
    expect(access.verdict('127.0.0.1', 'Bearer s3cret')).toBe('allowed');
    expect(access.verdict('127.0.0.1', 'bearer s3cret')).toBe('allowed');
    expect(access.verdict('127.0.0.1', 'Bearer s3cre')).toBe('refused');
    expect(access.verdict('127.0.0.1', 'Basic czNjcmV0')).toBe('refused');
    expect(access.verdict('127.0.0.1', undefined)).toBe('refused');
    expect(access.verdict('192.0.2.1', 'Bearer s3cret')).toBe('refused');
  });

  it('lets nobody in when the token variable is unset', () => {
    const access = new ScraperAccess({ tokenEnv: 'SCRAPE_TOKEN' }, {});
    expect(access.verdict('127.0.0.1', 'Bearer ')).toBe('refused');
    expect(access.verdict('127.0.0.1', 'Bearer undefined')).toBe('refused');
  });
});
