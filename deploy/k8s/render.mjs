#!/usr/bin/env node
/**
 * Renders the Kubernetes manifests of a TOA site from one site description
 * (JSON): one StatefulSet whose pods are the shards (`<name>-0`, `<name>-1`, …,
 * each with its own ReadWriteOnce volume), a Service per shard, a Service over
 * every ready shard, the headless Service that names the pods, a
 * PodDisruptionBudget, the configuration as a ConfigMap (with the cluster
 * description every node shares), an Ingress for ingress-nginx that routes
 * each domain's paths to the shard that owns it, and the Ingress's default
 * backend (nginx answering a JSON problem for a shard with no ready pod).
 * docs/deployment.md#kubernetes
 *
 *   node deploy/k8s/render.mjs deploy/k8s/site.example.json > toa.yaml
 *   kubectl apply -f toa.yaml
 *
 * Plain manifests, no templating engine: this script is the only logic, and
 * its output is what `kubectl apply` gets (deploy/k8s/example/toa.yaml is the
 * example site's, kept current by a test that also validates it against the
 * Kubernetes API schemas).
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { nodeDownSite, proxyTimeouts } from '@toa/server/dist/cluster/nginx-site.js';
import { limitsSchema } from '@toa/server/dist/config/schema.js';
import { stringify } from 'yaml';

/** Where the image keeps what the pod mounts (see the Dockerfile). */
const PORT = 3100;
const VOLUME_ROOT = '/var/lib/toa';
const CONFIG_DIR = '/etc/toa';
const UID = 1000;
/** Above `limits.pageSizeMb`: the multipart envelope around the largest page. */
const BODY_MARGIN_MB = 1;
/** nginx's own unprivileged image (runs as uid 101, listens on 8080): answers for a shard with no ready pod. */
const NODE_DOWN_IMAGE = 'nginxinc/nginx-unprivileged:1.27-alpine';
const NODE_DOWN_PORT = 8080;

/**
 * The site description:
 * - `name` (default `toa`), `namespace`, `image`: the image the Dockerfile builds, pushed to your registry
 * - `host`: the name users reach; `tlsSecretName`: its certificate (a `kubernetes.io/tls` Secret); `ingressClassName` (default `nginx`)
 * - `storage`: `{ size, storageClassName? }` of each shard's volume
 * - `resources`: the container's requests and limits
 * - `secretName`: the Secret whose keys become environment variables (the variables `…Env` keys name)
 * - `shards`: one list of domain codes per shard, in order (`[]`: a spare)
 * - `nodeDownImage`: the nginx image that answers for a shard with no ready pod (default nginx's unprivileged one; mirror it where pulls are restricted)
 * - `config`: the server configuration (configuration.md) without what the pod fixes: host, port, paths, production, cluster
 *
 * @param {Record<string, any>} site
 * @returns {Array<Record<string, any>>} the manifests, in the order `kubectl apply` should create them
 */
