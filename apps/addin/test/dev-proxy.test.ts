import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { apiTarget } from '../vite.config';

let dir: string | undefined;
afterEach(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
  dir = undefined;
});

describe('the dev server proxy', () => {
  it('sends /api to the port and host the server listens on (TOA_PORT, TOA_HOST)', () => {
    expect(apiTarget({})).toBe('http://127.0.0.1:3100');
    expect(apiTarget({ TOA_PORT: '3250' })).toBe('http://127.0.0.1:3250');
    expect(apiTarget({ TOA_PORT: '3251', TOA_HOST: '::1' })).toBe('http://[::1]:3251');
  });

  it('follows the configuration file the server reads (TOA_CONFIG)', async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'toa-proxy-'));
    const file = path.join(dir, 'toa.json');
    const domain = { code: 'acme', name: 'ACME', templates: { file: './acme.xml' }, archive: { type: 'filesystem', root: './archive' } };
    await writeFile(file, JSON.stringify({ host: '127.0.0.1', port: 3260, domains: [domain] }));
    expect(apiTarget({ TOA_CONFIG: file })).toBe('http://127.0.0.1:3260');
    expect(apiTarget({ TOA_CONFIG: file, TOA_PORT: '3261' })).toBe('http://127.0.0.1:3261');
  });
});
