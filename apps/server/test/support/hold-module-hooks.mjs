import { existsSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';

const held = process.env.TOA_TEST_HOLD_MODULE;
const until = process.env.TOA_TEST_HOLD_UNTIL;

/** node:module `load` hook: waits for the gate file before loading the held module. */
export async function load(url, context, nextLoad) {
  if (held && until && url.endsWith(held)) {
    while (!existsSync(until)) await sleep(20);
  }
  return nextLoad(url, context);
}