export function render(site) {
  const problems = check(site);
  if (problems.length > 0) throw new Error(`the site description has problems:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  const name = site.name ?? 'toa';
  const { namespace } = site;
  const headless = `${name}-nodes`;
  const shards = site.shards.map((domains, index) => ({ node: `${name}-${index}`, domains }));
  const labels = { 'app.kubernetes.io/name': 'toa', 'app.kubernetes.io/instance': name };
  const meta = (objectName) => ({ name: objectName, namespace, labels });

  const config = {
    ...site.config,
    host: '0.0.0.0',
    port: PORT,
    production: true,
    dataRoot: `${VOLUME_ROOT}/data`,
    // the audit and archive-call logs sit on the shard's volume, so its snapshots hold them too
    logDir: `${VOLUME_ROOT}/logs`,
    // the server log goes to the container's stdout, where the cluster collects it
    logOutput: 'stdout',
    cluster: {
      // each pod names itself through TOA_NODE (its pod name)
      nodes: shards.map(({ node, domains }) => ({ name: node, url: `http://${node}.${headless}.${namespace}.svc.cluster.local:${PORT}`, domains })),
    },
  };
  const configJson = `${JSON.stringify(config, null, 2)}\n`;
  const limits = limitsSchema.parse(site.config.limits ?? {});
  const { pageSizeMb } = limits;
  const timeouts = proxyTimeouts(limits);

  const configMap = { apiVersion: 'v1', kind: 'ConfigMap', metadata: meta(`${name}-config`), data: { 'toa.json': configJson } };
  // labels of its own: the shards' selectors (their Services, the StatefulSet, the budget) must never pick these pods
  const nodeDownLabels = { 'app.kubernetes.io/name': 'toa-node-down', 'app.kubernetes.io/instance': name };
  const nodeDown = nodeDownBackend(`${name}-node-down`, namespace, nodeDownLabels, site.nodeDownImage ?? NODE_DOWN_IMAGE, {
    'toa-node-down.conf': nodeDownSite(config.cluster, { listen: String(NODE_DOWN_PORT), source: 'the site description' }),
  });

  const port = [{ name: 'http', port: PORT, targetPort: 'http', protocol: 'TCP' }];
  const nodesService = {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: meta(headless),
    // the pods' own DNS names (<pod>.<name>-nodes), ready or not, as the cluster description gives them
    spec: { clusterIP: 'None', publishNotReadyAddresses: true, selector: labels, ports: port },
  };
  const anyService = { apiVersion: 'v1', kind: 'Service', metadata: meta(name), spec: { type: 'ClusterIP', selector: labels, ports: port } };
  const shardServices = shards.map(({ node }) => ({
    apiVersion: 'v1',
    kind: 'Service',
    metadata: meta(node),
    spec: { type: 'ClusterIP', selector: { ...labels, 'statefulset.kubernetes.io/pod-name': node }, ports: port },
  }));

  const probe = (kind, timing) => ({ httpGet: { path: `/api/health?probe=${kind}`, port: 'http' }, timeoutSeconds: 5, ...timing });
  const statefulSet = {
    apiVersion: 'apps/v1',
    kind: 'StatefulSet',
    metadata: meta(name),
    spec: {
      serviceName: headless,
      replicas: shards.length,
      // shards are independent: none waits for another to start
      podManagementPolicy: 'Parallel',
      // one pod at a time, the next only once the last is ready again
      updateStrategy: { type: 'RollingUpdate', rollingUpdate: { partition: 0 } },
      // a shard's volume is its domains' only copy: never deleted with the StatefulSet or a scale-down
      persistentVolumeClaimRetentionPolicy: { whenDeleted: 'Retain', whenScaled: 'Retain' },
      selector: { matchLabels: labels },
      template: {
        metadata: {
          labels,
          // a changed configuration rolls the pods (the server reads it at start)
          annotations: { 'checksum/config': createHash('sha256').update(configJson).digest('hex') },
        },
        spec: {
          // the server finishes what is in flight within 15 s of SIGTERM
          terminationGracePeriodSeconds: 30,
          securityContext: {
            runAsNonRoot: true,
            runAsUser: UID,
            runAsGroup: UID,
            fsGroup: UID,
            fsGroupChangePolicy: 'OnRootMismatch',
            seccompProfile: { type: 'RuntimeDefault' },
          },
          // one shard per machine where there are enough: a machine lost takes one shard's domains, not several
          affinity: {
            podAntiAffinity: {
              preferredDuringSchedulingIgnoredDuringExecution: [
                { weight: 100, podAffinityTerm: { topologyKey: 'kubernetes.io/hostname', labelSelector: { matchLabels: labels } } },
              ],
            },
          },
          containers: [
            {
              name: 'toa-server',
              image: site.image,
              args: ['serve'],
              ports: [{ name: 'http', containerPort: PORT, protocol: 'TCP' }],
              env: [
                { name: 'TOA_CONFIG', value: `${CONFIG_DIR}/toa.json` },
                { name: 'TOA_NODE', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
              ],
              envFrom: [{ secretRef: { name: site.secretName } }],
              resources: site.resources,
              // starting recovers the data root (a crash's leftovers): up to 10 minutes before liveness counts
              startupProbe: probe('live', { periodSeconds: 5, failureThreshold: 120 }),
              readinessProbe: probe('ready', { periodSeconds: 10, failureThreshold: 3 }),
              livenessProbe: probe('live', { periodSeconds: 20, failureThreshold: 6 }),
              securityContext: { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } },
              volumeMounts: [
                { name: 'data', mountPath: VOLUME_ROOT },
                { name: 'config', mountPath: CONFIG_DIR, readOnly: true },
                { name: 'tmp', mountPath: '/tmp' },
              ],
            },
          ],
          volumes: [
            { name: 'config', configMap: { name: configMap.metadata.name } },
            { name: 'tmp', emptyDir: {} },
          ],
        },
      },
      volumeClaimTemplates: [
        {
          metadata: { name: 'data', labels },
          spec: {
            // one writer: the data-root lock is per host, the volume never mounted twice
            accessModes: ['ReadWriteOnce'],
            ...(site.storage.storageClassName ? { storageClassName: site.storage.storageClassName } : {}),
            resources: { requests: { storage: site.storage.size } },
          },
        },
      ],
    },
  };

  const disruptionBudget = {
    apiVersion: 'policy/v1',
    kind: 'PodDisruptionBudget',
    metadata: meta(name),
    // a drain takes one shard at a time; a budget per shard (minAvailable 1 of 1) would block every drain
    spec: { maxUnavailable: 1, selector: { matchLabels: labels } },
  };

  const backend = (serviceName) => ({ service: { name: serviceName, port: { name: 'http' } } });
  const domainPaths = shards.flatMap(({ node, domains }) =>
    domains.flatMap((code) =>
      ['/api/import', '/api/domains', '/api/admin'].map((prefix) => ({ path: `${prefix}/${code}`, pathType: 'Prefix', backend: backend(node) })),
    ),
  );
  const ingress = {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'Ingress',
    metadata: {
      ...meta(name),
      annotations: {
        'nginx.ingress.kubernetes.io/proxy-body-size': `${pageSizeMb + BODY_MARGIN_MB}m`,
        // pages stream through to the server, which cuts an oversized one off (413) and keeps nothing
        'nginx.ingress.kubernetes.io/proxy-request-buffering': 'off',
        // the same rule as the cluster's nginx site (toa-server cluster nginx): the server's own 408 and 503 come first
        'nginx.ingress.kubernetes.io/proxy-read-timeout': String(timeouts.readSeconds),
        'nginx.ingress.kubernetes.io/proxy-send-timeout': String(timeouts.bodySeconds),
        // a shard with no ready pod: ingress-nginx sends its requests here (only then: without custom-http-errors the servers' own 503s pass as they are)
        'nginx.ingress.kubernetes.io/default-backend': nodeDown.service.metadata.name,
      },
    },
    spec: {
      ingressClassName: site.ingressClassName ?? 'nginx',
      tls: [{ hosts: [site.host], secretName: site.tlsSecretName }],
      rules: [
        {
          host: site.host,
          http: {
            // each domain's paths to its shard (the longest prefix wins); the rest to any ready shard
            paths: [...domainPaths, { path: '/', pathType: 'Prefix', backend: backend(name) }],
          },
        },
      ],
    },
  };

  return [
    configMap,
    nodesService,
    anyService,
    ...shardServices,
    statefulSet,
    disruptionBudget,
    nodeDown.configMap,
    nodeDown.deployment,
    nodeDown.service,
    ingress,
  ];
}

