import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { problemSchema } from '@toa/api/errors';
import { API_PREFIX, DOMAIN_SCOPED_PREFIXES } from '@toa/api/routes';
import { nginxMainConfig, startNginx } from '@toa/fixtures/nginx';
import { freePort } from '@toa/fixtures/ports';
import { loadConfig } from '@toa/server/dist/config/load-config.js';
import { parseAllDocuments } from 'yaml';
import { describe, expect, it } from 'vitest';
// @ts-expect-error: a plain ESM script operators run with node; its shapes are checked by these tests
import { render, toYaml } from '../k8s/render.mjs';
import { type Manifest, schemaProblems, unknownFields } from './support/kubernetes.js';

/**
 * Issue 13: the Kubernetes manifests, rendered from the example site and
 * validated offline against the API schemas of a current Kubernetes release
 * (kubernetes-models), with no cluster. The checked-in example is what the
 * renderer writes, so what operators read is what is validated.
 */

const k8sDir = path.join(import.meta.dirname, '..', 'k8s');
const site = JSON.parse(readFileSync(path.join(k8sDir, 'site.example.json'), 'utf8')) as {
  namespace: string;
  shards: string[][];
  config: { domains: Array<{ code: string }> };
};
/** A manifest read loosely: the tests walk paths the schemas already checked. */
// biome-ignore lint/suspicious/noExplicitAny: manifests are untyped JSON trees here; their shapes are what the schema tests check
type Tree = Record<string, any>;
const manifests = render(site) as Manifest[];
const byKind = (kind: string) => manifests.filter((m) => m.kind === kind) as Array<Manifest & Tree>;
const statefulSet = byKind('StatefulSet')[0] as Tree;
const container = statefulSet.spec.template.spec.containers[0];

