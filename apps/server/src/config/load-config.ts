import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { z } from 'zod';
import { type ClusterNode, type ClusterPlacement, type Config, type ConfigInput, configSchema, type DomainConfig, type ParsedConfig } from './schema.js';

/** Raised with every problem of a configuration, one line each. */
export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

const serverPackageDir = path.resolve(import.meta.dirname, '..', '..');

/** The built task pane: `taskpane/` inside a release (deploy/release.mjs), the add-in's build output in a checkout. */
function defaultTaskpaneDir(): string {
  const released = path.join(serverPackageDir, 'taskpane');
  return existsSync(released) ? released : path.resolve(serverPackageDir, '..', 'addin', 'dist');
}

/** The browser preview is part of a checkout's build (apps/addin/dist-preview), never of a release or a configuration. */
function checkoutPreviewDir(): { previewDir?: string } {
  return existsSync(path.join(serverPackageDir, 'taskpane')) ? {} : { previewDir: path.resolve(serverPackageDir, '..', 'addin', 'dist-preview') };
}

/** The embedded default `npm start` runs on: a local data root, one sample domain, the filesystem archive. */
export function embeddedDefaultConfig(): ConfigInput {
  return {
    host: '127.0.0.1',
    port: 3100,
    dataRoot: './data',
    logDir: './logs',
    dataRetention: '30d',
    auth: { mode: 'dev' },
    domains: [
      {
        code: 'sample',
        name: 'Sample archive',
        templates: { file: path.join(serverPackageDir, 'samples', 'catalogue.xml') },
        archive: { type: 'filesystem', root: './archive/sample' },
      },
    ],
  };
}

/** Environment variables that override single keys (documented in docs/configuration.md). */
const ENV_OVERRIDES: Record<string, { key: keyof ConfigInput; parse: (raw: string) => unknown }> = {
  TOA_HOST: { key: 'host', parse: (raw) => raw },
  TOA_PORT: { key: 'port', parse: (raw) => (/^\d+$/.test(raw) ? Number(raw) : raw) },
  TOA_DATA_ROOT: { key: 'dataRoot', parse: (raw) => raw },
  TOA_LOG_DIR: { key: 'logDir', parse: (raw) => raw },
  TOA_LOG_LEVEL: { key: 'logLevel', parse: (raw) => raw },
  TOA_LOG_OUTPUT: { key: 'logOutput', parse: (raw) => raw },
  TOA_TIME_ZONE: { key: 'timeZone', parse: (raw) => raw },
  TOA_DATA_RETENTION: { key: 'dataRetention', parse: (raw) => raw },
  TOA_TASKPANE_DIR: { key: 'taskpaneDir', parse: (raw) => raw },
  TOA_PRODUCTION: { key: 'production', parse: (raw) => (raw === 'true' ? true : raw === 'false' ? false : raw) },
};

/** Where each top-level key's value came from, for messages: an environment variable, else the file or the embedded default. */
type Origins = Map<string, { variable: string; raw: string }>;

/** An issue, and whether it came from the branch of a union chosen for it. */
interface FlatIssue {
  issue: z.core.$ZodIssue;
  /** a key this branch does not know is most often another branch's (`templates` with both `file` and `url`), not a misspelling */
  inUnion: boolean;
}

/**
 * A union that matched no branch reports every branch's issues; the branch
 * with the fewest is the one that was meant (`{ url }` is a URL source with a
 * bad URL, not a file source missing `file`).
 */
function flattenIssues(issues: readonly z.core.$ZodIssue[], inUnion = false): FlatIssue[] {
  return issues.flatMap((issue) => {
    if (issue.code !== 'invalid_union' || issue.errors.length === 0) return [{ issue, inUnion }];
    const closest = issue.errors.reduce((best, branch) => (branch.length < best.length ? branch : best));
    if (closest.length === 0) return [{ issue, inUnion }];
    return flattenIssues(closest, true).map((inner) => ({ ...inner, issue: { ...inner.issue, path: [...issue.path, ...inner.issue.path] } }));
  });
}

