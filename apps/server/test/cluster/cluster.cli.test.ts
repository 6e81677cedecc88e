import { type ChildProcess, execFile } from 'node:child_process';
import { type IncomingHttpHeaders, request } from 'node:http';
import { cp, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { problemSchema } from '@toa/api/errors';
import { importSchema } from '@toa/api/imports';
import { DEV_IDENTITY_HEADERS, paths } from '@toa/api/routes';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SPEC_CATALOGUE, VALID_INVOICE } from '@toa/fixtures/catalogue';
import { spawnListening } from '../support/cli-server.js';
import { corpusDir, repoRoot } from '../support/corpus.js';
import { nginxCheck, nginxMainConfig, type RunningNginx, startNginx } from '@toa/fixtures/nginx';
import { freePort } from '@toa/fixtures/ports';

/**
 * The cluster on one machine, as an operator runs it: three nodes of the
 * built CLI (one configuration file, TOA_NODE and a data root each), and
 * Debian's nginx in front with the site `toa-server cluster nginx` wrote.
 * Messages are filed through nginx; a node is killed; a domain is moved under
 * load with the documented commands (docs/scaling.md).
 */

const bin = path.join(repoRoot, 'node_modules', '.bin', 'toa-server');
const run = promisify(execFile);
const EMAIL = 'alice@acme.example';
const DOMAINS = ['acme', 'globex', 'initech', 'umbrella'] as const;
type Domain = (typeof DOMAINS)[number];

interface Node {
  name: string;
  port: number;
  dir: string;
  child?: ChildProcess;
}

let dir: string;
let configFile: string;
let nodes: Node[];
let nginx: RunningNginx | undefined;
let nginxPort: number;
let nginxPrefix: string;
let site: string;
let message: Buffer;
const owners: Record<Domain, string> = { acme: 'toa-1', globex: 'toa-1', initech: 'toa-2', umbrella: 'toa-3' };

const node = (name: string): Node => nodes.find((n) => n.name === name) as Node;

/** One file for every node: the cluster as `owners` says. */
async function writeConfig(): Promise<void> {
  await writeFile(
    configFile,
    JSON.stringify({
      host: '127.0.0.1',
      timeZone: 'Europe/Prague',
      logLevel: 'info',
      // the load below is one user; the per-user rate limit is not what this test is about
      limits: { requestsPerMinute: 100_000 },
      // Prometheus scrapes each node directly, from this machine
      metrics: { allow: ['127.0.0.1'] },
      domains: DOMAINS.map((code) => ({
        code,
        name: code,
        templates: { file: './catalogue.xml' },
        archive: { type: 'filesystem', root: `./archive/${code}` },
      })),
      // no "self": each process names its node in TOA_NODE (configuration.md), the nginx host none
      cluster: {
        nodes: nodes.map((n) => ({
          name: n.name,
          url: `http://127.0.0.1:${n.port}`,
          domains: DOMAINS.filter((code) => owners[code] === n.name),
        })),
      },
    }),
  );
}

/** The environment that makes a process node `n`. */
function envOf(n: Node): NodeJS.ProcessEnv {
  return {
    ...process.env,
    TOA_CONFIG: configFile,
    TOA_NODE: n.name,
    TOA_PORT: String(n.port),
    TOA_DATA_ROOT: path.join(n.dir, 'data'),
    TOA_LOG_DIR: path.join(n.dir, 'logs'),
  };
}

async function startNode(n: Node): Promise<void> {
  await spawnListening(bin, ['serve'], {
    cwd: dir,
    env: envOf(n),
    onSpawn: (child) => {
      n.child = child;
    },
  });
}

async function stopNode(n: Node, signal: NodeJS.Signals): Promise<void> {
  const child = n.child;
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill(signal);
  await exited;
}

/** `toa-server <args>` as node `n`'s operator runs it. */
function cli(n: Node, args: string[]): Promise<{ stdout: string; stderr: string }> {
  return run(bin, args, { cwd: dir, env: envOf(n) });
}

/** `toa-server cluster nginx` as nginx's host runs it: the configuration file, no node of its own. */
async function writeSite(): Promise<void> {
  const { TOA_NODE: _, ...env } = envOf(node('toa-1'));
  await run(bin, ['cluster', 'nginx', '--listen', `127.0.0.1:${nginxPort}`, '--server-name', 'localhost', '--output', site], { cwd: dir, env });
  await nginxCheck(nginxPrefix, await nginxMainConfig(nginxPrefix, site));
}

