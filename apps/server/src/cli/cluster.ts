import { readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { type NginxSiteOptions, nginxSite } from '../cluster/nginx-site.js';
import { pathExists, writeFileAtomic } from '../fs/atomic-fs.js';
import type { ClusterPlacement, Config } from '../config/schema.js';
import { AppError } from '../errors.js';
import { runningLockOwner } from '../fs/process-lock.js';
import { Layout } from '../storage/layout.js';
import type { Output } from './output.js';

/** The cluster of a configuration, or a clear refusal: the cluster commands mean nothing without one. */
export function requireCluster(config: Config): ClusterPlacement {
  if (!config.cluster) throw new AppError('VALIDATION_FAILED', `${config.source.file} has no cluster; see docs/scaling.md`);
  return config.cluster;
}

/** `toa-server cluster nginx`: the site for the cluster's nginx, on stdout or into `output`. */
export async function writeNginxSite(config: Config, options: Omit<NginxSiteOptions, 'source'> & { output?: string }): Promise<void> {
  const { output, ...site } = options;
  const text = nginxSite(requireCluster(config), config.limits, { ...site, source: config.source.file });
  if (output) await writeFileAtomic(path.resolve(output), text);
  else process.stdout.write(text);
}

const WAIT_STEP_MS = 200;

/**
 * `toa-server cluster drain <domain>`: makes the domain read-only on this
 * node and waits until the running server reports that nothing of it is under
 * way. With no server running, the domain is drained at once (the next start
 * keeps it read-only). Resolves with the exit code: 0 drained, 1 not within
 * `timeoutSeconds` (the drain stays requested; run it again to wait more).
 */
export async function drainDomain(config: Config, domain: string, timeoutSeconds: number, out: Output): Promise<number> {
  const cluster = requireCluster(config);
  const owner = cluster.owners[domain];
  if (!owner) throw new AppError('DOMAIN_NOT_FOUND', `there is no domain "${domain}" in ${config.source.file}`);
  if (owner !== cluster.self)
    throw new AppError(
      'DOMAIN_ELSEWHERE',
      `the domain "${domain}" is owned by node "${owner.name}", not by this node ("${cluster.self.name}"): drain it there`,
    );
  const layout = new Layout(config.dataRoot);
  const done = layout.drainDoneFile(domain);
  // a drain of an earlier move is not this one's answer; the request stays if it was there (running drain again only waits)
  if (!(await drainRequested(layout, domain))) await rm(done, { force: true });
  await writeFileAtomic(layout.drainRequestFile(domain), `${JSON.stringify({ requestedAt: new Date().toISOString() })}\n`);
  const folder = layout.domainDir(domain);
  const server = await runningLockOwner(layout.processLockFile());
  if (!server) {
    out.result({ domain, drained: true, folder, server: null }, () => [
      `${domain} is drained: no server runs on this data root, and the next start keeps ${domain} read-only`,
      `copy ${folder} to the new node`,
    ]);
    return 0;
  }
  const deadline = Date.now() + timeoutSeconds * 1000;
  for (;;) {
    const answer = await readDone(done);
    if (answer && answer.pid === server.pid) {
      out.result({ domain, drained: true, folder, server, drainedAt: answer.drainedAt }, () => [
        `${domain} is drained: the server (pid ${server.pid} on ${server.host}) answers writes with 503 and has nothing of ${domain} under way since ${answer.drainedAt}`,
        `copy ${folder} to the new node`,
      ]);
      return 0;
    }
    if (Date.now() >= deadline) {
      out.result({ domain, drained: false, folder, server }, () => [
        `${domain} is read-only, but the server (pid ${server.pid} on ${server.host}) has not reported it drained within ${timeoutSeconds} s: writes or archive calls are still under way; run the command again to wait longer, or "toa-server cluster undrain ${domain}" to give up`,
      ]);
      return 1;
    }
    await new Promise((resolve) => setTimeout(resolve, WAIT_STEP_MS));
  }
}

/** `toa-server cluster undrain <domain>`: writes are accepted again (a move given up), or the markers of a domain moved away are cleared. */
export async function undrainDomain(config: Config, domain: string, out: Output): Promise<void> {
  requireCluster(config);
  const layout = new Layout(config.dataRoot);
  const was = await drainRequested(layout, domain);
  await rm(layout.drainRequestFile(domain), { force: true });
  await rm(layout.drainDoneFile(domain), { force: true });
  out.result({ domain, wasDraining: was }, () => [
    was ? `${domain} is no longer draining: a running server accepts its writes again within a second` : `${domain} was not draining`,
  ]);
}

function drainRequested(layout: Layout, domain: string): Promise<boolean> {
  return pathExists(layout.drainRequestFile(domain));
}

async function readDone(file: string): Promise<{ pid: number; drainedAt: string } | undefined> {
  try {
    const parsed = JSON.parse(await readFile(file, 'utf8')) as { pid?: unknown; drainedAt?: unknown };
    return typeof parsed.pid === 'number' ? { pid: parsed.pid, drainedAt: String(parsed.drainedAt) } : undefined;
  } catch {
    return undefined;
  }
}
