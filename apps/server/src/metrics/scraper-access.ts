import { createHash, timingSafeEqual } from 'node:crypto';
import { BlockList, isIP } from 'node:net';

/** `metrics` of the configuration: who may scrape `GET /metrics`. */
export interface ScraperConfig {
  /** client addresses or CIDR ranges (`10.0.0.0/8`, `::1`) */
  allow?: string[];
  /** name of the environment variable holding the bearer token scrapers send */
  tokenEnv?: string;
}

/** `not-served`: no scrapers configured (404); `refused`: not one of them (403); `allowed`. */
export type ScraperVerdict = 'not-served' | 'refused' | 'allowed';

/** An address or CIDR range, parsed; `undefined` when it is neither. */
export function parseAddressRange(value: string): { address: string; prefix: number; family: 'ipv4' | 'ipv6' } | undefined {
  const [address = '', prefixText, extra] = value.split('/');
  const version = isIP(address);
  if (version === 0 || extra !== undefined) return undefined;
  const bits = version === 4 ? 32 : 128;
  if (prefixText !== undefined && !/^\d{1,3}$/.test(prefixText)) return undefined;
  const prefix = prefixText === undefined ? bits : Number(prefixText);
  if (prefix > bits) return undefined;
  return { address, prefix, family: version === 4 ? 'ipv4' : 'ipv6' };
}

/**
 * Decides who gets the metrics: only scrapers the configuration names, never
 * a task-pane user. With both an allow-list and a token a scraper must pass
 * both. The address is the client's as Express resolves it (`req.ip`: the
 * forwarded one only behind a trusted loopback proxy), so a user reaching the
 * server through the documented nginx is judged by their own address. A token
 * variable named but unset lets nobody in (and is a start-up problem).
 */
export class ScraperAccess {
  readonly #served: boolean;
  readonly #allow: BlockList | undefined;
  readonly #token: Buffer | undefined;
  readonly #tokenRequired: boolean;

  constructor(config: ScraperConfig | undefined, env: NodeJS.ProcessEnv) {
    this.#served = config !== undefined;
    if (config?.allow) {
      this.#allow = new BlockList();
      for (const entry of config.allow) {
        const range = parseAddressRange(entry);
        if (range) this.#allow.addSubnet(range.address, range.prefix, range.family);
      }
    }
    this.#tokenRequired = config?.tokenEnv !== undefined;
    const token = config?.tokenEnv ? env[config.tokenEnv] : undefined;
    this.#token = token ? digest(token) : undefined;
  }

  /** `address`: the client address (`req.ip`); `authorization`: the request's header, if any. */
  verdict(address: string | undefined, authorization: string | undefined): ScraperVerdict {
    if (!this.#served) return 'not-served';
    if (this.#allow && !(address && allowed(this.#allow, address))) return 'refused';
    if (this.#tokenRequired && !this.#tokenMatches(authorization)) return 'refused';
    return 'allowed';
  }

  #tokenMatches(authorization: string | undefined): boolean {
    const given = /^Bearer +(\S+)$/i.exec(authorization ?? '')?.[1];
    // equal-length digests: the comparison takes the same time whatever was sent
    return this.#token !== undefined && given !== undefined && timingSafeEqual(digest(given), this.#token);
  }
}

function allowed(list: BlockList, address: string): boolean {
  // a dual-stack socket reports IPv4 clients as ::ffff:a.b.c.d
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address)?.[1];
  if (mapped) return list.check(mapped, 'ipv4');
  const version = isIP(address);
  return version !== 0 && list.check(address, version === 4 ? 'ipv4' : 'ipv6');
}

function digest(value: string): Buffer {
  return createHash('sha256').update(value).digest();
}