/** `domains[0].archive.root`: a key path as the configuration file spells it. */
function keyPath(path: readonly PropertyKey[]): string {
  return path
    .map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`))
    .join('')
    .replace(/^\./, '');
}

function formatIssues(error: z.ZodError, origin: string, origins: Origins): string[] {
  return flattenIssues(error.issues).flatMap(({ issue, inUnion }) => {
    // one line a key, named where it is
    if (issue.code === 'unrecognized_keys') {
      const why = inUnion
        ? `does not go with the keys beside it: ${keyPath(issue.path)} takes one of several forms, each with keys of its own (docs/configuration.md)`
        : 'is not a configuration key here (misspelt? docs/configuration.md lists them)';
      return issue.keys.map((key) => `${origin}: ${keyPath([...issue.path, key])}: ${why}`);
    }
    const fromEnv = origins.get(issue.path.map(String).join('.'));
    if (fromEnv) return [`${fromEnv.variable}: ${issue.message}, not ${JSON.stringify(fromEnv.raw)}`];
    return [`${origin}: ${issue.path.length > 0 ? keyPath(issue.path) : '(root)'}: ${issue.message}`];
  });
}

/**
 * JSON.parse's message on one line, with where it is as a line and column
 * when it gives a position: Node 22 adds `(line L column C)` itself, Node 20
 * only `at position N` (and some of its messages, such as an unexpected
 * token, give neither, but quote the text, newlines and all).
 */
function jsonProblem(error: unknown, text: string): string {
  const message = (error instanceof Error ? error.message : String(error)).replace(/\r?\n/g, '\\n');
  const at = /at position (\d+)/.exec(message);
  if (!at || /\bline \d+/.test(message)) return message;
  const before = text.slice(0, Number(at[1]));
  const line = before.split('\n').length;
  return `${message} (line ${line} column ${before.length - before.lastIndexOf('\n')})`;
}

const LOOPBACK_HOSTS = /^(localhost|127(?:\.\d{1,3}){3}|::1|\[::1\])$/;

export function isLoopbackHost(host: string): boolean {
  return LOOPBACK_HOSTS.test(host);
}

/** Identity settings that are only safe on some hosts or outside production. */
function authProblems({ auth, host, production }: ParsedConfig, origins: Origins): string[] {
  const from = (key: string): string => {
    const source = origins.get(key);
    return source ? ` (from ${source.variable})` : '';
  };
  const problems: string[] = [];
  if (auth.mode === 'dev') {
    if (!isLoopbackHost(host)) problems.push(`auth.mode: "dev" trusts identity headers and is only allowed on a loopback host, not "${host}"${from('host')}`);
    if (production) problems.push(`auth.mode: "dev" is not allowed in production${from('production')}`);
  } else {
    // the key set decides which signatures are trusted: it must come over TLS, except from a test server on this machine
    const jwks = new URL(auth.jwksUrl);
    if (jwks.protocol !== 'https:' && (production || !isLoopbackHost(jwks.hostname))) {
      problems.push(
        `auth.jwksUrl: must be an https URL${production ? ` in production${from('production')}` : ' (http is only allowed on loopback, for tests)'}`,
      );
    }
  }
  return problems;
}

function systemTimeZone(): string {
  return Intl.DateTimeFormat().resolvedOptions().timeZone;
}

/**
 * Reads the configuration: the file named by `--config` or `TOA_CONFIG`, else
 * the embedded default; then environment overrides; then one validation that
 * reports every problem at once. Relative paths are resolved against the
 * configuration file's folder (the working directory for the default).
 * `wholeCluster`: for a command about every node (`cluster nginx`), which may
 * run where no node is: a cluster that names no `self` takes its first node.
 */
export function loadConfig(options: { file?: string; env?: NodeJS.ProcessEnv; cwd?: string; wholeCluster?: boolean } = {}): Config {
  const env = options.env ?? process.env;
  const cwd = options.cwd ?? process.cwd();
  const file = options.file ?? env.TOA_CONFIG;
  let raw: Record<string, unknown>;
  let baseDir = cwd;
  const origin = file ? path.resolve(cwd, file) : 'embedded default';
  if (file) {
    const full = path.resolve(cwd, file);
    baseDir = path.dirname(full);
    let text: string;
    try {
      text = readFileSync(full, 'utf8');
    } catch (error) {
      throw new ConfigError([`${full}: cannot be read (${(error as Error).message})`]);
    }
    try {
      raw = JSON.parse(text) as Record<string, unknown>;
    } catch (error) {
      throw new ConfigError([`${full}: is not valid JSON (${jsonProblem(error, text)})`]);
    }
    if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new ConfigError([`${full}: must hold a JSON object`]);
  } else {
    raw = { ...embeddedDefaultConfig() };
  }
  const origins: Origins = new Map();
  for (const [name, { key, parse }] of Object.entries(ENV_OVERRIDES)) {
    const value = env[name];
    if (value !== undefined && value !== '') {
      raw[key] = parse(value);
      origins.set(key, { variable: name, raw: value });
    }
  }
  // one file for every node of a cluster: each process names its node in the environment
  if (env.TOA_NODE !== undefined && env.TOA_NODE !== '') {
    if (typeof raw.cluster !== 'object' || raw.cluster === null || Array.isArray(raw.cluster)) {
      throw new ConfigError([`TOA_NODE: names this process's node ("${env.TOA_NODE}"), but ${origin} has no cluster`]);
    }
    raw.cluster = { ...raw.cluster, self: env.TOA_NODE };
    origins.set('cluster.self', { variable: 'TOA_NODE', raw: env.TOA_NODE });
  } else if (options.wholeCluster && isRecord(raw.cluster) && raw.cluster.self === undefined && Array.isArray(raw.cluster.nodes)) {
    // a command about the whole cluster (the nginx site) runs on a host that is no node: any node stands for "self"
    const [first] = raw.cluster.nodes as unknown[];
    if (isRecord(first) && typeof first.name === 'string') raw.cluster = { ...raw.cluster, self: first.name };
  }
  if (raw.production === undefined && env.NODE_ENV === 'production') {
    raw.production = true;
    origins.set('production', { variable: 'NODE_ENV=production', raw: 'production' });
  }

  // The embedded default is for trying TOA out; production without a file is a forgotten --config, not a missing time zone.
  if (!file && raw.production === true) {
    const via = origins.get('production')?.variable ?? 'production';
    throw new ConfigError([`no configuration file given (--config FILE or TOA_CONFIG), and the embedded default cannot run in production (${via})`]);
  }

  const result = configSchema.safeParse(raw);
  if (!result.success) throw new ConfigError(formatIssues(result.error, origin, origins));
  const parsed = result.data;

  const problems = authProblems(parsed, origins).map((problem) => `${origin}: ${problem}`);
  if (problems.length > 0) throw new ConfigError(problems);

  const resolve = (p: string): string => path.resolve(baseDir, p);
  const domains = parsed.domains.map((domain) => ({
    ...domain,
    templates: 'file' in domain.templates ? { file: resolve(domain.templates.file) } : domain.templates,
    archive: domain.archive.type === 'filesystem' ? { ...domain.archive, root: resolve(domain.archive.root) } : domain.archive,
  }));
  const { cluster: clusterInput, ...rest } = parsed;
  const cluster = clusterInput && clusterPlacement(clusterInput, domains);
  return {
    ...rest,
    timeZone: parsed.timeZone ?? systemTimeZone(),
    retentionDays: Number.parseInt(parsed.dataRetention, 10),
    baseDir,
    source: { file: origin, environment: [...origins.values()].map((o) => o.variable) },
    dataRoot: resolve(parsed.dataRoot),
    logDir: resolve(parsed.logDir),
    taskpaneDir: parsed.taskpaneDir ? resolve(parsed.taskpaneDir) : defaultTaskpaneDir(),
    ...checkoutPreviewDir(),
    domains: cluster ? domains.filter((domain) => cluster.owners[domain.code] === cluster.self) : domains,
    ...(cluster ? { cluster } : {}),
  };
}

/** The validated cluster as this node sees it (the schema made sure every domain has one owner and `self` is a node). */
function clusterPlacement(cluster: NonNullable<ParsedConfig['cluster']>, domains: DomainConfig[]): ClusterPlacement {
  const self = cluster.nodes.find((node) => node.name === cluster.self) as ClusterNode;
  const owners = Object.fromEntries(cluster.nodes.flatMap((node) => node.domains.map((code) => [code, node])));
  return { self, nodes: cluster.nodes, domains, owners };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
