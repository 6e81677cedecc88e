import type { Import, Page } from '@toa/api/imports';
import { describe, expect, it } from 'vitest';
import { limitsSchema, type QuotaLimits } from '../config/schema.js';
import { isAppError } from '../errors.js';
import { ImportIndex } from '../storage/import-index.js';
import { domainQuota, formatBytes, Quotas, type UsageSource } from './quotas.js';

const MIB = 1024 * 1024;

function anImport(id: string, userId: string, pageSizes: number[]): Import {
  const pages: Page[] = pageSizes.map((size, i) => ({ m: i + 1, filename: `p${i + 1}`, size, contentType: 'application/pdf', sha256: 'x'.repeat(64) }));
  return {
    schemaVersion: 1,
    id,
    domain: 'acme',
    status: 'DRAFT',
    createdAt: '2026-11-20T09:00:00.000+01:00',
    updatedAt: '2026-11-20T09:00:00.000+01:00',
    userId,
    userName: userId,
    userEmail: userId,
    source: {},
    documents: [{ n: 1, templateId: null, attributes: {}, pages }],
    attempts: [],
  };
}

/** A domain's real index over the given imports, as DomainStorage exposes it. */
function domainOf(imports: Import[]): { index: ImportIndex; source: UsageSource } {
  // quotas read no listing line: nothing is ever loaded
  const index = new ImportIndex(async () => undefined);
  return {
    index,
    source: {
      warmUp: () =>
        index.ready(async function* () {
          yield* imports;
        }),
      usage: (userId) => index.usage(userId),
    },
  };
}

async function quotasOver(imports: Import[], quota: Partial<QuotaLimits>): Promise<{ quotas: Quotas; index: ImportIndex }> {
  const { index, source } = domainOf(imports);
  const quotas = new Quotas(new Map([['acme', source]]), new Map([['acme', { ...limitsSchema.parse({}).quota, ...quota }]]));
  await quotas.ready('acme');
  return { quotas, index };
}

/** The problem a refused reservation throws. */
function refusal(call: () => unknown): { code: string; message: string } {
  try {
    call();
  } catch (error) {
    if (isAppError(error)) return { code: error.code, message: error.message };
    throw error;
  }
  throw new Error('the reservation was not refused');
}

