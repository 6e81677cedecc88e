import { spawnSync } from 'node:child_process';
import { openSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LogFile } from './log-file.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'toa-log-file-'));
});
afterEach(() => rm(dir, { recursive: true, force: true }));

describe('LogFile', () => {
  it('writes every line, in order, and calls back once they are in the file', async () => {
    const file = path.join(dir, 'server.log');
    const log = new LogFile(openSync(file, 'a'), () => {});
    for (let i = 0; i < 50; i += 1) log.write(`{"n":${i}}\n`);
    await new Promise<void>((resolve) => log.flush(resolve));
    const lines = (await readFile(file, 'utf8')).trim().split('\n');
    expect(lines).toEqual(Array.from({ length: 50 }, (_, i) => `{"n":${i}}`));
    expect(log.state()).toEqual({ writable: true, dropped: 0 });
  });

  it('leaves nothing behind when the process ends on an uncaught exception right after logging', () => {
    const file = path.join(dir, 'crash.log');
    const source = fileURLToPath(new URL('./log-file.ts', import.meta.url));
    const script = [
      `import { openSync } from 'node:fs';`,
      `import { LogFile } from ${JSON.stringify(source)};`,
      `const log = new LogFile(openSync(${JSON.stringify(file)}, 'a'), () => {});`,
      `log.write('{"msg":"before the crash"}\\n');`,
      `throw new Error('crash');`,
    ].join('\n');
    const child = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { encoding: 'utf8' });
    expect(child.status).toBe(1);
    expect(child.stderr).toContain('crash');
    return expect(readFile(file, 'utf8')).resolves.toBe('{"msg":"before the crash"}\n');
  });
});
