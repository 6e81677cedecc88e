import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from './load-config.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'toa-config-'));
});
afterEach(() => rm(dir, { recursive: true, force: true }));

async function file(content: unknown): Promise<string> {
  const target = path.join(dir, 'toa.json');
  await writeFile(target, typeof content === 'string' ? content : JSON.stringify(content));
  return target;
}

const minimal = {
  timeZone: 'Europe/Prague',
  domains: [{ code: 'acme', name: 'ACME', templates: { file: './acme.xml' }, archive: { type: 'filesystem', root: './archive' } }],
};

function problems(run: () => unknown): string[] {
  try {
    run();
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  throw new Error('expected a ConfigError');
}

describe('loadConfig', () => {
  it('fills documented defaults and resolves paths against the file’s folder', async () => {
    const config = loadConfig({ file: await file(minimal), env: {} });
    expect(config).toMatchObject({ host: '127.0.0.1', port: 3100, dataRetention: '30d', retentionDays: 30, timeZone: 'Europe/Prague', auth: { mode: 'dev' } });
    expect(config.limits).toEqual({
      pageSizeMb: 100,
      pagesPerDocument: 100,
      documentsPerImport: 100,
      requestsPerMinute: 600,
      refusedPerMinute: 300,
      attributeLength: 4000,
      parseTimeoutSeconds: 30,
      parseMemoryMb: 256,
      parseWorkers: 2,
      parseQueueLength: 64,
      parseQueuePerUser: 8,
      parseWaitSeconds: 60,
      freeSpaceReserveMb: 1024,
      uploadsPerUser: 32,
      bodyIdleSeconds: 30,
      maxConnections: 800,
      quota: { userMb: 10_240, userImports: 100_000, domainMb: 0, domainImports: 0 },
    });
    expect(config.dataRoot).toBe(path.join(dir, 'data'));
    expect(config.domains[0]?.templates).toEqual({ file: path.join(dir, 'acme.xml') });
  });

  it('applies environment overrides', async () => {
    const config = loadConfig({
      file: await file(minimal),
      env: { TOA_PORT: '4000', TOA_TIME_ZONE: 'Asia/Tokyo', TOA_DATA_RETENTION: '0d', TOA_DATA_ROOT: '/srv/toa' },
    });
    expect(config).toMatchObject({ port: 4000, timeZone: 'Asia/Tokyo', retentionDays: 0, dataRoot: '/srv/toa' });
  });

  it('reads TOA_CONFIG when no file is given, else the embedded default', async () => {
    expect(loadConfig({ env: { TOA_CONFIG: await file(minimal) } }).domains[0]?.code).toBe('acme');
    const embedded = loadConfig({ env: {}, cwd: dir });
    expect(embedded.domains.map((d) => d.code)).toEqual(['sample']);
    expect(embedded.dataRoot).toBe(path.join(dir, 'data'));
  });

  it('lists every problem, one line each', async () => {
    const found = problems(() =>
      loadConfig({
        file: 'toa.json',
        cwd: dir,
        env: {},
      }),
    );
    expect(found).toHaveLength(1);
    expect(found[0]).toMatch(/cannot be read/);
    const bad = await file({
      port: 'eighty',
      timeZone: 'Mars/Olympus',
      dataRetention: '30 days',
      surprise: true,
      domains: [
        { code: 'Bad Code', name: '', templates: {}, archive: { type: 'ftp' } },
        { code: 'ok', name: 'OK', templates: { url: 'ftp://x' }, archive: { type: 'filesystem', root: './a' } },
      ],
    });
    const lines = problems(() => loadConfig({ file: bad, env: {} }));
    expect(lines.length).toBeGreaterThanOrEqual(7);
    for (const fragment of [
      'port',
      'timeZone',
      'dataRetention',
      'surprise',
      'domains[0].code',
      'domains[0].name',
      'domains[0].archive',
      'domains[1].templates',
    ]) {
      expect(
        lines.some((l) => l.includes(fragment)),
        fragment,
      ).toBe(true);
    }
  });

  it('refuses dev identity on a non-loopback host and in production, and production without a zone', async () => {
    const path1 = await file({ ...minimal, host: '0.0.0.0' });
    expect(problems(() => loadConfig({ file: path1, env: {} }))[0]).toMatch(/loopback/);
    const path2 = await file({ ...minimal, production: true });
    expect(problems(() => loadConfig({ file: path2, env: {} }))[0]).toMatch(/production/);
    const { timeZone: _zone, ...zoneless } = minimal;
    const path3 = await file({ ...zoneless, production: true });
    expect(problems(() => loadConfig({ file: path3, env: {} })).some((l) => l.includes('timeZone'))).toBe(true);
    expect(problems(() => loadConfig({ file: path2, env: { NODE_ENV: 'production' } }))[0]).toMatch(/production/);
  });

  describe('jwt auth', () => {
    const tenant = '72f988bf-86f1-41af-91ab-2d7cd011db47';
    const jwt = {
      mode: 'jwt',
      jwksUrl: `https://login.microsoftonline.com/${tenant}/discovery/v2.0/keys`,
      issuer: `https://login.microsoftonline.com/${tenant}/v2.0`,
      audience: 'api://toa.example/6e1f3c52-0000-4000-8000-000000000001',
      tenants: [tenant.toUpperCase()],
    };

    it('fills the defaults: RS256 only, 60 s of skew, oid as the user id', async () => {
      const config = loadConfig({ file: await file({ ...minimal, auth: jwt }), env: {} });
      expect(config.auth).toEqual({ ...jwt, tenants: [tenant], algorithms: ['RS256'], clockToleranceSec: 60, userIdClaims: ['oid'], admins: [] });
    });

    it('is allowed on any host and in production with an https key set', async () => {
      const config = loadConfig({ file: await file({ ...minimal, host: '0.0.0.0', production: true, auth: jwt }), env: {} });
      expect(config).toMatchObject({ host: '0.0.0.0', production: true, auth: { mode: 'jwt' } });
    });

    it('takes an http key set only from loopback and outside production', async () => {
      const local = { ...jwt, jwksUrl: 'http://127.0.0.1:8080/keys' };
      expect(loadConfig({ file: await file({ ...minimal, auth: local }), env: {} }).auth).toMatchObject({ jwksUrl: local.jwksUrl });
      const remote = await file({ ...minimal, auth: { ...jwt, jwksUrl: 'http://login.example/keys' } });
      expect(problems(() => loadConfig({ file: remote, env: {} }))[0]).toMatch(/auth\.jwksUrl: must be an https URL \(http is only allowed on loopback/);
      const production = await file({ ...minimal, production: true, auth: local });
      expect(problems(() => loadConfig({ file: production, env: {} }))[0]).toMatch(/auth\.jwksUrl: must be an https URL in production/);
    });

    it('refuses symmetric algorithms, bad tenant and admin ids, credentials in the URL and missing keys', async () => {
      const bad = await file({
        ...minimal,
        auth: {
          ...jwt,
          jwksUrl: 'https://user:pw@login.example/keys',
          algorithms: ['HS256'],
          tenants: ['contoso'],
          admins: ['alice@acme.example'],
          audience: [],
        },
      });
      const lines = problems(() => loadConfig({ file: bad, env: {} }));
      for (const fragment of ['auth.jwksUrl', 'auth.algorithms[0]', 'auth.tenants[0]', 'auth.admins[0]', 'auth.audience']) {
        expect(
          lines.some((l) => l.includes(fragment)),
          fragment,
        ).toBe(true);
      }
      const { issuer: _issuer, ...noIssuer } = jwt;
      const missing = await file({ ...minimal, auth: noIssuer });
      expect(problems(() => loadConfig({ file: missing, env: {} })).some((l) => l.includes('auth.issuer'))).toBe(true);
    });

    describe("a domain's users.tenants", () => {
      const other = '0b5e6d3c-1111-4222-8333-944455556666';
      const withUsers = (users: unknown) => ({ ...minimal, domains: [{ ...minimal.domains[0], users }] });

      it('is required for a mail-domain rule when several tenants may sign in, and names the problem', async () => {
        const several = { ...jwt, tenants: [tenant, other] };
        const missing = await file({ ...withUsers({ mailDomains: ['acme.example'] }), auth: several });
        expect(problems(() => loadConfig({ file: missing, env: {} }))).toEqual([
          expect.stringMatching(
            /domains\[0\]\.users\.tenants: is required: auth\.tenants lists 2 tenants, and any of them could otherwise claim an address at acme\.example/,
          ),
        ]);
        const named = await file({ ...withUsers({ mailDomains: ['acme.example'], tenants: [other.toUpperCase()] }), auth: several });
        expect(loadConfig({ file: named, env: {} }).domains[0]?.users).toEqual({ mailDomains: ['acme.example'], tenants: [other] });
      });

      it('is implied with one tenant, and a domain without users needs none', async () => {
        expect(loadConfig({ file: await file({ ...withUsers({ mailDomains: ['acme.example'] }), auth: jwt }), env: {} }).domains[0]?.users).toEqual({
          mailDomains: ['acme.example'],
        });
        expect(loadConfig({ file: await file({ ...minimal, auth: { ...jwt, tenants: [tenant, other] } }), env: {} }).domains[0]?.users).toBeUndefined();
      });

      it('refuses a tenant that may not sign in, a malformed one, and any in dev identity', async () => {
        const stranger = await file({ ...withUsers({ mailDomains: ['acme.example'], tenants: [other] }), auth: jwt });
        expect(problems(() => loadConfig({ file: stranger, env: {} }))).toEqual([
          expect.stringMatching(/domains\[0\]\.users\.tenants\[0\]: 0b5e6d3c-1111-4222-8333-944455556666 is not in auth\.tenants/),
        ]);
        const malformed = await file({ ...withUsers({ mailDomains: ['acme.example'], tenants: ['contoso'] }), auth: jwt });
        expect(problems(() => loadConfig({ file: malformed, env: {} }))[0]).toMatch(/domains\[0\]\.users\.tenants\[0\]: must be a tenant id/);
        const dev = await file(withUsers({ mailDomains: ['acme.example'], tenants: [tenant] }));
        expect(problems(() => loadConfig({ file: dev, env: {} }))[0]).toMatch(/domains\[0\]\.users\.tenants: applies to jwt identity only/);
      });
    });
  });

  it('names the environment variable a bad value came from, not the file or the embedded default', async () => {
    const embedded = problems(() => loadConfig({ env: { TOA_PORT: 'abc' }, cwd: dir }));
    expect(embedded).toEqual(['TOA_PORT: must be a port number from 0 to 65535, not "abc"']);
    const configFile = await file(minimal);
    const lines = problems(() => loadConfig({ file: configFile, env: { TOA_PORT: '70000', TOA_DATA_RETENTION: 'forever' } }));
    expect(lines).toEqual([
      'TOA_PORT: must be a port number from 0 to 65535, not "70000"',
      expect.stringMatching(/^TOA_DATA_RETENTION: must be a number of days/),
    ]);
  });

  it('says a production start without a file forgot its configuration, instead of listing what the embedded default lacks', () => {
    for (const env of [{ NODE_ENV: 'production' }, { TOA_PRODUCTION: 'true' }]) {
      const lines = problems(() => loadConfig({ env, cwd: dir }));
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(/^no configuration file given \(--config FILE or TOA_CONFIG\)/);
    }
  });

  it('names the variable behind a value that is fine on its own but not with the rest', async () => {
    const lines = problems(() => loadConfig({ env: { TOA_HOST: '0.0.0.0' }, cwd: dir }));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^embedded default: auth\.mode: .*"0\.0\.0\.0" \(from TOA_HOST\)/);
  });

  it('stores an IANA time zone in its canonical spelling, from the file and from TOA_TIME_ZONE', async () => {
    expect(loadConfig({ file: await file({ ...minimal, timeZone: 'utc' }), env: {} }).timeZone).toBe('UTC');
    expect(loadConfig({ file: await file({ ...minimal, timeZone: 'europe/prague' }), env: {} }).timeZone).toBe('Europe/Prague');
    expect(loadConfig({ file: await file(minimal), env: { TOA_TIME_ZONE: 'AMERICA/NEW_YORK' } }).timeZone).toBe('America/New_York');
  });

  it('refuses credentials in every URL of the configuration, with the same rule', async () => {
    const credentialed = 'https://user:secret@host.example/x';
    const config = await file({
      ...minimal,
      auth: {
        mode: 'jwt',
        jwksUrl: credentialed,
        issuer: 'https://issuer.example',
        audience: 'api://toa',
        tenants: ['72f988bf-86f1-41af-91ab-2d7cd011db47'],
      },
      domains: [{ code: 'globex', name: 'Globex', templates: { url: credentialed }, archive: { type: 'http', url: credentialed } }],
    });
    const lines = problems(() => loadConfig({ file: config, env: {} }));
    const rule = 'must not contain credentials (user:password@); name the environment variable that holds them instead';
    for (const key of ['auth.jwksUrl', 'domains[0].templates.url', 'domains[0].archive.url']) {
      expect(lines, key).toContain(`${config}: ${key}: ${rule}`);
    }
    expect(lines.join('\n')).not.toContain('secret');
  });

  it('takes metrics scrapers by address or range and token variable; an empty section or a bad range is refused', async () => {
    expect(loadConfig({ file: await file(minimal), env: {} }).metrics).toBeUndefined();
    const scrapers = { allow: ['10.0.0.0/8', '::1', '192.0.2.7'], tokenEnv: 'TOA_METRICS_TOKEN' };
    expect(loadConfig({ file: await file({ ...minimal, metrics: scrapers }), env: {} }).metrics).toEqual(scrapers);
    const emptyFile = await file({ ...minimal, metrics: {} });
    expect(problems(() => loadConfig({ file: emptyFile, env: {} }))).toEqual([expect.stringMatching(/: metrics: name the scrapers/)]);
    const badFile = await file({ ...minimal, metrics: { allow: ['10.0.0.0/33', 'prometheus'], tokenEnv: 'secret-token' } });
    const bad = problems(() => loadConfig({ file: badFile, env: {} }));
    expect(bad).toHaveLength(3);
    for (const fragment of ['metrics.allow[0]', 'metrics.allow[1]', 'metrics.tokenEnv'])
      expect(
        bad.some((line) => line.includes(fragment)),
        fragment,
      ).toBe(true);
  });

  it('refuses duplicate domain codes and a file that is not JSON', async () => {
    const dup = await file({ ...minimal, domains: [minimal.domains[0], minimal.domains[0]] });
    expect(problems(() => loadConfig({ file: dup, env: {} }))[0]).toMatch(/duplicate domain code "acme"/);
    const broken = await file('{\n  "port": 3100,\n  prot: 3100\n}\n');
    // where it is, as an editor shows it (JSON.parse gives only the position on Node 20)
    expect(problems(() => loadConfig({ file: broken, env: {} }))).toEqual([expect.stringMatching(/: is not valid JSON \(.* \(line 3 column 3\)\)$/)]);
  });

  it('says a key of another form of a setting does not go with the keys beside it, instead of calling it misspelt', async () => {
    const both = await file({ ...minimal, domains: [{ ...minimal.domains[0], templates: { file: './acme.xml', url: 'https://cms.example/acme.xml' } }] });
    expect(problems(() => loadConfig({ file: both, env: {} }))).toEqual([
      expect.stringMatching(
        /: domains\[0\]\.templates\.(url|file): does not go with the keys beside it: domains\[0\]\.templates takes one of several forms, each with keys of its own \(docs\/configuration\.md\)$/,
      ),
    ]);
  });

  it('keeps a JSON message that quotes the text on one line', async () => {
    const quoted = await file('{\n  "port": 3100,\n  "host": nope\n}\n');
    const [line, ...more] = problems(() => loadConfig({ file: quoted, env: {} }));
    expect(more).toEqual([]);
    expect(line).toMatch(/is not valid JSON/);
    expect(line).not.toMatch(/\n/);
  });

  it('names a key that is not one by its path, one line each', async () => {
    const misspelt = await file({ ...minimal, prot: 3100, domains: [{ ...minimal.domains[0], colour: 'red' }] });
    expect(problems(() => loadConfig({ file: misspelt, env: {} })).sort()).toEqual([
      `${misspelt}: domains[0].colour: is not a configuration key here (misspelt? docs/configuration.md lists them)`,
      `${misspelt}: prot: is not a configuration key here (misspelt? docs/configuration.md lists them)`,
    ]);
  });
});