describe('the Kubernetes manifests of the example site', () => {
  it('are what deploy/k8s/example/toa.yaml holds', () => {
    const example = readFileSync(path.join(k8sDir, 'example', 'toa.yaml'), 'utf8');
    expect(example).toBe(`# rendered by deploy/k8s/render.mjs from site.example.json\n${toYaml(manifests)}`);
    expect(parseAllDocuments(example).map((doc) => doc.toJS())).toEqual(manifests);
  });

  it('pass the JSON schemas of the Kubernetes API', () => {
    expect(schemaProblems(manifests)).toEqual([]);
  });

  it('use no field the API does not know, at any depth', () => {
    expect(unknownFields(manifests)).toEqual([]);
  });

  it('the checks find a wrong type, a missing field and a misspelt one', () => {
    const broken = structuredClone(manifests);
    const set = broken.find((m) => m.kind === 'StatefulSet') as Tree;
    set.spec.template.spec.containers[0].ports[0].containerPort = '3100';
    delete set.spec.selector;
    expect(schemaProblems(broken)).toEqual([
      'StatefulSet/toa/spec: must have required property selector',
      'StatefulSet/toa/spec/template/spec/containers/0/ports/0/containerPort: must be integer',
    ]);

    const misspelt = structuredClone(manifests);
    const container = (misspelt.find((m) => m.kind === 'StatefulSet') as Tree).spec.template.spec.containers[0];
    container.readinesProbe = container.readinessProbe;
    // the JSON schemas let an unknown field through (the API server would drop it); the typed check does not
    expect(schemaProblems(misspelt)).toEqual([]);
    expect(unknownFields(misspelt)).toEqual([expect.stringMatching(/^StatefulSet\/toa: .*readinesProbe"' does not exist in type 'IContainer'/)]);
  });

  it('run each shard as a pod of one StatefulSet with its own ReadWriteOnce volume, kept when the set is deleted or scaled down', () => {
    expect(statefulSet.spec.replicas).toBe(site.shards.length);
    expect(statefulSet.spec.updateStrategy.type).toBe('RollingUpdate');
    expect(statefulSet.spec.volumeClaimTemplates).toHaveLength(1);
    expect(statefulSet.spec.volumeClaimTemplates[0].spec.accessModes).toEqual(['ReadWriteOnce']);
    expect(statefulSet.spec.persistentVolumeClaimRetentionPolicy).toEqual({ whenDeleted: 'Retain', whenScaled: 'Retain' });
    expect(container.volumeMounts).toContainEqual({ name: 'data', mountPath: '/var/lib/toa' });
  });

  it('probe readiness with ?probe=ready and liveness with ?probe=live, on the container port', () => {
    expect(container.readinessProbe.httpGet).toEqual({ path: '/api/health?probe=ready', port: 'http' });
    expect(container.livenessProbe.httpGet).toEqual({ path: '/api/health?probe=live', port: 'http' });
    expect(container.startupProbe.httpGet).toEqual({ path: '/api/health?probe=live', port: 'http' });
    expect(container.ports).toEqual([{ name: 'http', containerPort: 3100, protocol: 'TCP' }]);
  });

  it('take the configuration from the ConfigMap, the node from the pod name and the secrets from the Secret', () => {
    const [configMap] = byKind('ConfigMap') as Array<Tree>;
    expect(statefulSet.spec.template.spec.volumes).toContainEqual({ name: 'config', configMap: { name: configMap?.metadata.name } });
    expect(container.env).toContainEqual({ name: 'TOA_CONFIG', value: '/etc/toa/toa.json' });
    expect(container.env).toContainEqual({ name: 'TOA_NODE', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } });
    expect(container.envFrom).toEqual([{ secretRef: { name: 'toa-secrets' } }]);
    // no secret value in any manifest: the configuration names variables only
    expect(JSON.stringify(manifests)).not.toMatch(/"(token|password|credentials)"\s*:/i);
  });

  it('hold a configuration the server accepts on every shard, with the shards as the cluster nodes', () => {
    const [configMap] = byKind('ConfigMap') as Array<Tree>;
    const dir = mkdtempSync(path.join(tmpdir(), 'toa-k8s-config-'));
    try {
      const file = path.join(dir, 'toa.json');
      writeFileSync(file, configMap?.data['toa.json']);
      for (const [index, domains] of site.shards.entries()) {
        // as the pod reads it: the file TOA_CONFIG names, the node its pod name (TOA_NODE)
        const config = loadConfig({ env: { TOA_CONFIG: file, TOA_NODE: `toa-${index}` } });
        expect(config.production).toBe(true);
        expect(config.domains.map((d) => d.code)).toEqual(domains);
        expect(config.cluster?.self.name).toBe(`toa-${index}`);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('route every domain’s paths to the Service of the shard that owns it, and the rest to any ready shard', () => {
    const [ingress] = byKind('Ingress') as Array<Tree>;
    expect(ingress?.spec.ingressClassName).toBe('nginx');
    const paths = ingress?.spec.rules[0].http.paths as Array<{ path: string; pathType: string; backend: { service: { name: string } } }>;
    const routes = Object.fromEntries(paths.map((p) => [p.path, p.backend.service.name]));
    for (const [index, domains] of site.shards.entries()) {
      for (const code of domains) {
        // the same routes the server answers 421 for on another node
        for (const prefix of DOMAIN_SCOPED_PREFIXES) expect(routes[`${API_PREFIX}/${prefix}/${code}`], `${prefix}/${code}`).toBe(`toa-${index}`);
      }
    }
    expect(routes['/']).toBe('toa');
    expect(paths).toHaveLength(site.config.domains.length * DOMAIN_SCOPED_PREFIXES.length + 1);
    expect(new Set(paths.map((p) => p.pathType))).toEqual(new Set(['Prefix']));
    // a shard's Service selects its one pod; the catch-all selects every shard
    const services = Object.fromEntries(byKind('Service').map((s) => [s.metadata.name, (s as Tree).spec.selector]));
    expect(services['toa-1']).toMatchObject({ 'statefulset.kubernetes.io/pod-name': 'toa-1' });
    expect(services.toa).not.toHaveProperty(['statefulset.kubernetes.io/pod-name']);
    expect(ingress?.metadata.annotations['nginx.ingress.kubernetes.io/proxy-body-size']).toBe('101m');
  });

  it('give the Ingress the timeouts the cluster nginx site derives from limits', () => {
    // docs/scaling.md: read = parseWaitSeconds + parseTimeoutSeconds + 30, send = bodyIdleSeconds + 5
    const limits = { parseWaitSeconds: 100, parseTimeoutSeconds: 50, bodyIdleSeconds: 20 };
    const [tuned] = (render({ ...site, config: { ...site.config, limits } }) as Array<Tree>).filter((m) => m.kind === 'Ingress');
    expect(tuned?.metadata.annotations).toMatchObject({
      'nginx.ingress.kubernetes.io/proxy-read-timeout': '180',
      'nginx.ingress.kubernetes.io/proxy-send-timeout': '25',
    });
  });

  it('let a drain take one shard at a time', () => {
    const [budget] = byKind('PodDisruptionBudget') as Array<Tree>;
    expect(budget?.spec).toEqual({ maxUnavailable: 1, selector: statefulSet.spec.selector });
  });

  it('refuse a site whose shards and domains disagree, naming each problem', () => {
    expect(() => render({ ...site, shards: [['acme', 'nowhere'], ['acme']] })).toThrow(
      /"nowhere" is not a configured domain[\s\S]*"acme" is already on shard 0[\s\S]*domain "globex" is on no shard/,
    );
  });

  it('send the requests of a shard with no ready pod to a backend of their own, and only those', () => {
    const [ingress] = byKind('Ingress') as Array<Tree>;
    const annotations = ingress?.metadata.annotations as Record<string, string>;
    expect(annotations['nginx.ingress.kubernetes.io/default-backend']).toBe('toa-node-down');
    // custom-http-errors would hand the servers' own 503s (a drained domain, a starting node) to that backend too
    expect(Object.keys(annotations).filter((key) => key.includes('custom-http-errors'))).toEqual([]);
    const [service] = byKind('Service').filter((s) => s.metadata.name === 'toa-node-down') as Array<Tree>;
    const [deployment] = byKind('Deployment') as Array<Tree>;
    expect(service?.spec.selector).toEqual(deployment?.spec.template.metadata.labels);
    // no selector of the shards picks its pods, nor its selector a shard
    const podLabels = deployment?.spec.template.metadata.labels as Record<string, string>;
    const selects = (selector: Record<string, string>, labels: Record<string, string>) => Object.entries(selector).every(([k, v]) => labels[k] === v);
    const shardSelectors = [
      ...byKind('Service')
        .filter((s) => s.metadata.name !== 'toa-node-down')
        .map((s) => (s as Tree).spec.selector),
      statefulSet.spec.selector.matchLabels,
      (byKind('PodDisruptionBudget')[0] as Tree).spec.selector.matchLabels,
    ];
    for (const selector of shardSelectors) expect(selects(selector, podLabels), JSON.stringify(selector)).toBe(false);
    expect(selects(service?.spec.selector, statefulSet.spec.template.metadata.labels)).toBe(false);
  });

  it('answer there, run by nginx, with the problem the cluster site answers for a node that is down, naming the shard', async () => {
    const [configMap] = byKind('ConfigMap').filter((m) => m.metadata.name === 'toa-node-down') as Array<Tree>;
    const [deployment] = byKind('Deployment') as Array<Tree>;
    const mount = deployment?.spec.template.spec.containers[0].volumeMounts.find((m: Tree) => m.name === 'site');
    expect(mount.mountPath).toBe('/etc/nginx/conf.d');
    const conf = configMap?.data['toa-node-down.conf'] as string;
    expect(conf).toContain('listen 8080;');
    const dir = mkdtempSync(path.join(tmpdir(), 'toa-k8s-node-down-'));
    const port = await freePort();
    try {
      // the image's nginx.conf includes conf.d/*.conf in its http block, as this main file includes the site
      const site = path.join(dir, 'toa-node-down.conf');
      writeFileSync(site, conf.replace('listen 8080;', `listen 127.0.0.1:${port};`));
      const nginx = await startNginx(path.join(dir, 'nginx'), await nginxMainConfig(path.join(dir, 'nginx'), site), port);
      try {
        for (const [pathname, shard] of [
          ['/api/import/initech/2026-11-21_0943-00000000/submit', 'toa-1'],
          ['/api/domains/acme/templates', 'toa-0'],
          ['/api/me', 'any node'],
        ] as const) {
          const answer = await fetch(`http://127.0.0.1:${port}${pathname}`, { method: 'POST' });
          expect(answer.status).toBe(502);
          expect(answer.headers.get('content-type')).toMatch(/^application\/problem\+json/);
          expect(answer.headers.get('retry-after')).toBe('5');
          expect(problemSchema.parse(await answer.json())).toMatchObject({
            status: 502,
            code: 'NODE_UNAVAILABLE',
            detail: expect.stringContaining(`(${shard})`),
            instance: pathname,
          });
        }
        expect((await fetch(`http://127.0.0.1:${port}/healthz`)).status).toBe(200);
      } finally {
        await nginx.stop();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
