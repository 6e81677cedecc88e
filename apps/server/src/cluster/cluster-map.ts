import type { Logger } from 'pino';
import type { ClusterNode, ClusterPlacement } from '../config/schema.js';
import { AppError } from '../errors.js';

/** What taking a new map changed for this node. */
export interface ClusterMapChange {
  /** domains this node stored and that another node owns now: answered 421 from now on */
  released: string[];
  /** domains the map now places here that this process does not serve: served once their recovery pass is done */
  arrived: string[];
  /** domains whose owner elsewhere changed (the 421 names the new one) */
  movedElsewhere: string[];
}

/**
 * The placement a running node answers by: the one it started with, replaced
 * by `replace` when the configuration is read again (SIGHUP, docs/scaling.md
 * "Moving a domain"). A domain that leaves this node is answered 421 naming
 * its new owner at once, and is no longer served here. A domain that arrives
 * is served once the server has opened it (`serve`): its folder recovered
 * and its index built by the same pass a start runs.
 */
export class ClusterMap {
  #current: ClusterPlacement;
  readonly #served: Set<string>;

  constructor(initial: ClusterPlacement) {
    this.#current = initial;
    this.#served = new Set(initial.self.domains);
  }

  get current(): ClusterPlacement {
    return this.#current;
  }

  /** Whether this process stores and serves `domain` (it was this node's at the start, or has been opened since). */
  serves(domain: string): boolean {
    return this.#served.has(domain);
  }

  /** `domain`, placed here by the current map, is served from now on (its storage is open, its pass under way or done). */
  serve(domain: string): void {
    if (this.ownsHere(domain)) this.#served.add(domain);
  }

  /** `domain` is no longer served here (its pass failed: the next reload tries it again). */
  unserve(domain: string): void {
    this.#served.delete(domain);
  }

  /** Whether the current map places `domain` on this node. */
  ownsHere(domain: string): boolean {
    return this.#current.owners[domain]?.name === this.#current.self.name;
  }

  /** The node that owns `domain` on the current map, `undefined` for a domain the cluster does not know. */
  ownerOf(domain: string): ClusterNode | undefined {
    return this.#current.owners[domain];
  }

  /**
   * Takes `next` (the configuration read again). Refused, changing nothing,
   * when it has no cluster, names this node otherwise, or has other domains
   * than the running server (adding or removing a domain needs a restart of
   * every node).
   */
  replace(next: ClusterPlacement | undefined): ClusterMapChange {
    const current = this.#current;
    if (!next) throw new AppError('VALIDATION_FAILED', 'the configuration read again has no cluster; restart the server to leave the cluster');
    if (next.self.name !== current.self.name) {
      throw new AppError(
        'VALIDATION_FAILED',
        `the configuration read again names this node "${next.self.name}", not "${current.self.name}"; restart the server to rename it`,
      );
    }
    const codes = (placement: ClusterPlacement) => Object.keys(placement.owners).sort().join(',');
    if (codes(next) !== codes(current)) {
      throw new AppError(
        'VALIDATION_FAILED',
        'the configuration read again has other domains than the running server; adding or removing a domain needs a restart',
      );
    }
    const change: ClusterMapChange = { released: [], arrived: [], movedElsewhere: [] };
    for (const [code, owner] of Object.entries(next.owners)) {
      const before = current.owners[code];
      const mine = owner.name === next.self.name;
      if (mine && !this.#served.has(code)) change.arrived.push(code);
      else if (!mine && this.#served.has(code)) change.released.push(code);
      else if (!mine && (before?.name !== owner.name || before?.url !== owner.url)) change.movedElsewhere.push(code);
    }
    this.#current = next;
    // a domain that comes back later is another copy: it is opened again, not served from what this process knew
    for (const code of change.released) this.#served.delete(code);
    return change;
  }
}

/**
 * SIGHUP on a cluster node: reads the configuration again (`read`) and takes
 * its map, logging what changed for this node; a configuration that cannot
 * be read or taken is logged and the running map kept.
 */
export function reloadClusterMap(map: ClusterMap, read: () => ClusterPlacement | undefined, logger: Logger): ClusterMapChange | undefined {
  let change: ClusterMapChange;
  try {
    change = map.replace(read());
  } catch (error) {
    logger.error({ err: error }, `the cluster map was not reloaded, the running one is kept: ${error instanceof Error ? error.message : String(error)}`);
    return undefined;
  }
  const { released, arrived, movedElsewhere } = change;
  logger.info({ signal: 'SIGHUP', released, arrived, movedElsewhere }, 'reloaded the cluster map');
  for (const code of released)
    logger.info({ domain: code, owner: map.ownerOf(code)?.name }, `${code} is now owned by "${map.ownerOf(code)?.name}": answered 421 here from now on`);
  for (const code of arrived)
    logger.info({ domain: code }, `${code} is now placed on this node: its folder is recovered and indexed, then served (503 STARTING meanwhile)`);
  return change;
}
