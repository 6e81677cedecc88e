import { execFile } from 'node:child_process';
import { constants } from 'node:fs';
import { type FileHandle, mkdir, mkdtemp, open, readdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { setTimeout } from 'node:timers/promises';
import { promisify } from 'node:util';
import { problemSchema } from '@toa/api/errors';
import { healthSchema } from '@toa/api/identity';
import { type Import, importSchema, listImportsResponseSchema } from '@toa/api/imports';
import { paths } from '@toa/api/routes';
import { afterEach, describe, expect, it } from 'vitest';
import { forgetCleanStop, json, startTestServer, type TestServer } from './support/server.js';

/**
 * The start-up pass (ADR 0019) runs after the server answers. It is held
 * here without a timer: one import.json is a named pipe, and the pass's read
 * of it waits until the test writes the import into the pipe.
 */

const started: TestServer[] = [];
const dirs: string[] = [];
afterEach(async () => {
  for (const s of started.splice(0)) await s.dispose();
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});

const USER = 'a@acme.example';
const ADMIN = 'admin@acme.example';

/** A data root holding one import of USER made through the API; the server that made it is stopped. */
async function siteWithOneImport(): Promise<{ dir: string; made: Import; dataRoot: string }> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'toa-start-'));
  dirs.push(dir);
  const first = await startTestServer({ dir });
  const made = importSchema.parse(await (await first.as(USER)(paths.imports('acme'), json('POST', {}))).json());
  await first.dispose();
  return { dir, made, dataRoot: first.dataRoot };
}

/** Resolves, with a descriptor to write into it, once a reader has the pipe open (the pass is reading it). */
async function whenRead(pipe: string): Promise<FileHandle> {
  for (;;) {
    try {
      return await open(pipe, constants.O_WRONLY | constants.O_NONBLOCK);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENXIO') throw error;
      await setTimeout(10);
    }
  }
}

/**
 * A second import of USER, beside `model`, whose import.json is a named
 * pipe: the pass's read of it waits until `release` writes the import in.
 */
async function heldImport(
  dataRoot: string,
  model: Import,
): Promise<{ id: string; reading(): Promise<void>; release(): Promise<void>; settle(): Promise<void> }> {
  const [date] = model.id.split('_') as [string, string];
  const folder = '0001-0badcafe';
  const dir = path.join(dataRoot, 'acme', date, folder);
  await mkdir(path.join(dir, 'doc-1', 'pages'), { recursive: true });
  const pipe = path.join(dir, 'import.json');
  await promisify(execFile)('mkfifo', [pipe]);
  const id = `${date}_${folder}`;
  let released: Promise<void> | undefined;
  // the writer stays open from the first sight of the reader: closing it would hand the reader an empty file
  let writer: Promise<FileHandle> | undefined;
  const text = JSON.stringify({ ...model, id });
  return {
    id,
    reading: async () => {
      writer ??= whenRead(pipe);
      await writer;
    },
    release: () =>
      (released ??= (async () => {
        writer ??= whenRead(pipe);
        const handle = await writer;
        await handle.writeFile(text);
        await handle.close();
      })()),
    // a pipe reads empty once drained: later reads (a listing line, opening the import) need the file itself
    settle: async () => {
      await rm(pipe);
      await writeFile(pipe, text);
    },
  };
}