/**
 * The Ingress's default backend: nginx answering every request with the
 * problem the cluster nginx site answers for a node that is down (502
 * NODE_UNAVAILABLE, Retry-After, the shard named), from a ConfigMap.
 */
function nodeDownBackend(name, namespace, labels, image, files) {
  const meta = { name, namespace, labels };
  const configMap = { apiVersion: 'v1', kind: 'ConfigMap', metadata: meta, data: files };
  const probe = { httpGet: { path: '/healthz', port: 'http' }, periodSeconds: 10 };
  const deployment = {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: meta,
    spec: {
      // two, so that the answer for a shard that is down is not itself down while a machine drains
      replicas: 2,
      selector: { matchLabels: labels },
      template: {
        metadata: { labels, annotations: { 'checksum/config': createHash('sha256').update(JSON.stringify(files)).digest('hex') } },
        spec: {
          securityContext: { runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } },
          containers: [
            {
              name: 'nginx',
              image,
              ports: [{ name: 'http', containerPort: NODE_DOWN_PORT, protocol: 'TCP' }],
              readinessProbe: probe,
              livenessProbe: probe,
              resources: { requests: { cpu: '10m', memory: '16Mi' }, limits: { memory: '64Mi' } },
              securityContext: { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } },
              volumeMounts: [
                // replaces the image's default.conf: this server is the only one
                { name: 'site', mountPath: '/etc/nginx/conf.d', readOnly: true },
                { name: 'tmp', mountPath: '/tmp' },
              ],
            },
          ],
          volumes: [
            { name: 'site', configMap: { name } },
            { name: 'tmp', emptyDir: {} },
          ],
        },
      },
    },
  };
  const service = {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: meta,
    spec: { type: 'ClusterIP', selector: labels, ports: [{ name: 'http', port: NODE_DOWN_PORT, targetPort: 'http', protocol: 'TCP' }] },
  };
  return { configMap, deployment, service };
}