interface Answer {
  status: number;
  body: unknown;
  contentType: string;
  retryAfter: string | null;
}

/**
 * One request on a connection of its own (`Connection: close`): a connection
 * kept alive across `nginx -s reload` may be closed by the old worker just as
 * the next request goes out, and a POST must not be sent twice.
 */
async function call(base: string, method: string, pathname: string, body?: Body, contentType?: string): Promise<Answer> {
  const encoded = body === undefined ? undefined : new Response(body);
  const bytes = encoded ? Buffer.from(await encoded.arrayBuffer()) : undefined;
  const headers: Record<string, string> = {
    [DEV_IDENTITY_HEADERS.email]: EMAIL,
    [DEV_IDENTITY_HEADERS.name]: 'Alice',
    Connection: 'close',
    ...(bytes ? { 'Content-Length': String(bytes.length), 'Content-Type': contentType ?? encoded?.headers.get('content-type') ?? '' } : {}),
  };
  const {
    status,
    headers: answered,
    text,
  } = await new Promise<{ status: number; headers: IncomingHttpHeaders; text: string }>((resolve, reject) => {
    const req = request(`${base}${pathname}`, { method, headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(bytes);
  });
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    // not JSON: kept as text, which the assertions below refuse
  }
  return { status, body: parsed, contentType: answered['content-type'] ?? '', retryAfter: (answered['retry-after'] as string | undefined) ?? null };
}

const viaNginx = (method: string, pathname: string, body?: Body, contentType?: string) =>
  call(`http://127.0.0.1:${nginxPort}`, method, pathname, body, contentType);

function page(): FormData {
  const form = new FormData();
  form.append('file', new Blob([message], { type: 'message/rfc822' }), 'message.eml');
  return form;
}

type Body = NonNullable<RequestInit['body']>;
type Step = [method: string, suffix: string, body?: Body, contentType?: string];

/** The four steps of filing a message: create, upload, describe, submit; and the status each succeeds with. */
function step(index: number, id: string): Step {
  switch (index) {
    case 0:
      return ['POST', '', JSON.stringify({}), 'application/json'];
    case 1:
      return ['POST', `/${id}/documents/1/pages`, page()];
    case 2:
      return ['PUT', `/${id}/documents/1`, JSON.stringify({ templateId: 'invoice', attributes: VALID_INVOICE }), 'application/json'];
    default:
      return ['POST', `/${id}/submit`];
  }
}
const EXPECTED = [201, 201, 200, 202];

/** Files one message into `domain` through nginx; throws on the first answer that is not the step's success. */
async function fileOnce(domain: Domain): Promise<string> {
  let id = '';
  for (const [index, expected] of EXPECTED.entries()) {
    const [method, suffix, body, type] = step(index, id);
    const answer = await viaNginx(method, `${paths.imports(domain)}${suffix}`, body, type);
    if (answer.status !== expected) throw Object.assign(new Error(`${method} ${domain}${suffix}: ${answer.status}`), { answer });
    if (index === 0) id = (answer.body as { id: string }).id;
  }
  return id;
}

interface Refusal {
  domain: Domain;
  at: number;
  status: number;
  code: string;
}

/**
 * A filer that keeps going through refusals the way a client should: a 503
 * or 502 problem is retried (sooner than its Retry-After, so the window is
 * measured finely), anything else fails the test. Returns the ids it filed.
 */
function filer(domain: Domain, refusals: Refusal[], stop: { now: boolean }): Promise<string[]> {
  return (async () => {
    const filed: string[] = [];
    let outcomeOpen = false;
    while (!stop.now) {
      let id = '';
      for (const [index, expected] of EXPECTED.entries()) {
        for (;;) {
          const [method, suffix, body, type] = step(index, id);
          const answer = await viaNginx(method, `${paths.imports(domain)}${suffix}`, body, type).catch((error: Error) => error);
          if (answer instanceof Error) {
            // the connection ended without an answer (nginx's old worker closing as it reloads): the outcome is open, as after a 502
            refusals.push({ domain, at: Date.now(), status: 0, code: `connection lost (${answer.message})` });
            outcomeOpen = true;
            continue;
          }
          if (answer.status === expected) {
            if (index === 0) id = (answer.body as { id: string }).id;
            outcomeOpen = false;
            break;
          }
          const problem = problemSchema.parse(answer.body);
          // after a 502 or a lost connection the node may have done the work: a submit done then is PENDING or SUBMITTED now
          if (index === 3 && problem.code === 'IMPORT_NOT_EDITABLE' && outcomeOpen) break;
          expect([502, 503], `${domain} ${method} ${suffix}: ${JSON.stringify(problem)}`).toContain(answer.status);
          expect(answer.retryAfter).toMatch(/^\d+$/);
          refusals.push({ domain, at: Date.now(), status: answer.status, code: problem.code });
          outcomeOpen ||= answer.status === 502;
          await new Promise((resolve) => setTimeout(resolve, 50));
        }
      }
      filed.push(id);
    }
    return filed;
  })();
}

function tally(items: string[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const item of items) counts.set(item, (counts.get(item) ?? 0) + 1);
  return counts;
}

async function until(what: string, check: () => Promise<boolean>, seconds = 30): Promise<void> {
  const deadline = Date.now() + seconds * 1000;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`waited ${seconds} s for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** The import ids stored in a node's data root for a domain. */
async function storedIds(n: Node, domain: Domain): Promise<string[]> {
  const root = path.join(n.dir, 'data', domain);
  const days = (await readdir(root).catch(() => [] as string[])).filter((name) => /^\d{4}-\d{2}-\d{2}$/.test(name));
  const ids = await Promise.all(
    days.map(async (day) => (await readdir(path.join(root, day))).filter((folder) => /^\d{4}-[0-9a-f]{8}$/.test(folder)).map((folder) => `${day}_${folder}`)),
  );
  return ids.flat();
}

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'toa-cluster-'));
  configFile = path.join(dir, 'toa.json');
  await writeFile(path.join(dir, 'catalogue.xml'), SPEC_CATALOGUE);
  message = await readFile(path.join(corpusDir, 'mikel-mail', 'attachment_emails', 'attachment_pdf.eml'));
  nodes = [];
  for (const name of ['toa-1', 'toa-2', 'toa-3']) nodes.push({ name, port: await freePort(), dir: path.join(dir, name) });
  nginxPort = await freePort();
  nginxPrefix = path.join(dir, 'nginx');
  site = path.join(dir, 'toa-cluster.conf');
  await writeConfig();
  await Promise.all(nodes.map(startNode));
  await writeSite();
  nginx = await startNginx(nginxPrefix, path.join(nginxPrefix, 'nginx.conf'), nginxPort);
}, 120_000);

afterAll(async () => {
  await nginx?.stop();
  await Promise.all((nodes ?? []).map((n) => stopNode(n, 'SIGKILL')));
  await rm(dir, { recursive: true, force: true });
}, 60_000);

describe('three nodes behind nginx', () => {
  it('files messages into the domains of every node, each stored only on its owner', async () => {
    const filed = await Promise.all(DOMAINS.map(async (domain) => ({ domain, id: await fileOnce(domain) })));
    for (const { domain, id } of filed) {
      for (const n of nodes) expect(await storedIds(n, domain), `${domain} on ${n.name}`).toEqual(n.name === owners[domain] ? [id] : []);
      const read = await viaNginx('GET', paths.import(domain, id));
      expect(read.status).toBe(200);
      expect(['PENDING', 'SUBMITTED']).toContain(importSchema.parse(read.body).status);
    }
    // unscoped routes answer on any node; a node asked for another's domain names the owner
    const listed = await viaNginx('GET', paths.domains());
    expect((listed.body as { domains: Array<{ code: string }> }).domains.map((d) => d.code)).toEqual([...DOMAINS]);
    const direct = await call(`http://127.0.0.1:${node('toa-2').port}`, 'GET', paths.imports('acme'));
    expect(direct.status).toBe(421);
    expect(problemSchema.parse(direct.body)).toMatchObject({ code: 'DOMAIN_ELSEWHERE', detail: expect.stringContaining('"toa-1"') });
  }, 60_000);

  it('with a node down, only its domains fail, with a JSON problem; the others keep filing', async () => {
    await stopNode(node('toa-2'), 'SIGKILL');
    const down = await viaNginx('POST', paths.imports('initech'), JSON.stringify({}), 'application/json');
    expect(down.status).toBe(502);
    expect(down.contentType).toMatch(/^application\/problem\+json/);
    expect(down.retryAfter).toMatch(/^\d+$/);
    expect(problemSchema.parse(down.body)).toMatchObject({ code: 'NODE_UNAVAILABLE', status: 502, detail: expect.stringContaining('toa-2') });
    expect((await viaNginx('GET', paths.imports('initech'))).status).toBe(502);
    for (const domain of ['acme', 'globex', 'umbrella'] as const) await fileOnce(domain);
    // the pane still loads its domains from a node that answers
    for (let i = 0; i < 3; i += 1) expect((await viaNginx('GET', paths.domains())).status).toBe(200);

    // back after kill -9: the stale lock of this host is taken over at once
    await startNode(node('toa-2'));
    await fileOnce('initech');
  }, 60_000);

  it('moves a domain between nodes under load, with nothing lost', async () => {
    const refusals: Refusal[] = [];
    const stop = { now: false };
    const load = {
      acme: [filer('acme', refusals, stop), filer('acme', refusals, stop)],
      globex: [filer('globex', refusals, stop)],
      umbrella: [filer('umbrella', refusals, stop)],
    };
    const before = await storedIds(node('toa-1'), 'acme');
    await until('filing under way', async () => (await storedIds(node('toa-1'), 'acme')).length >= before.length + 2);

    // the documented procedure, each step timed
    const steps: string[] = [];
    const timed = async <T>(name: string, work: () => Promise<T>): Promise<T> => {
      const started = Date.now();
      const result = await work();
      steps.push(`${name} ${((Date.now() - started) / 1000).toFixed(1)} s`);
      return result;
    };
    // 1. drain on the old node: returns once nothing of acme is under way there
    const drainStarted = Date.now();
    const drained = await timed('drain', () => cli(node('toa-1'), ['cluster', 'drain', 'acme']));
    expect(drained.stdout).toContain('acme is drained');
    const duringDrain = await viaNginx('GET', paths.import('acme', before[0] as string));
    expect(duringDrain.status).toBe(200);
    // 2. copy the folder
    await timed('copy', () => cp(path.join(node('toa-1').dir, 'data', 'acme'), path.join(node('toa-3').dir, 'data', 'acme'), { recursive: true }));
    // 3. switch the map, and check the copy on the new node before it serves it (its other domains are live: only acme)
    owners.acme = 'toa-3';
    await writeConfig();
    const checked = await timed('fsck', () =>
      cli(node('toa-3'), ['fsck', '--domain', 'acme']).catch((error: { stdout?: string }) => ({ stdout: String(error.stdout), stderr: '' })),
    );
    expect(checked.stdout, checked.stdout).toContain('no problems found');
    // a crash's leftover in the copy: the pass that opens acme on the new node removes it, as a start would
    const leftover = path.join(node('toa-3').dir, 'data', 'acme', `${before[0]?.slice(0, 10)}`, 'left-by-a-crash.tmp');
    await writeFile(leftover, 'x');
    // 4. the new node reads the map again (SIGHUP, no restart: its own domains go on), opens acme, and nginx sends it there
    const direct = (method: string, pathname: string) => call(`http://127.0.0.1:${node('toa-3').port}`, method, pathname);
    await timed('reload toa-3', async () => {
      node('toa-3').child?.kill('SIGHUP');
      await until('toa-3 serving acme', async () => {
        const answer = await direct('GET', paths.imports('acme'));
        // 421 naming toa-1 until the signal is handled (kill returns at once), then 503 STARTING while acme's pass runs
        if (answer.status === 421) expect(problemSchema.parse(answer.body).detail).toContain('"toa-1"');
        else if (answer.status === 503) expect(problemSchema.parse(answer.body).code).toBe('STARTING');
        else expect(answer.status).toBe(200);
        return answer.status === 200;
      });
    });
    await expect(readFile(leftover)).rejects.toMatchObject({ code: 'ENOENT' });
    await timed('nginx site and reload', async () => {
      await writeSite();
      await nginx?.reload();
    });
    const switched = Date.now();

    await until('acme filing on the new node', async () => (await storedIds(node('toa-3'), 'acme')).length > (await storedIds(node('toa-1'), 'acme')).length);
    await new Promise((resolve) => setTimeout(resolve, 1000));
    stop.now = true;
    const filed = {
      acme: (await Promise.all(load.acme)).flat(),
      globex: (await Promise.all(load.globex)).flat(),
      umbrella: (await Promise.all(load.umbrella)).flat(),
    };

    // the old node reads the new map on SIGHUP (no restart: its other domains go on) and answers 421 for acme; then its copy goes
    const globexBefore = (await storedIds(node('toa-1'), 'globex')).length;
    node('toa-1').child?.kill('SIGHUP');
    await until(
      'toa-1 answering 421 for acme',
      async () => (await call(`http://127.0.0.1:${node('toa-1').port}`, 'GET', paths.imports('acme'))).status === 421,
    );
    const moved = await call(`http://127.0.0.1:${node('toa-1').port}`, 'GET', paths.imports('acme'));
    expect(problemSchema.parse(moved.body)).toMatchObject({ code: 'DOMAIN_ELSEWHERE', detail: expect.stringContaining('"toa-3"') });
    await fileOnce('globex');
    expect((await storedIds(node('toa-1'), 'globex')).length).toBe(globexBefore + 1);
    await rm(path.join(node('toa-1').dir, 'data', 'acme'), { recursive: true });
    await cli(node('toa-1'), ['cluster', 'undrain', 'acme']);

    // nothing lost: every import a filer finished is on the new node, complete, and served through nginx
    const onNew = new Set(await storedIds(node('toa-3'), 'acme'));
    for (const id of [...before, ...filed.acme]) expect(onNew.has(id), id).toBe(true);
    for (const id of filed.acme) {
      const read = await viaNginx('GET', paths.import('acme', id));
      expect(read.status, id).toBe(200);
      const stored = importSchema.parse(read.body);
      // one page, or two when an upload was sent again after a 502 that left its outcome open
      expect(stored.documents[0]?.pages.length).toBeGreaterThanOrEqual(1);
      expect(['PENDING', 'SUBMITTED'], JSON.stringify(stored)).toContain(stored.status);
    }
    const acmeRefusals = refusals.filter((r) => r.code === 'DOMAIN_READ_ONLY');
    expect(acmeRefusals.length).toBeGreaterThan(0);
    const window = (Math.max(...acmeRefusals.map((r) => r.at)) - Math.min(...acmeRefusals.map((r) => r.at))) / 1000;
    console.log(
      [
        `moving acme: 503 DOMAIN_READ_ONLY answered for ${window.toFixed(1)} s (${acmeRefusals.length} refusals, retried every 50 ms);`,
        `drain to nginx reload ${((switched - drainStarted) / 1000).toFixed(1)} s (${steps.join(', ')});`,
        `filed meanwhile: acme ${filed.acme.length}, globex ${filed.globex.length}, umbrella ${filed.umbrella.length};`,
        `other refusals: ${
          [...tally(refusals.filter((r) => r.code !== 'DOMAIN_READ_ONLY').map((r) => `${r.domain} ${r.status} ${r.code}`))]
            .map(([what, count]) => `${what} ×${count}`)
            .join(', ') || 'none'
        }`,
      ].join(' '),
    );
    // the other domains kept filing throughout
    expect(filed.globex.length).toBeGreaterThan(0);
    expect(filed.umbrella.length).toBeGreaterThan(0);
    // no node restarted: only the moving domain paused (read-only, then opening on the new node, or a connection closed by nginx's reload)
    for (const refusal of refusals.filter((r) => !r.code.startsWith('connection lost'))) {
      expect(refusal.domain, `${refusal.status} ${refusal.code}`).toBe('acme');
      expect(refusal.code).toMatch(/^(DOMAIN_READ_ONLY|STARTING)$/);
    }
  }, 120_000);

  it('serves /metrics on each node to the configured scraper, naming the node and the domains it stores', async () => {
    for (const n of nodes) {
      const scraped = await call(`http://127.0.0.1:${n.port}`, 'GET', '/metrics');
      expect(scraped.status, n.name).toBe(200);
      expect(scraped.contentType).toMatch(/^text\/plain/);
      const text = String(scraped.body);
      expect(text).toMatch(new RegExp(`^toa_node_info\\{[^}]*node="${n.name}"[^}]*\\} 1$`, 'm'));
      for (const domain of DOMAINS) {
        const indexed = new RegExp(`^toa_index_entries\\{domain="${domain}"\\} `, 'm');
        expect(indexed.test(text), `${domain} on ${n.name}`).toBe(owners[domain] === n.name);
      }
    }
  }, 60_000);
});
