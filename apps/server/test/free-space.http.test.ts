import { statfs } from 'node:fs/promises';
import os from 'node:os';
import { problemSchema } from '@toa/api/errors';
import { healthSchema } from '@toa/api/identity';
import { addPageResponseSchema, importSchema } from '@toa/api/imports';
import { paths } from '@toa/api/routes';
import { afterEach, describe, expect, it } from 'vitest';
import { statusBeforeBody } from './hostile/support.js';
import { json, startTestServer, type TestServer, upload } from './support/server.js';

/**
 * Issue 9, item 3: a full data disk made every write answer 500 while health
 * said `ok`. The real condition here is the temp filesystem's own statfs
 * reading against a reserve set above it: the server compares the two, so
 * nothing is faked, and lowering the reserve (a restart) is the recovery.
 */

const MIB = 1024 * 1024;
const servers: TestServer[] = [];
afterEach(async () => {
  for (const server of servers.splice(0)) await server.dispose();
});

/** A reserve this filesystem cannot meet: its free space now, plus a TiB. */
async function reserveAboveFreeMb(): Promise<number> {
  const stats = await statfs(os.tmpdir());
  return Math.ceil((stats.bavail * stats.bsize) / MIB) + 1024 * 1024;
}

describe('the free-space reserve (limits.freeSpaceReserveMb)', () => {
  it('below the reserve refuses new content with 507 before the body, keeps reads and deletes, reports degraded; a lower reserve recovers', async () => {
    const first = await startTestServer();
    servers.push(first);
    const alice = first.as('alice@acme.example');
    const kept = importSchema.parse(await (await alice(paths.imports('acme'), json('POST', {}))).json());
    const bytes = new TextEncoder().encode('Subject: kept\r\n\r\nstored before the disk ran short\r\n');
    const stored = addPageResponseSchema.parse(await (await alice(paths.pages('acme', kept.id, 1), upload(bytes, 'kept.eml', 'message/rfc822'))).json());
    const spare = importSchema.parse(await (await alice(paths.imports('acme'), json('POST', {}))).json());
    await first.close();
    servers.splice(0);

    const reserveMb = await reserveAboveFreeMb();
    const short = await startTestServer({ dir: first.dir, overrides: { limits: { freeSpaceReserveMb: reserveMb } } });
    servers.push(short);
    const aliceShort = short.as('alice@acme.example');

    for (const response of [
      await aliceShort(paths.imports('acme'), json('POST', {})),
      await aliceShort(paths.pages('acme', kept.id, 1), upload(bytes, 'more.eml', 'message/rfc822')),
      await aliceShort(paths.document('acme', kept.id, 1), json('PUT', { attributes: {} })),
      await aliceShort(paths.extract('acme', kept.id, 1, stored.m), json('POST', {})),
    ]) {
      expect(response.status).toBe(507);
      const body = problemSchema.parse(await response.json());
      expect(body.code).toBe('INSUFFICIENT_STORAGE');
      expect(body.detail).toMatch(/reserve/);
    }
    expect(await statusBeforeBody(short.url, paths.pages('acme', kept.id, 1), 'alice@acme.example', 10 * MIB)).toBe(507);

    // what is stored can still be read, and deleting (which makes room) still works
    const download = await aliceShort(paths.page('acme', kept.id, 1, stored.m));
    expect(download.status).toBe(200);
    expect(new Uint8Array(await download.arrayBuffer())).toEqual(bytes);
    expect((await aliceShort(paths.import('acme', spare.id), { method: 'DELETE' })).status).toBe(204);

    const anyone = await fetch(`${short.url}${paths.health()}`);
    expect(anyone.status).toBe(503);
    expect(await anyone.json()).toEqual({ status: 'degraded' });
    const admin = healthSchema.parse(await (await short.as('admin@acme.example')(paths.health())).json());
    expect(admin.status).toBe('degraded');
    expect(admin.checks?.dataRoot.reserveBytes).toBe(reserveMb * MIB);
    expect(admin.checks?.dataRoot.freeBytes).toBeLessThan(reserveMb * MIB);
    expect(admin.checks?.dataRoot.detail).toMatch(/below the reserve/);
    await short.close();
    servers.splice(0);

    const recovered = await startTestServer({ dir: first.dir, overrides: { limits: { freeSpaceReserveMb: 1 } } });
    servers.push(recovered);
    const aliceAgain = recovered.as('alice@acme.example');
    expect((await aliceAgain(paths.pages('acme', kept.id, 1), upload(bytes, 'more.eml', 'message/rfc822'))).status).toBe(201);
    const health = healthSchema.parse(await (await recovered.as('admin@acme.example')(paths.health())).json());
    expect(health.status).toBe('ok');
    expect(health.checks?.dataRoot).toMatchObject({ writable: true, reserveBytes: MIB });
    expect(health.checks?.dataRoot.freeBytes).toBeGreaterThan(MIB);
  });
});
