import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ARCHIVE_CALL_LOG_FILE, type ArchiveCallEntry, ArchiveCallLog } from './call-log.js';

let dir: string;

beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'toa-call-log-'));
});

afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

function entry(attempt: number): ArchiveCallEntry {
  return {
    at: '2026-11-21T08:45:00.000Z',
    domain: 'acme',
    importId: '2026-11-21_0942-3fa85f64',
    idempotencyKey: '2026-11-21_0942-3fa85f64.9c1e0b7a44d2f0e1',
    client: 'http',
    target: 'https://archive.example/upload',
    attempt,
    outcome: 'error',
    status: 503,
    error: 'The archive answered 503 Service Unavailable.',
    durationMs: 12,
  };
}

describe('ArchiveCallLog', () => {
  it('writes one whole JSON line per entry, in call order, creating the folder', async () => {
    const logDir = path.join(dir, 'logs', 'nested');
    const log = new ArchiveCallLog(logDir);

    await Promise.all(Array.from({ length: 50 }, (_, index) => log.append(entry(index + 1))));
    await log.close();
    await log.append(entry(51));
    await log.close();

    const lines = (await readFile(path.join(logDir, ARCHIVE_CALL_LOG_FILE), 'utf8')).trimEnd().split('\n');
    expect(lines.map((line) => (JSON.parse(line) as ArchiveCallEntry).attempt)).toEqual(Array.from({ length: 51 }, (_, index) => index + 1));
  });

  it('reports a write failure to the server log instead of failing the caller', async () => {
    const blocked = path.join(dir, 'not-a-folder');
    await writeFile(blocked, '');
    const messages: string[] = [];
    const logger = pino({ level: 'warn' }, { write: (line: string) => messages.push(line) });
    const log = new ArchiveCallLog(blocked, logger);

    await expect(log.append(entry(1))).resolves.toBeUndefined();
    await log.close();

    expect(messages).toHaveLength(1);
    expect(messages[0]).toContain('could not write to the archive call log');
  });
});