describe('Quotas', () => {
  it('defaults to 10 GiB and 100 000 imports per user, no domain limit', () => {
    expect(limitsSchema.parse({}).quota).toEqual({ userMb: 10_240, userImports: 100_000, domainMb: 0, domainImports: 0 });
  });

  it('refuses a body whose declared size would pass the user’s byte quota, naming the quota, its limit and the use', async () => {
    const { quotas } = await quotasOver([anImport('2026-11-20_0900-00000001', 'a@x', [600 * 1024])], { userMb: 1 });
    const refused = refusal(() => quotas.reserve('a@x', 'acme', { imports: 0, bytes: 500 * 1024 }));
    expect(refused.code).toBe('QUOTA_EXCEEDED');
    expect(refused.message).toBe(
      'your storage quota in the domain "acme" is 1 MiB (quota.userMb) and you hold 600 KiB in 1 import(s); this upload may store up to 500 KiB: delete imports you no longer need, or ask an administrator for a larger quota',
    );
    // exactly the room left fits, and another user has room of their own
    quotas.reserve('a@x', 'acme', { imports: 0, bytes: 424 * 1024 })();
    quotas.reserve('b@x', 'acme', { imports: 0, bytes: MIB })();
  });

  it('counts reservations under way, so concurrent uploads cannot pass together; a release gives the room back once', async () => {
    const { quotas } = await quotasOver([], { userMb: 1 });
    const first = quotas.reserve('a@x', 'acme', { imports: 0, bytes: 600 * 1024 });
    expect(refusal(() => quotas.reserve('a@x', 'acme', { imports: 0, bytes: 600 * 1024 })).message).toMatch(/plus 600 KiB of uploads under way/);
    first();
    first();
    const second = quotas.reserve('a@x', 'acme', { imports: 0, bytes: 600 * 1024 });
    expect(() => quotas.reserve('a@x', 'acme', { imports: 0, bytes: 600 * 1024 })).toThrow(/quota/);
    second();
  });

  it('refuses a new import, or an extraction, once a byte quota is full to the byte', async () => {
    const { quotas } = await quotasOver([anImport('2026-11-20_0900-00000001', 'a@x', [MIB])], { userMb: 1 });
    expect(refusal(() => quotas.reserve('a@x', 'acme', { imports: 1, bytes: 0 })).message).toMatch(/you hold 1 MiB in 1 import\(s\); no room is left/);
    expect(refusal(() => quotas.assertRoom('a@x', 'acme')).code).toBe('QUOTA_EXCEEDED');
  });

  it('counts imports, those being created included, against the import quota; pages do not', async () => {
    const { quotas, index } = await quotasOver([anImport('2026-11-20_0900-00000001', 'a@x', [])], { userImports: 2 });
    const creating = quotas.reserve('a@x', 'acme', { imports: 1, bytes: 0 });
    expect(refusal(() => quotas.reserve('a@x', 'acme', { imports: 1, bytes: 0 })).message).toBe(
      'your import quota in the domain "acme" is 2 imports (quota.userImports) and you hold 1 (plus 1 being created): delete imports you no longer need, or ask an administrator for a larger quota',
    );
    index.record(anImport('2026-11-20_0900-00000002', 'a@x', []));
    creating();
    expect(() => quotas.reserve('a@x', 'acme', { imports: 1, bytes: 0 })).toThrow(/you hold 2:/);
    quotas.reserve('a@x', 'acme', { imports: 0, bytes: 10 })();
    index.forget('2026-11-20_0900-00000001');
    quotas.reserve('a@x', 'acme', { imports: 1, bytes: 0 })();
  });

  it('holds the domain to its own quotas across users', async () => {
    const { quotas } = await quotasOver([anImport('2026-11-20_0900-00000001', 'a@x', [3 * MIB]), anImport('2026-11-20_0900-00000002', 'b@x', [])], {
      domainMb: 4,
      domainImports: 3,
    });
    expect(refusal(() => quotas.reserve('c@x', 'acme', { imports: 0, bytes: 2 * MIB })).message).toBe(
      'the domain "acme" may hold 4 MiB of pages (quota.domainMb) and holds 3 MiB in 2 import(s); this upload may store up to 2 MiB: nothing more fits until imports are deleted or an administrator raises the quota',
    );
    const third = quotas.reserve('c@x', 'acme', { imports: 1, bytes: 0 });
    expect(refusal(() => quotas.reserve('d@x', 'acme', { imports: 1, bytes: 0 })).message).toMatch(
      /^the domain "acme" may hold 3 imports \(quota\.domainImports\) and holds 2 \(plus 1 being created\)/,
    );
    third();
  });

  it('takes 0 for no limit', async () => {
    const { quotas } = await quotasOver([anImport('2026-11-20_0900-00000001', 'a@x', [5 * MIB])], { userMb: 0, userImports: 0 });
    quotas.reserve('a@x', 'acme', { imports: 1, bytes: 1024 * MIB })();
  });

  it('lets a domain override the defaults key by key', () => {
    const defaults = limitsSchema.parse({}).quota;
    expect(domainQuota(defaults, { quota: { userMb: 20_480, domainImports: 5 } })).toEqual({ ...defaults, userMb: 20_480, domainImports: 5 });
    expect(domainQuota(defaults, {})).toEqual(defaults);
  });

  it('writes sizes for people', () => {
    expect([0, 1023, 1024, 1536, 10 * 1024 * MIB, 1.25 * MIB].map(formatBytes)).toEqual(['0 bytes', '1023 bytes', '1 KiB', '1.5 KiB', '10 GiB', '1.25 MiB']);
  });
});