/** @param {Record<string, any>} site */
function check(site) {
  const problems = [];
  const dnsLabel = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
  for (const key of ['namespace', 'image', 'host', 'tlsSecretName', 'secretName']) {
    if (typeof site[key] !== 'string' || site[key] === '') problems.push(`${key}: required`);
  }
  if (site.name !== undefined && !(typeof site.name === 'string' && dnsLabel.test(site.name) && site.name.length <= 40))
    problems.push('name: lower-case letters, digits and "-", at most 40');
  if (typeof site.storage?.size !== 'string') problems.push('storage.size: required, such as "100Gi"');
  if (typeof site.config !== 'object' || site.config === null || !Array.isArray(site.config.domains))
    problems.push('config: the server configuration, with its domains');
  for (const key of ['host', 'port', 'dataRoot', 'logDir', 'logOutput', 'production', 'cluster']) {
    if (site.config && key in site.config) problems.push(`config.${key}: set by the pod; leave it out`);
  }
  if (!Array.isArray(site.shards) || site.shards.length === 0) {
    problems.push('shards: at least one list of domain codes');
    return problems;
  }
  const codes = new Set((site.config?.domains ?? []).map((domain) => domain.code));
  const owned = new Map();
  for (const [index, domains] of site.shards.entries()) {
    if (!Array.isArray(domains)) {
      problems.push(`shards[${index}]: a list of domain codes`);
      continue;
    }
    for (const code of domains) {
      if (!codes.has(code)) problems.push(`shards[${index}]: "${code}" is not a configured domain`);
      if (owned.has(code)) problems.push(`shards[${index}]: "${code}" is already on shard ${owned.get(code)}`);
      owned.set(code, index);
    }
  }
  for (const code of codes) if (!owned.has(code)) problems.push(`domain "${code}" is on no shard`);
  return problems;
}

/** The manifests as one YAML stream. */
export function toYaml(manifests) {
  return manifests.map((manifest) => stringify(manifest, { lineWidth: 0, aliasDuplicateObjects: false })).join('---\n');
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const file = process.argv[2];
  if (!file) {
    process.stderr.write('usage: node deploy/k8s/render.mjs SITE.json > toa.yaml\n');
    process.exit(2);
  }
  try {
    process.stdout.write(`# rendered by deploy/k8s/render.mjs from ${file.split('/').pop()}\n${toYaml(render(JSON.parse(readFileSync(file, 'utf8'))))}`);
  } catch (error) {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  }
}
