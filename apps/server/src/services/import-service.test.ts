import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SPEC_CATALOGUE } from '@toa/fixtures/catalogue';
import type { ArchiveBatch, ArchiveClient } from '../archive/archive-client.js';
import { limitsSchema } from '../config/schema.js';
import { AuditLog } from '../logging/audit-log.js';
import { extractParts } from '../mail/extract-parts.js';
import { summarizeMessage } from '../mail/summarize-message.js';
import { DomainStorage } from '../storage/domain-storage.js';
import { KeyedLock } from '../fs/keyed-lock.js';
import { Layout } from '../storage/layout.js';
import { TemplateRegistry } from '../templates/template-registry.js';
import { ZonedTime } from '../zoned-time.js';
import { ImportService } from './import-service.js';
import { Quotas } from './quotas.js';

/** An archive that cannot deduplicate by import id, as a third-party client might be. */
class ForgetfulArchive implements ArchiveClient {
  readonly kind = 'http' as const;
  readonly honoursIdempotencyKey = false;
  readonly received: ArchiveBatch[] = [];
  async submit(batch: ArchiveBatch): Promise<{ batchId: string }> {
    this.received.push(batch);
    return { batchId: `B-${this.received.length}` };
  }
}

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'toa-service-'));
});
/** the audit logs the services opened: their files stay open until closed */
const audits: AuditLog[] = [];
afterEach(async () => {
  for (const audit of audits.splice(0)) await audit.close();
  await rm(dir, { recursive: true, force: true });
});

async function service(archive: ArchiveClient): Promise<{ imports: ImportService; storage: DomainStorage }> {
  const logger = pino({ level: 'silent' });
  const layout = new Layout(path.join(dir, 'data'));
  const time = new ZonedTime('Europe/Prague');
  const clock = { now: () => new Date('2026-11-21T09:00:00Z') };
  const storage = new DomainStorage({ layout, domain: 'acme', clock, time, locks: new KeyedLock(), mail: { summarizeMessage, extractParts }, logger });
  await writeFile(path.join(dir, 'acme.xml'), SPEC_CATALOGUE);
  const templates = new TemplateRegistry({
    domains: [{ code: 'acme', name: 'ACME', templates: { file: path.join(dir, 'acme.xml') }, archive: { type: 'filesystem', root: dir } }],
    cacheFile: (code) => layout.catalogueCache(code),
    logger,
  });
  await templates.start();
  const limits = limitsSchema.parse({});
  const storages = new Map([['acme', storage]]);
  const audit = new AuditLog(path.join(dir, 'logs'));
  audits.push(audit);
  const imports = new ImportService({
    storages,
    archives: new Map([['acme', archive]]),
    templates,
    audit,
    limits,
    quotas: new Quotas(storages, new Map([['acme', limits.quota]])),
    clock,
    time,
    logger,
  });
  return { imports, storage };
}

describe('ImportService.resumePending', () => {
  it('marks PENDING imports FAILED with advice when the archive cannot deduplicate, and never calls it', async () => {
    const archive = new ForgetfulArchive();
    const { imports, storage } = await service(archive);
    const created = await storage.create({ userId: 'a@x', userName: 'A', userEmail: 'a@x' }, {});
    await storage.update(
      created.id,
      () => {},
      (draft) => {
        draft.status = 'PENDING';
      },
    );
    await imports.resumePending([{ domain: 'acme', id: created.id }]);
    const after = await storage.read(created.id);
    expect(after.status).toBe('FAILED');
    expect(after.error).toMatch(/Check in the archive/);
    expect(after.attempts).toEqual([expect.objectContaining({ outcome: 'FAILED' })]);
    expect(archive.received).toEqual([]);
  });

  it('leaves imports that are no longer PENDING alone', async () => {
    const { imports, storage } = await service(new ForgetfulArchive());
    const created = await storage.create({ userId: 'a@x', userName: 'A', userEmail: 'a@x' }, {});
    await imports.resumePending([{ domain: 'acme', id: created.id }]);
    expect((await storage.read(created.id)).status).toBe('DRAFT');
  });
});
