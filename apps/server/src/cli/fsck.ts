import pino from 'pino';
import { composeStorage } from '../composition.js';
import type { Config } from '../config/schema.js';
import { openDataRoot } from '../storage/data-root.js';
import { fsckDomains } from '../storage/fsck.js';
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
    const findings = await fsckDomains(layout.root, [...storages.values()], repair);
    if (opened) {
      for (const removed of opened.sweep.removed)
        findings.unshift({ path: removed, problem: 'leftover of an interrupted write', fix: 'removed', repaired: true });
      for (const rolled of opened.sweep.rolledForward)
        findings.unshift({ path: rolled, problem: 'interrupted extraction', fix: 'rolled forward', repaired: true });
    }
    out.result({ findings }, () =>
      findings.length === 0 ? ['no problems found'] : findings.map((f) => `${f.repaired ? 'REPAIRED' : 'PROBLEM '} ${f.path}: ${f.problem} — fix: ${f.fix}`),
    );
    return findings.some((f) => !f.repaired) ? 1 : 0;
  } finally {
    await opened?.release();
  }
}
