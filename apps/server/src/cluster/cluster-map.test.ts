import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../config/load-config.js';
import type { ClusterPlacement } from '../config/schema.js';
import { ClusterMap, reloadClusterMap } from './cluster-map.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'toa-cluster-map-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

const CODES = ['acme', 'globex', 'initech'];

/** The placement node `self` reads from a configuration where `owners` places the domains. */
async function placement(self: string, owners: Record<string, string>, codes = CODES): Promise<ClusterPlacement> {
  const file = path.join(dir, `toa-${Math.random().toString(16).slice(2)}.json`);
  const names = ['toa-1', 'toa-2', 'toa-3'];
  await writeFile(
    file,
    JSON.stringify({
      timeZone: 'Europe/Prague',
      domains: codes.map((code) => ({ code, name: code, templates: { file: './c.xml' }, archive: { type: 'filesystem', root: `./archive/${code}` } })),
      cluster: {
        self,
        nodes: names.map((name, i) => ({ name, url: `http://127.0.0.1:310${i + 1}`, domains: codes.filter((code) => owners[code] === name) })),
      },
    }),
  );
  const cluster = loadConfig({ file, env: {} }).cluster;
  if (!cluster) throw new Error('no cluster');
  return cluster;
}

const START = { acme: 'toa-1', globex: 'toa-1', initech: 'toa-2' };

describe('a running node’s cluster map', () => {
  it('takes a map that moves a domain away, one that moves another here, and one that moves others elsewhere, saying which is which', async () => {
    const map = new ClusterMap(await placement('toa-1', START));
    const change = map.replace(await placement('toa-1', { acme: 'toa-3', globex: 'toa-1', initech: 'toa-1' }));
    expect(change).toEqual({ released: ['acme'], arrived: ['initech'], movedElsewhere: [] });
    expect(map.ownerOf('acme')?.name).toBe('toa-3');
    // acme is no longer served here; initech only once the server has opened it
    expect([map.serves('acme'), map.serves('globex'), map.serves('initech')]).toEqual([false, true, false]);

    expect(map.replace(await placement('toa-1', { acme: 'toa-2', globex: 'toa-1', initech: 'toa-1' }))).toEqual({
      released: [],
      arrived: ['initech'],
      movedElsewhere: ['acme'],
    });
    map.serve('initech');
    // a domain the map places elsewhere is never served
    map.serve('acme');
    expect([map.serves('acme'), map.serves('initech')]).toEqual([false, true]);
    // acme comes back: another copy, opened again
    expect(map.replace(await placement('toa-1', { acme: 'toa-1', globex: 'toa-1', initech: 'toa-1' }))).toEqual({
      released: [],
      arrived: ['acme'],
      movedElsewhere: [],
    });
  });

  it('refuses, keeping its map, a configuration without a cluster, naming it otherwise, or with other domains', async () => {
    const start = await placement('toa-1', START);
    const map = new ClusterMap(start);
    expect(() => map.replace(undefined)).toThrow('has no cluster');
    expect(() => map.replace({ ...start, self: { ...start.self, name: 'toa-9' } })).toThrow('names this node "toa-9", not "toa-1"');
    await expect(placement('toa-1', { ...START, umbrella: 'toa-3' }, [...CODES, 'umbrella']).then((next) => map.replace(next))).rejects.toThrow(
      'other domains than the running server',
    );
    expect(map.current).toBe(start);
  });

  it('keeps the running map when the configuration read again is broken, and logs why', async () => {
    const start = await placement('toa-1', START);
    const map = new ClusterMap(start);
    const lines: string[] = [];
    const logger = pino({ level: 'info' }, { write: (line: string) => lines.push(line) });
    const change = reloadClusterMap(
      map,
      () => {
        throw new Error('toa.json: Unexpected token } in JSON');
      },
      logger,
    );
    expect(change).toBeUndefined();
    expect(map.current).toBe(start);
    expect(lines.join('')).toContain('the cluster map was not reloaded, the running one is kept: toa.json: Unexpected token');
  });
});
