import { ERRORS, type ErrorCode, problemType } from '@toa/api/errors';
import { API_PREFIX, DOMAIN_SCOPED_PREFIXES } from '@toa/api/routes';
import { AppError } from '../errors.js';
import type { ClusterNode, ClusterPlacement, Limits } from '../config/schema.js';

export interface NginxSiteOptions {
  /** the `listen` parameters, such as `443 ssl` or `127.0.0.1:8080` */
  listen: string;
  serverName: string;
  /** both or neither; required when `listen` says `ssl` */
  certificate?: string;
  certificateKey?: string;
  /** what the header comment says the site was written from */
  source: string;
}

/** Seconds a client is told to wait when a node does not answer: about a restart. */
const NODE_DOWN_RETRY_SECONDS = 5;

/** How long nginx waits to connect to a node: they are on the same network; a node that does not accept at once is down. */
const CONNECT_TIMEOUT_SECONDS = 3;

/** Idle connections to each node that each nginx worker keeps open for the next request. */
const KEEPALIVE_CONNECTIONS = 16;
/**
 * How long nginx keeps such a connection idle: below the server's own 5 s
 * (server.ts), so nginx never sends a request on a connection the node is
 * closing just then (a POST there is not retried: the client would get a 502).
 */
const KEEPALIVE_IDLE_SECONDS = 4;

const upstreamOf = (node: ClusterNode): string => `toa_node_${node.name.replaceAll('-', '_')}`;
const ANY_NODE = 'toa_any_node';

/** `map $uri <variable>`: each domain-scoped path of an owned domain to `value(owner)`, anything else to `fallback`. */
function domainMap(cluster: Pick<ClusterPlacement, 'nodes'>, variable: string, fallback: string, value: (node: ClusterNode) => string): string[] {
  const domainPaths = DOMAIN_SCOPED_PREFIXES.join('|');
  const owned = cluster.nodes.flatMap((node) => node.domains.map((code) => ({ code, node })));
  return [
    `map $uri ${variable} {`,
    `  default ${fallback};`,
    ...owned.map(({ code, node }) => `  ~^${API_PREFIX}/(?:${domainPaths})/${code}(?:/|$) ${value(node)};`),
    '}',
  ];
}

/** `$toa_node`: the name of the node that owns the path's domain, for the problems nginx answers itself. */
const nodeNameMap = (cluster: Pick<ClusterPlacement, 'nodes'>): string[] => domainMap(cluster, '$toa_node', '"any node"', (node) => node.name);

/**
 * `$toa_instance`: the problem's `instance` member (RFC 9457 §3.1.5), the
 * request's own URI as the client sent it, with its leading comma; empty
 * for a URI holding anything beyond URI characters (RFC 3986), since nginx
 * cannot escape a value for JSON in a `return` body: a `"` or `\` the
 * client sent raw would otherwise break out of the string.
 */
const instanceMap = (): string[] => [
  'map $request_uri $toa_instance {',
  "  default '';",
  `  "~^[A-Za-z0-9._~:/?@!&()*+,;=%-]*$" ',"instance":"$request_uri"';`,
  '}',
];

/**
 * The directives that answer a problem (RFC 9457) from nginx itself;
 * `$toa_node` in `detail` names the node, `$toa_instance` adds `instance`.
 */
function problemAnswer(status: number, code: ErrorCode, detail: string): string[] {
  const body = JSON.stringify({ type: problemType(code), title: ERRORS[code].title, status, detail, code }).replace(/\}$/, '$toa_instance}');
  return [
    'default_type application/problem+json;',
    ...(status === 502 ? [`add_header Retry-After ${NODE_DOWN_RETRY_SECONDS} always;`] : []),
    `return ${status} '${body}';`,
  ];
}

const nodeDown = (): string[] =>
  problemAnswer(
    502,
    'NODE_UNAVAILABLE',
    'the TOA server for this request ($toa_node) is not answering; domains on other nodes are not affected; try again shortly',
  );

const indent = (lines: string[], depth: number): string[] => lines.map((line) => `${' '.repeat(depth)}${line}`);

/**
 * How long a proxy in front of a node waits, in seconds, so the server's own
 * refusals (408, 503) come first: `readSeconds` for the answer (an upload's
 * message waits for a mail worker, then is parsed), `bodySeconds` between two
 * reads or writes of a request body. The cluster's nginx site and the
 * Kubernetes Ingress (deploy/k8s/render.mjs) both use it.
 */
export function proxyTimeouts(limits: Pick<Limits, 'parseWaitSeconds' | 'parseTimeoutSeconds' | 'bodyIdleSeconds'>): {
  readSeconds: number;
  bodySeconds: number;
} {
  return { readSeconds: limits.parseWaitSeconds + limits.parseTimeoutSeconds + 30, bodySeconds: limits.bodyIdleSeconds + 5 };
}

/**
 * The nginx site (an `http`-context include, as Debian's sites-available
 * holds) that fronts a cluster: every domain-scoped path
 * (`/api/{import,domains,admin}/<domain>…`, the list comes from
 * `@toa/api/routes`) goes to the node that owns the domain; everything else
 * (the task pane, `/api/me`, `/api/domains`, `/api/health`) to any node that
 * answers. The body limit and timeouts follow `limits`, so the server's own
 * refusals (413, 408) come before nginx's; what nginx itself answers (a node
 * down, a timeout, a body far too large) is a JSON problem (RFC 9457), never
 * its HTML page. Paths are matched on nginx's decoded `$uri`, as the server's
 * gate decodes the domain segment. `GET /metrics` answers 404 here: scrapers
 * reach each node directly, and a node behind a front on another host sees
 * every user as the front's address, which `metrics.allow` may admit.
 */
