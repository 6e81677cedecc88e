import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { type Host, installRelease } from './support/host.js';

const exec = promisify(execFile);
const unitFile = path.resolve(import.meta.dirname, '..', 'share', 'systemd', 'toa-server.service');

/** `[Service]` settings of a unit file: key → every value given, in order. */
function serviceSettings(text: string): Map<string, string[]> {
  const settings = new Map<string, string[]>();
  let section = '';
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const header = /^\[(.+)\]$/.exec(line);
    if (header) {
      section = header[1] as string;
      continue;
    }
    const [key, ...value] = line.split('=');
    if (section === 'Service' && key) settings.set(key, [...(settings.get(key) ?? []), value.join('=')]);
  }
  return settings;
}

let host: Host;
let unit: string;
let work: string;
beforeAll(async () => {
  host = await installRelease(inject('releaseTarball'));
  unit = await readFile(unitFile, 'utf8');
  work = await mkdtemp(path.join(tmpdir(), 'toa-unit-'));
});
afterAll(async () => {
  await host?.close();
  if (work) await rm(work, { recursive: true, force: true });
});

describe('the systemd unit (share/systemd/toa-server.service)', () => {
  it('runs the release by its absolute path as the dedicated user, with the config, data and logs where the docs say', () => {
    const service = serviceSettings(unit);
    expect(service.get('ExecStart')).toEqual(['/opt/toa/bin/toa-server serve --config /etc/toa/toa.json']);
    expect(service.get('User')).toEqual(['toa']);
    expect(service.get('Group')).toEqual(['toa']);
    expect(service.get('StateDirectory')).toEqual(['toa']);
    expect(service.get('LogsDirectory')).toEqual(['toa']);
    expect(service.get('ConfigurationDirectory')).toEqual(['toa']);
    expect(service.get('ProtectSystem')).toEqual(['strict']);
    expect(service.get('NoNewPrivileges')).toEqual(['yes']);
    // the server's shutdown deadline is 15 s; systemd must not kill it first
    expect(Number.parseInt(service.get('TimeoutStopSec')?.[0] ?? '0', 10)).toBeGreaterThan(15);
  });

  it('the release is where ExecStart looks: bin/toa-server in the unpacked tarball', async () => {
    const { stdout } = await exec(host.bin, ['serve', '--help'], { env: host.env });
    expect(stdout).toMatch(/--config <file>/);
  });

  it('passes systemd-analyze verify, and its hardening scores 2.0 or better on systemd-analyze security', async () => {
    // verify checks that ExecStart exists: point it at the unpacked release, everything else exactly as shipped
    const installed = path.join(work, 'toa-server.service');
    await writeFile(installed, unit.replaceAll('/opt/toa/', `${host.release}/`));
    const verify = await exec('systemd-analyze', ['verify', installed]);
    expect(verify.stderr).toBe('');

    const security = await exec('systemd-analyze', ['security', '--offline=yes', '--no-pager', installed]);
    const exposure = /Overall exposure level for toa-server\.service: ([\d.]+)/.exec(security.stdout)?.[1];
    expect(exposure).toBeDefined();
    expect(Number(exposure)).toBeLessThanOrEqual(2.0);
  });

  it('systemd-analyze verify would report a mistyped setting (the check above can fail)', async () => {
    const broken = path.join(work, 'broken.service');
    await writeFile(broken, unit.replaceAll('/opt/toa/', `${host.release}/`).replace('ProtectSystem=', 'ProtectSystm='));
    const verify = await exec('systemd-analyze', ['verify', broken]);
    expect(verify.stderr).toMatch(/Unknown key 'ProtectSystm'/);
  });
});
