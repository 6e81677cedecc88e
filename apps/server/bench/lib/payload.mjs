import { randomFillSync } from 'node:crypto';
import { open } from 'node:fs/promises';
import path from 'node:path';
import { quick } from './measure.mjs';
import { parseNumberList, settingProblem } from './settings.mjs';

export const MiB = 1024 * 1024;

/** A file of `sizeMb` MiB of random bytes (incompressible, as a scanned PDF nearly is), written once per run. */
export async function randomPayload(dir, sizeMb, name = `payload-${sizeMb}mb`) {
  const file = path.join(dir, `${name}.bin`);
  const handle = await open(file, 'wx');
  try {
    const chunk = Buffer.alloc(MiB);
    for (let left = Math.round(sizeMb * MiB); left > 0; left -= chunk.length) {
      await handle.write(randomFillSync(chunk), 0, Math.min(left, chunk.length));
    }
  } finally {
    await handle.close();
  }
  return file;
}

/**
 * `TOA_BENCH_<NAME>` as a list of positive numbers, or the default: in a
 * quick run `quickFallback`, by default the smallest default size alone.
 */
export function numbersFromEnv(name, fallback, quickFallback = [Math.min(...fallback)]) {
  const raw = process.env[name];
  if (!raw) return quick ? quickFallback : fallback;
  const problem = settingProblem(name, raw);
  if (problem) throw new Error(problem);
  return parseNumberList(raw).values;
}
