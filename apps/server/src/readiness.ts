import { randomBytes } from 'node:crypto';
import { access, constants, mkdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { ReadinessCheck } from '@toa/api/identity';
import type { Clock } from './clock.js';
import type { Config, DomainConfig } from './config/schema.js';
import { fileProblem } from './errors.js';

/** The key set is fetched for `/api/health` at most this often; the start-up check always fetches. */
const IDENTITY_RECHECK_MS = 60_000;
const JWKS_TIMEOUT_MS = 5_000;

export interface ReadinessOptions {
  /** where `tokenEnv` and `basicAuthEnv` are looked up; `process.env` by default */
  env?: NodeJS.ProcessEnv;
  fetch?: typeof fetch;
  clock: Clock;
}

/** One fetch of the key set: when it started, its check, and once in, what it found (or the last fetch's, meanwhile). */
interface KeySetLook {
  at: number;
  check: Promise<ReadinessCheck>;
  settled?: ReadinessCheck;
}

/**
 * What an administrator can find out before the first user does: archive
 * credentials named in the configuration but not set, a filesystem archive
 * root the server cannot write, a key set (`jwt` mode) that cannot be
 * fetched. Checked at start (production refuses to start, dev warns) and
 * again for `GET /api/health`.
 */
export class Readiness {
  readonly #config: Config;
  readonly #env: NodeJS.ProcessEnv;
  readonly #fetch: typeof fetch;
  readonly #clock: Clock;
  #identity: KeySetLook | undefined;

  constructor(config: Config, options: ReadinessOptions) {
    this.#config = config;
    this.#env = options.env ?? process.env;
    this.#fetch = options.fetch ?? fetch;
    this.#clock = options.clock;
  }

  /**
   * Every problem, one line each, naming the setting. Writes and removes a
   * probe file in each filesystem archive root (creating the root, as the
   * archive would), since permission bits alone do not say whether a write
   * succeeds (root, read-only mounts).
   */
  async startupProblems(): Promise<string[]> {
    const problems: string[] = [];
    for (const [index, domain] of this.#config.domains.entries()) {
      const where = `domains[${index}] "${domain.code}"`;
      for (const problem of this.#credentialProblems(domain)) problems.push(`${where}: ${problem}`);
      if (domain.archive.type === 'filesystem') {
        const problem = await probeWritable(domain.archive.root);
        if (problem) problems.push(`${where}: archive.root ${domain.archive.root} cannot be written: ${problem}`);
      }
    }
    const metricsToken = this.#config.metrics?.tokenEnv;
    // scrapers would all be refused: nothing would alert on this server
    if (metricsToken && !this.#env[metricsToken]) problems.push(`metrics.tokenEnv: the environment variable ${metricsToken} is not set`);
    const identity = await this.#fetchKeySet();
    if (!identity.ok) problems.push(`auth.jwksUrl: ${identity.detail}`);
    return problems;
  }

  /** Per domain of `domains` (those served now, which a cluster node's move changes): can a submit reach its archive with what is configured. */
  async archives(domains: readonly DomainConfig[]): Promise<Record<string, ReadinessCheck>> {
    const checks = await Promise.all(
      domains.map(async (domain): Promise<[string, ReadinessCheck]> => {
        const problems = this.#credentialProblems(domain).filter((problem) => problem.startsWith('archive.'));
        if (domain.archive.type === 'filesystem') {
          try {
            await access(domain.archive.root, constants.W_OK);
          } catch (error) {
            problems.push(`archive.root ${domain.archive.root} cannot be written: ${fileProblem(error)}`);
          }
        }
        return [domain.code, problems.length === 0 ? { ok: true } : { ok: false, detail: problems.join('; ') }];
      }),
    );
    return Object.fromEntries(checks);
  }

  /** `jwt` mode: can the issuer's key set be fetched (remembered for a minute); `undefined` in `dev` mode. */
  identity(): Promise<ReadinessCheck> | undefined {
    if (this.#config.auth.mode !== 'jwt') return undefined;
    const now = this.#clock.now().getTime();
    if (!this.#identity || now - this.#identity.at >= IDENTITY_RECHECK_MS) {
      const taking: KeySetLook = { at: now, check: this.#fetchKeySet() };
      // the fetch under way leaves the last verdict readable: a status answered without waiting keeps it until the new one is in
      const previous = this.#identity?.settled;
      if (previous) taking.settled = previous;
      taking.check.then((check) => {
        taking.settled = check;
      });
      this.#identity = taking;
    }
    return this.#identity.check;
  }

  /**
   * What `identity()` last found, without waiting (prompting a new fetch as
   * it does): `undefined` in `dev` mode, `'pending'` while the first fetch is under way.
   */
  identitySettled(): ReadinessCheck | 'pending' | undefined {
    return this.identity() === undefined ? undefined : (this.#identity?.settled ?? 'pending');
  }

  /** Variables named by `…Env` keys that hold nothing: the source would be called without its credentials. */
  #credentialProblems(domain: DomainConfig): string[] {
    const named: Array<[string, string | undefined]> = [
      ['archive.tokenEnv', domain.archive.type === 'http' ? domain.archive.tokenEnv : undefined],
      ['templates.tokenEnv', 'url' in domain.templates ? domain.templates.tokenEnv : undefined],
      ['templates.basicAuthEnv', 'url' in domain.templates ? domain.templates.basicAuthEnv : undefined],
    ];
    return named
      .filter(([, variable]) => variable !== undefined && !this.#env[variable])
      .map(([key, variable]) => `${key}: the environment variable ${variable} is not set`);
  }

  async #fetchKeySet(): Promise<ReadinessCheck> {
    if (this.#config.auth.mode !== 'jwt') return { ok: true };
    const url = this.#config.auth.jwksUrl;
    try {
      const response = await this.#fetch(url, { signal: AbortSignal.timeout(JWKS_TIMEOUT_MS), headers: { accept: 'application/json' } });
      if (!response.ok) {
        await response.body?.cancel();
        return { ok: false, detail: `the key set ${url} answers HTTP ${response.status}` };
      }
      const body = (await response.json()) as { keys?: unknown };
      if (!Array.isArray(body.keys) || body.keys.length === 0) return { ok: false, detail: `the key set ${url} holds no keys` };
      return { ok: true };
    } catch (error) {
      return { ok: false, detail: `the key set ${url} cannot be fetched: ${describeFetchFailure(error)}` };
    }
  }
}

async function probeWritable(dir: string): Promise<string | undefined> {
  const probe = path.join(dir, `.toa-write-check-${randomBytes(6).toString('hex')}.tmp`);
  try {
    await mkdir(dir, { recursive: true });
    await writeFile(probe, '');
    await rm(probe, { force: true });
    return undefined;
  } catch (error) {
    return fileProblem(error);
  }
}

/** fetch says only "fetch failed"; the reason is in its cause (`connect ECONNREFUSED 127.0.0.1:9`). */
function describeFetchFailure(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  if (error.name === 'TimeoutError') return `no answer within ${JWKS_TIMEOUT_MS / 1000} s`;
  if (error.name === 'SyntaxError') return 'the answer is not JSON';
  return error.cause instanceof Error ? `${error.message} (${error.cause.message})` : error.message;
}