describe('the start-up pass', () => {
  it('answers at once: health starting (not ready, live), me and the directory served, imports 503 STARTING; then ok and listed', async () => {
    const { dir, made, dataRoot } = await siteWithOneImport();
    const held = await heldImport(dataRoot, made);
    // what a crash left in the made import: the pass removes it before the domain opens
    const [date, folder] = made.id.split('_') as [string, string];
    const leftover = path.join(dataRoot, 'acme', date, folder, 'doc-1', 'pages', 'page-7.bin');
    await writeFile(leftover, 'never listed');
    await forgetCleanStop(dataRoot);

    const server = await startTestServer({ dir, awaitStart: false });
    started.push(server);
    const user = server.as(USER);
    const states: string[] = [];
    // whatever fails here, the pass must be let go before the server is closed, or close() would wait for it
    try {
      const health = await fetch(`${server.url}${paths.health()}`);
      expect(health.status).toBe(503);
      expect(await health.json()).toEqual({ status: 'starting' });
      states.push('starting');
      expect((await fetch(`${server.url}${paths.health()}?probe=ready`)).status).toBe(503);
      expect((await fetch(`${server.url}${paths.health()}?probe=live`)).status).toBe(204);
      const checks = healthSchema.parse(await (await server.as(ADMIN)(paths.health())).json()).checks;
      expect(checks?.recovery).toEqual({ ok: false, detail: 'checking the imports of acme after the start' });

      expect((await user(paths.me())).status).toBe(200);
      expect((await user(paths.domains())).status).toBe(200);
      expect((await user(paths.templates('acme'))).status).toBe(200);

      for (const [pathname, init] of [
        [paths.imports('acme'), undefined],
        [paths.import('acme', made.id), undefined],
        [paths.imports('acme'), json('POST', {})],
        [paths.import('acme', made.id), { method: 'DELETE' }],
        [paths.lastValues('acme'), undefined],
      ] as const) {
        const refused = await user(pathname, init);
        expect(refused.status, `${init?.method ?? 'GET'} ${pathname}`).toBe(503);
        expect(refused.headers.get('retry-after')).toBe('1');
        expect(problemSchema.parse(await refused.json()).code).toBe('STARTING');
      }
      // refused requests changed nothing: no new import, the made one still there
      expect((await readdir(path.join(dataRoot, 'acme', date))).sort()).toEqual([held.id.split('_')[1], folder].sort());
    } finally {
      await held.release();
    }
    const sweep = await server.started;
    await held.settle();
    states.push(healthSchema.parse(await (await fetch(`${server.url}${paths.health()}`)).json()).status);
    expect(states).toEqual(['starting', 'ok']);
    expect((await fetch(`${server.url}${paths.health()}?probe=ready`)).status).toBe(200);
    expect(sweep.removed).toEqual([path.relative(dataRoot, leftover)]);
    expect(await readdir(path.dirname(leftover))).toEqual([]);

    const listed = listImportsResponseSchema.parse(await (await user(paths.imports('acme'))).json());
    expect(listed.items.map((i) => i.id).sort()).toEqual([made.id, held.id].sort());
    expect((await user(paths.imports('acme'), json('POST', {}))).status).toBe(201);
  });

  it('a pass that fails leaves health failing and the domain 503 with the reason; started rejects', async () => {
    const { dir, made, dataRoot } = await siteWithOneImport();
    const [date, folder] = made.id.split('_') as [string, string];
    // a journal that is not one: replaying it fails, and the import must not be served half-recovered
    await writeFile(path.join(dataRoot, 'acme', date, folder, 'extract-journal.json'), '{"renames": "torn');

    const server = await startTestServer({ dir, awaitStart: false });
    started.push(server);
    await expect(server.started).rejects.toThrow();
    const health = await fetch(`${server.url}${paths.health()}`);
    expect(health.status).toBe(503);
    expect(await health.json()).toEqual({ status: 'failing' });
    const checks = healthSchema.parse(await (await server.as(ADMIN)(paths.health())).json()).checks;
    expect(checks?.recovery?.ok).toBe(false);
    expect(checks?.recovery?.detail).toMatch(/^the start-up pass over the data root failed: /);
    const refused = await server.as(USER)(paths.imports('acme'));
    expect(refused.status).toBe(503);
    expect(problemSchema.parse(await refused.json()).detail).toMatch(/the start-up pass over them failed/);
  });

  it('close() during the pass stops it before the data root is released; the next server completes it', async () => {
    const { dir, made, dataRoot } = await siteWithOneImport();
    const held = await heldImport(dataRoot, made);
    const server = await startTestServer({ dir, awaitStart: false });
    await held.reading();
    const closed = server.close();
    await held.release();
    await closed;
    // the pass either finished the read before close() stopped it, or stopped after it: never left running
    const outcome = await server.started.then(
      () => 'completed',
      (error: unknown) => (error as Error).message,
    );
    expect(['completed', 'the server is shutting down']).toContain(outcome);
    // only a pass that swept the whole data root lets the stop vouch for it (ADR 0025)
    expect((await readdir(dataRoot)).includes('.toa-clean-stop')).toBe(outcome === 'completed');

    await held.settle();
    const next = await startTestServer({ dir });
    started.push(next);
    const listed = listImportsResponseSchema.parse(await (await next.as(USER)(paths.imports('acme'))).json());
    expect(listed.total).toBe(2);
  });
});
