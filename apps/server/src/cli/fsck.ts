import path from 'node:path';
import pino from 'pino';
import { composeStorage } from '../composition.js';
import type { Config } from '../config/schema.js';
import { guardsLeft } from '../fs/process-lock.js';
import { type OpenDataRoot, openDataRoot } from '../storage/data-root.js';
import { type FsckFinding, fsckDomains } from '../storage/fsck.js';
import type { Layout } from '../storage/layout.js';
import type { Output } from './output.js';

/** Read-only by default; `--repair` takes the data root, so the server must be stopped. Exit code 1 when something is left unrepaired. */
export async function fsck(config: Config, repair: boolean, out: Output): Promise<number> {
  const { layout, storages } = composeStorage(config);
  const opened = repair
    ? await openDataRoot(
        layout,
        config.domains.map((d) => d.code),
        pino({ level: 'silent' }),
      )
    : undefined;
  try {
    const findings = [
      ...(opened ? takeoverFindings(layout, opened) : []),
      ...(await lockGuardFindings(layout)),
      ...(await fsckDomains(layout.root, [...storages.values()], repair)),
    ];
    out.result({ findings }, () => (findings.length === 0 ? ['no problems found'] : findings.map(findingLine)));
    await opened?.release(true);
    return findings.some((f) => !f.repaired) ? 1 : 0;
  } finally {
    await opened?.release();
  }
}

/** A finding as people read it: `REPAIRED <path>: <problem> — fix: <fix>` (or `PROBLEM `). */
export function findingLine(finding: FsckFinding): string {
  return `${finding.repaired ? 'REPAIRED' : 'PROBLEM '} ${finding.path}: ${finding.problem} — fix: ${finding.fix}`;
}

/**
 * What taking the data root repaired before a command's own work (`fsck
 * --repair`, `retention`): a stale lock taken over, then the sweep's
 * extractions rolled forward and leftovers removed, then takeover guards.
 */
export function takeoverFindings(layout: Layout, opened: OpenDataRoot): FsckFinding[] {
  return [
    ...(opened.staleOwner
      ? [{ path: path.relative(layout.root, layout.processLockFile()), problem: staleLockProblem(opened.staleOwner), fix: 'taken over', repaired: true }]
      : []),
    ...opened.sweep.rolledForward.map((rolled) => ({ path: rolled, problem: 'interrupted extraction', fix: 'rolled forward', repaired: true })),
    ...opened.sweep.removed.map((removed) => ({ path: removed, problem: 'leftover of an interrupted write', fix: 'removed', repaired: true })),
    ...opened.removedGuards.map((guard) => ({ path: path.relative(layout.root, guard), problem: GUARD_PROBLEM, fix: 'removed', repaired: true })),
  ];
}

/** A stale lock taken over by `--repair`: the server that held it is gone. */
function staleLockProblem(owner: NonNullable<OpenDataRoot['staleOwner']>): string {
  const holder = 'pid' in owner ? `pid ${owner.pid} on ${owner.host}, started ${owner.startedAt}` : 'unreadable';
  return `data-root lock of a server that is gone (${holder}): a crash or kill -9`;
}

const GUARD_PROBLEM = 'takeover guard of the data-root lock left by a crash while a stale lock was taken over';

/**
 * The data-root lock's takeover guards a crash left (fs/process-lock.ts): one
 * whose process on this host is gone is removed by `--repair` or the next
 * start (which take the lock); one of another host only by hand.
 */
async function lockGuardFindings(layout: Layout): Promise<FsckFinding[]> {
  return (await guardsLeft(layout.processLockFile())).map(({ file, owner, otherHost }) => {
    const holder = 'pid' in owner ? `pid ${owner.pid} on ${owner.host}` : 'unreadable';
    return otherHost
      ? {
          path: path.relative(layout.root, file),
          problem: `${GUARD_PROBLEM} (${holder}, another host: this one cannot tell whether it still runs)`,
          fix: `remove it by hand once the server on ${'host' in owner ? owner.host : 'that host'} is certainly gone`,
          repaired: false,
        }
      : {
          path: path.relative(layout.root, file),
          problem: `${GUARD_PROBLEM} (${holder}, gone)`,
          fix: 'removed by fsck --repair or at the next start',
          repaired: false,
        };
  });
}
