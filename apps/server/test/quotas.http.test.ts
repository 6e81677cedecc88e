import { readdir } from 'node:fs/promises';
import { problemSchema } from '@toa/api/errors';
import { addPageResponseSchema, type Import, importSchema } from '@toa/api/imports';
import { paths } from '@toa/api/routes';
import { afterEach, describe, expect, it } from 'vitest';
import type { ConfigInput } from '../src/config/schema.js';
import { importDirOf, importFiles, statusBeforeBody } from './hostile/support.js';
import { binaryBytes } from './support/batch-fixture.js';
import { json, startTestServer, TEST_DOMAIN, TestClock, type TestServer, upload } from './support/server.js';

/**
 * Issue 9, item 3: one user could fill the data disk. Per-user and per-domain
 * quotas on page bytes and on imports (ADR 0012) refuse new content with 409
 * QUOTA_EXCEEDED before its body is read, and what is deleted frees its room
 * at once.
 */

const KIB = 1024;
const servers: TestServer[] = [];
afterEach(async () => {
  // the last started first: a server restarted on another's folder goes before that folder is removed
  for (const server of servers.splice(0).reverse()) await server.dispose();
});

async function start(options: Parameters<typeof startTestServer>[0]): Promise<TestServer> {
  const server = await startTestServer(options);
  servers.push(server);
  return server;
}

type Caller = ReturnType<TestServer['as']>;

async function createImport(as: Caller): Promise<Import> {
  const response = await as(paths.imports('acme'), json('POST', {}));
  expect(response.status).toBe(201);
  return importSchema.parse(await response.json());
}

function uploadPage(as: Caller, id: string, size: number, seed = 1): Promise<Response> {
  return as(paths.pages('acme', id, 1), upload(binaryBytes(size, seed), `scan-${seed}.pdf`, 'application/pdf'));
}

async function quotaProblem(response: Response): Promise<string> {
  expect(response.status).toBe(409);
  const problem = problemSchema.parse(await response.json());
  expect(problem.code).toBe('QUOTA_EXCEEDED');
  return problem.detail;
}

/** Every temporary left under the data root (uploads, staging folders): none once requests are answered. */
async function temporaries(dataRoot: string): Promise<string[]> {
  return (await readdir(dataRoot, { recursive: true })).filter((name) => /\.tmp$/.test(name));
}

/** The page bytes a user's imports hold on disk, as their import.json files list them. */
async function storedBytes(server: TestServer, as: Caller): Promise<number> {
  const listing = (await (await as(`${paths.imports('acme')}?limit=200`)).json()) as { items: Array<{ id: string }> };
  let total = 0;
  for (const { id } of listing.items) {
    const current = importSchema.parse(await (await as(paths.import('acme', id))).json());
    total += current.documents.reduce((sum, d) => sum + d.pages.reduce((s, p) => s + p.size, 0), 0);
    const { expected, actual } = await importFiles(importDirOf(server.dataRoot, 'acme', id));
    expect(actual).toEqual(expected);
  }
  return total;
}

const quota = (values: Record<string, number>): Partial<ConfigInput> => ({ limits: { quota: values } });

