import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from './load-config.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'toa-cluster-config-'));
});
afterEach(() => rm(dir, { recursive: true, force: true }));

const domain = (code: string) => ({
  code,
  name: code.toUpperCase(),
  templates: { file: `./${code}.xml` },
  archive: { type: 'filesystem', root: `./archive/${code}` },
});

const base = {
  timeZone: 'Europe/Prague',
  domains: [domain('acme'), domain('globex'), domain('initech')],
  cluster: {
    self: 'toa-1',
    nodes: [
      { name: 'toa-1', url: 'http://10.0.0.11:3100', domains: ['acme', 'globex'] },
      { name: 'toa-2', url: 'http://10.0.0.12:3100', domains: ['initech'] },
    ],
  },
};

async function load(content: unknown, env: NodeJS.ProcessEnv = {}) {
  const file = path.join(dir, 'toa.json');
  await writeFile(file, JSON.stringify(content));
  return loadConfig({ file, env });
}

async function problems(content: unknown, env: NodeJS.ProcessEnv = {}): Promise<string[]> {
  try {
    await load(content, env);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems.map((p) => p.replace(`${path.join(dir, 'toa.json')}: `, ''));
    throw error;
  }
  throw new Error('expected a ConfigError');
}

describe('the cluster description', () => {
  it('is optional: without it the server serves every domain', async () => {
    const { cluster: _, ...single } = base;
    const config = await load(single);
    expect(config.cluster).toBeUndefined();
    expect(config.domains.map((d) => d.code)).toEqual(['acme', 'globex', 'initech']);
  });

  it('gives the node its own domains to serve and every domain to list', async () => {
    const config = await load(base);
    expect(config.domains.map((d) => d.code)).toEqual(['acme', 'globex']);
    expect(config.cluster?.domains.map((d) => d.code)).toEqual(['acme', 'globex', 'initech']);
    expect(config.cluster?.self.name).toBe('toa-1');
    expect(config.cluster?.owners.initech?.url).toBe('http://10.0.0.12:3100');
    // the paths of another node's domains are resolved too: the directory shows them
    expect(config.cluster?.domains[2]?.templates).toEqual({ file: path.join(dir, 'initech.xml') });
  });

  it('takes the node from TOA_NODE, so one file serves every node', async () => {
    const config = await load(base, { TOA_NODE: 'toa-2' });
    expect(config.cluster?.self.name).toBe('toa-2');
    expect(config.domains.map((d) => d.code)).toEqual(['initech']);
    expect(config.source.environment).toContain('TOA_NODE');
  });

  it('lists every problem at once, naming the key', async () => {
    const found = await problems({
      ...base,
      domains: [...base.domains, domain('hooli')],
      cluster: {
        self: 'toa-9',
        nodes: [
          { name: 'toa-1', url: 'http://10.0.0.11:3100', domains: ['acme', 'globex'] },
          { name: 'toa-1', url: 'http://10.0.0.11:3100/', domains: ['acme', 'umbrella'] },
          { name: 'Toa_3', url: 'http://u:p@10.0.0.13:3100/toa', domains: ['initech'] },
        ],
      },
    });
    expect(found).toEqual(
      expect.arrayContaining([
        'cluster.nodes[2].name: must be a node name: lower-case letters, digits and "-", such as "toa-1"',
        'cluster.nodes[2].url: must not contain credentials (user:password@); name the environment variable that holds them instead',
        "cluster.nodes[2].url: must be the server's origin, without a path",
      ]),
    );
    // the cross-checks run once every node reads well
    const crossed = await problems({
      ...base,
      domains: [...base.domains, domain('hooli')],
      cluster: {
        self: 'toa-9',
        nodes: [
          { name: 'toa-1', url: 'http://10.0.0.11:3100', domains: ['acme', 'globex'] },
          { name: 'toa-1', url: 'http://10.0.0.11:3100/', domains: ['acme', 'umbrella'] },
          { name: 'toa-3', url: 'http://10.0.0.13:3100', domains: ['initech'] },
        ],
      },
    });
    expect(crossed).toEqual([
      'cluster.nodes[1].name: duplicate node name "toa-1"',
      'cluster.nodes[1].url: http://10.0.0.11:3100 is also the URL of node "toa-1"',
      'cluster.nodes[1].domains[0]: "acme" is already owned by node "toa-1"; a domain has one owner',
      'cluster.nodes[1].domains[1]: "umbrella" is not a configured domain',
      'domains[3].code: "hooli" is owned by no node; list it under one of cluster.nodes[].domains',
      'cluster.self: "toa-9" is not one of the nodes (toa-1, toa-3)',
    ]);
  });

  it('names the variable when TOA_NODE is wrong, and refuses TOA_NODE without a cluster', async () => {
    expect(await problems(base, { TOA_NODE: 'toa-7' })).toEqual(['TOA_NODE: "toa-7" is not one of the nodes (toa-1, toa-2), not "toa-7"']);
    const { cluster: _, ...single } = base;
    expect((await problems(single, { TOA_NODE: 'toa-1' }))[0]).toMatch(/^TOA_NODE: names this process's node \("toa-1"\), but .* has no cluster$/);
    const { self: __, ...noSelf } = base.cluster;
    expect(await problems({ ...base, cluster: noSelf })).toEqual(['cluster.self: name the node this process is (or set TOA_NODE)']);
  });

  it('needs no node for a command about the whole cluster (the nginx site, on a host that is no node)', async () => {
    const { self: _, ...noSelf } = base.cluster;
    const file = path.join(dir, 'toa.json');
    await writeFile(file, JSON.stringify({ ...base, cluster: noSelf }));
    const config = loadConfig({ file, env: {}, wholeCluster: true });
    expect(config.cluster?.nodes.map((n) => [n.name, n.domains])).toEqual(base.cluster.nodes.map((n) => [n.name, n.domains]));
    // TOA_NODE still names the node, and is still checked
    expect(loadConfig({ file, env: { TOA_NODE: 'toa-2' }, wholeCluster: true }).cluster?.self.name).toBe('toa-2');
    expect(() => loadConfig({ file, env: { TOA_NODE: 'toa-7' }, wholeCluster: true })).toThrow(ConfigError);
  });
});