export function nginxSite(cluster: ClusterPlacement, limits: Limits, options: NginxSiteOptions): string {
  const tls = /\bssl\b/.test(options.listen);
  if (tls && !(options.certificate && options.certificateKey))
    throw new AppError('VALIDATION_FAILED', `listening with ssl ("${options.listen}") needs --certificate and --certificate-key`);
  const upstream = (name: string, nodes: readonly ClusterNode[], failover: boolean): string[] => [
    `upstream ${name} {`,
    // one server never counts as down (nginx ignores max_fails then); in the any-node group a failed one is skipped for 10 s
    ...nodes.map((node) => `  server ${new URL(node.url).host}${failover ? ' max_fails=1 fail_timeout=10s' : ''};`),
    `  keepalive ${KEEPALIVE_CONNECTIONS};`,
    `  keepalive_timeout ${KEEPALIVE_IDLE_SECONDS}s;`,
    '}',
  ];
  const { readSeconds, bodySeconds } = proxyTimeouts(limits);
  return [
    `# TOA cluster front (docs/scaling.md), written by "toa-server cluster nginx" from ${options.source}.`,
    '# Do not edit: change the cluster in the configuration, write this again, then "nginx -t && nginx -s reload".',
    '',
    ...cluster.nodes.flatMap((node) => upstream(upstreamOf(node), [node], false)),
    ...upstream(ANY_NODE, cluster.nodes, true),
    '',
    ...domainMap(cluster, '$toa_upstream', ANY_NODE, upstreamOf),
    ...nodeNameMap(cluster),
    ...instanceMap(),
    '',
    'server {',
    `  listen ${options.listen};`,
    `  server_name ${options.serverName};`,
    ...(tls ? [`  ssl_certificate ${options.certificate};`, `  ssl_certificate_key ${options.certificateKey};`] : []),
    '',
    '  # a little above the page limit (multipart framing): the server refuses a larger page itself, as a problem',
    `  client_max_body_size ${Math.ceil(limits.pageSizeMb) + 10}m;`,
    '  # uploads stream to the node as they arrive (its size and idle checks apply at once)',
    '  proxy_request_buffering off;',
    `  client_body_timeout ${bodySeconds}s;`,
    `  proxy_send_timeout ${bodySeconds}s;`,
    `  proxy_read_timeout ${readSeconds}s;`,
    `  proxy_connect_timeout ${CONNECT_TIMEOUT_SECONDS}s;`,
    // connections to the nodes are kept open between requests (upstream keepalive): HTTP/1.1 without "Connection: close"
    '  proxy_http_version 1.1;',
    '  proxy_set_header Connection "";',
    '  proxy_set_header Host $host;',
    '  proxy_set_header X-Forwarded-Proto $scheme;',
    '  proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;',
    '  # the server answers with its own problems; these are for what nginx answers itself',
    '  error_page 502 503 @toa_node_down;',
    '  error_page 504 @toa_node_timeout;',
    '  error_page 413 @toa_too_large;',
    '',
    '  location / {',
    '    proxy_pass http://$toa_upstream;',
    '  }',
    // through the front a node sees nginx's address, which metrics.allow may well admit; and "any node" is no scrape target
    '  location = /metrics {',
    ...indent(problemAnswer(404, 'NOT_FOUND', 'metrics are not served through the cluster front: scrape each node at its own URL'), 4),
    '  }',
    '  location @toa_node_down {',
    ...indent(nodeDown(), 4),
    '  }',
    '  location @toa_node_timeout {',
    ...indent(problemAnswer(504, 'NODE_TIMEOUT', `the TOA server for this request ($toa_node) did not answer within ${readSeconds} s`), 4),
    '  }',
    '  location @toa_too_large {',
    ...indent(problemAnswer(413, 'PAYLOAD_TOO_LARGE', `the request body is larger than the page size limit of ${limits.pageSizeMb} MB`), 4),
    '  }',
    '}',
    '',
  ].join('\n');
}

/**
 * An nginx server (an `http`-context include) that answers every request
 * with the problem the cluster site answers for a node that is down: 502
 * `NODE_UNAVAILABLE` with `Retry-After`, naming the node that owns the
 * path's domain. It backs the Kubernetes Ingress's `default-backend`, which
 * ingress-nginx uses when a shard's Service has no ready pod, so clients get
 * the API's problem there too instead of ingress-nginx's HTML page.
 * `GET /healthz` answers 200 for its own probes.
 */
export function nodeDownSite(cluster: Pick<ClusterPlacement, 'nodes'>, options: { listen: string; source: string }): string {
  return [
    `# TOA: the answer for a shard with no ready pod (docs/deployment.md#kubernetes), written from ${options.source}.`,
    '',
    ...nodeNameMap(cluster),
    ...instanceMap(),
    '',
    'server {',
    `  listen ${options.listen};`,
    '  location = /healthz {',
    '    default_type text/plain;',
    "    return 200 'ok';",
    '  }',
    '  location / {',
    ...indent(nodeDown(), 4),
    '  }',
    '}',
    '',
  ].join('\n');
}