describe('quotas (limits.quota, domains[].quota)', () => {
  it('refuses a user over the byte quota before any body byte is stored, while another user still files; a delete frees the room', async () => {
    const server = await start({ overrides: quota({ userMb: 0.5 }) });
    const alice = server.as('alice@acme.example');
    const bob = server.as('bob@acme.example');
    const first = await createImport(alice);
    expect((await uploadPage(alice, first.id, 300 * KIB)).status).toBe(201);

    const second = await createImport(alice);
    // the head alone declares more than the room left: the answer comes before any body byte is sent
    expect(await statusBeforeBody(server.url, paths.pages('acme', second.id, 1), 'alice@acme.example', 300 * KIB)).toBe(409);
    const detail = await quotaProblem(await uploadPage(alice, second.id, 300 * KIB, 2));
    expect(detail).toMatch(
      /^your storage quota in the domain "acme" is 512 KiB \(quota\.userMb\) and you hold 300 KiB in 2 import\(s\); this upload may store up to 300\.\d+ KiB/,
    );
    expect(await temporaries(server.dataRoot)).toEqual([]);
    expect(await importFiles(importDirOf(server.dataRoot, 'acme', second.id))).toEqual({ expected: ['import.json'], actual: ['import.json'] });

    // what still fits goes in
    expect((await uploadPage(alice, second.id, 150 * KIB, 3)).status).toBe(201);

    const bobs = await createImport(bob);
    expect((await uploadPage(bob, bobs.id, 400 * KIB)).status).toBe(201);

    expect((await alice(paths.import('acme', first.id), { method: 'DELETE' })).status).toBe(204);
    const stored = addPageResponseSchema.parse(await (await uploadPage(alice, second.id, 300 * KIB, 4)).json());
    expect(stored.size).toBe(300 * KIB);
    expect(await storedBytes(server, alice)).toBe(450 * KIB);
  });

  it('counts imports, refusing the one past the import quota; over a lowered byte quota, new imports and extractions are refused too', async () => {
    const first = await start({ overrides: quota({ userImports: 2, userMb: 0.25 }) });
    const alice = first.as('alice@acme.example');
    const kept = await createImport(alice);
    const spare = await createImport(alice);
    expect(await quotaProblem(await alice(paths.imports('acme'), json('POST', {})))).toMatch(
      /^your import quota in the domain "acme" is 2 imports \(quota\.userImports\) and you hold 2:/,
    );
    expect((await alice(paths.import('acme', spare.id), { method: 'DELETE' })).status).toBe(204);
    const message = new TextEncoder().encode(`Subject: kept\r\nContent-Type: text/plain\r\n\r\n${'x'.repeat(200 * KIB)}\r\n`);
    const page = await alice(paths.pages('acme', kept.id, 1), upload(message, 'kept.eml', 'message/rfc822'));
    expect(page.status).toBe(201);
    const { m } = addPageResponseSchema.parse(await page.json());
    await first.close();

    // an administrator lowers the quota below what is stored
    const lowered = await start({ dir: first.dir, overrides: quota({ userImports: 2, userMb: 0.1 }) });
    const again = lowered.as('alice@acme.example');
    expect(await quotaProblem(await again(paths.imports('acme'), json('POST', {})))).toMatch(
      /^your storage quota in the domain "acme" is 102\.4 KiB \(quota\.userMb\) and you hold 200\.\d+ KiB in 1 import\(s\); no room is left/,
    );
    expect(await quotaProblem(await again(paths.extract('acme', kept.id, 1, m), json('POST', {})))).toMatch(/quota\.userMb/);
    // reading and deleting go on
    expect((await again(paths.page('acme', kept.id, 1, m))).status).toBe(200);
    expect((await again(paths.import('acme', kept.id), { method: 'DELETE' })).status).toBe(204);
    await createImport(again);
  });

  it('rebuilds the totals from the files at a restart', async () => {
    const first = await start({ overrides: quota({ userMb: 0.5, userImports: 3 }) });
    const alice = first.as('alice@acme.example');
    const one = await createImport(alice);
    expect((await uploadPage(alice, one.id, 200 * KIB)).status).toBe(201);
    expect((await uploadPage(alice, one.id, 200 * KIB, 2)).status).toBe(201);
    await createImport(alice);
    await first.close();

    const second = await start({ dir: first.dir, overrides: quota({ userMb: 0.5, userImports: 3 }) });
    const again = second.as('alice@acme.example');
    const third = await createImport(again);
    expect(await quotaProblem(await again(paths.imports('acme'), json('POST', {})))).toMatch(/you hold 3:/);
    expect(await quotaProblem(await uploadPage(again, third.id, 200 * KIB, 3))).toMatch(/you hold 400 KiB in 3 import\(s\)/);
    expect((await uploadPage(again, third.id, 100 * KIB, 4)).status).toBe(201);
  });

  it('holds a domain to the quotas its own configuration sets, across users', async () => {
    const server = await start({
      overrides: { domains: [{ ...TEST_DOMAIN, quota: { domainMb: 1, domainImports: 4 } }] },
    });
    const users = ['alice', 'bob', 'carol'].map((name) => server.as(`${name}@acme.example`));
    const imports = await Promise.all(users.map(createImport));
    for (const [i, as] of users.slice(0, 2).entries()) expect((await uploadPage(as, (imports[i] as Import).id, 400 * KIB, i)).status).toBe(201);
    const carol = users[2] as Caller;
    expect(await quotaProblem(await uploadPage(carol, (imports[2] as Import).id, 400 * KIB, 3))).toMatch(
      /^the domain "acme" may hold 1 MiB of pages \(quota\.domainMb\) and holds 800 KiB in 3 import\(s\); this upload may store up to 400\.\d+ KiB: nothing more fits/,
    );
    await createImport(carol);
    expect(await quotaProblem(await carol(paths.imports('acme'), json('POST', {})))).toMatch(
      /^the domain "acme" may hold 4 imports \(quota\.domainImports\) and holds 4:/,
    );
  });

  it('lets concurrent uploads near the limit store no more than the quota, and reconciles each with its real size', async () => {
    const server = await start({ overrides: quota({ userMb: 1 }) });
    const alice = server.as('alice@acme.example');
    const target = await createImport(alice);
    const answers = await Promise.all(Array.from({ length: 12 }, (_, i) => uploadPage(alice, target.id, 200 * KIB, i)));
    const statuses = answers.map((a) => a.status);
    for (const answer of answers) await answer.body?.cancel();
    // five bodies of 200 KiB and their multipart framing fit in 1 MiB, a sixth does not
    expect(statuses.filter((s) => s === 201)).toHaveLength(5);
    expect(statuses.filter((s) => s === 409)).toHaveLength(7);
    expect(await storedBytes(server, alice)).toBe(5 * 200 * KIB);
    expect(await temporaries(server.dataRoot)).toEqual([]);
    // the reservations are gone: the room left is the quota less what is stored
    expect((await uploadPage(alice, target.id, 24 * KIB - 512, 99)).status).toBe(201);
  });

  it('reserves the whole page size limit for a body that declares no length', async () => {
    const server = await start({ overrides: { limits: { pageSizeMb: 1, quota: { userMb: 1.5 } } } });
    const alice = server.as('alice@acme.example');
    const target = await createImport(alice);
    expect((await uploadPage(alice, target.id, 600 * KIB)).status).toBe(201);
    const form = new Response(upload(binaryBytes(KIB), 'small.pdf', 'application/pdf').body as FormData);
    const chunked = await alice(paths.pages('acme', target.id, 1), {
      method: 'POST',
      headers: { 'Content-Type': form.headers.get('content-type') as string },
      body: form.body,
      duplex: 'half',
    } as RequestInit);
    expect(await quotaProblem(chunked)).toMatch(/this upload may store up to 1 MiB/);
    expect((await uploadPage(alice, target.id, KIB, 2)).status).toBe(201);
  });

  it('frees the room of what retention removes', async () => {
    const clock = new TestClock(new Date('2026-11-02T09:00:00Z'));
    const server = await start({ clock, overrides: { ...quota({ userMb: 0.25 }), dataRetention: '7d' } });
    const alice = server.as('alice@acme.example');
    const old = await createImport(alice);
    expect((await uploadPage(alice, old.id, 200 * KIB)).status).toBe(201);
    clock.current = new Date('2026-11-20T09:00:00Z');
    const fresh = await createImport(alice);
    await quotaProblem(await uploadPage(alice, fresh.id, 200 * KIB, 2));
    expect((await server.retention()).deleted.map((d) => d.id)).toEqual([old.id]);
    expect((await uploadPage(alice, fresh.id, 200 * KIB, 2)).status).toBe(201);
  });
});
