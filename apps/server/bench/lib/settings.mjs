import { existsSync, statSync } from 'node:fs';
import path from 'node:path';

/**
 * The TOA_BENCH_* variables of docs/benchmarks.md, each checked before the
 * first bench starts, every problem listed at once: a typo fails the run in
 * its first second, not when its bench's turn comes minutes into a full run.
 * The benches read the values themselves (measure.mjs, payload.mjs, their
 * own modules); this only says whether they can.
 */

/**
 * `raw` as a comma-separated list of numbers, or a problem: each must be
 * positive, a whole number when `integer`, at least `min`.
 */
export function parseNumberList(raw, { integer = false, min = 0 } = {}) {
  const values = raw.split(',').map((part) => Number(part.trim()));
  const bad = values.some((value) => !(value > 0) || value < min || (integer && !Number.isInteger(value)));
  if (!bad) return { values };
  const kind = integer ? 'whole numbers' : 'positive numbers';
  return { problem: `must be a comma-separated list of ${kind}${min > 0 ? ` of at least ${min.toLocaleString('en-US')}` : ''}, got "${raw}"` };
}

const numbers = (options) => (raw) => parseNumberList(raw, options).problem;
const flag = (raw) => (raw === '1' || raw === '0' ? undefined : `must be 1 (on) or 0 (off), got "${raw}"`);
const factor = (raw) => (Number(raw) > 0 ? undefined : `must be a positive number (a factor on every bench's rounds), got "${raw}"`);
const folder = (raw) => (isFolder(raw) ? undefined : `must name an existing folder, got "${raw}"`);
/** a folder the bench creates when it is missing: only a file in its place is a problem */
const folderOrMissing = (raw) => (!existsSync(raw) || isFolder(raw) ? undefined : `must name a folder (made if missing), got the file "${raw}"`);
const serverPackage = (raw) =>
  existsSync(path.join(raw, 'bin', 'toa-server.js')) && isFolder(path.join(raw, 'dist'))
    ? undefined
    : `must name a built copy of apps/server (with bin/toa-server.js and dist/), got "${raw}"`;

/** Each variable but TOA_BENCH_ONLY (checked against the benches' names) and how its value is checked. */
const CHECKS = {
  TOA_BENCH_QUICK: flag,
  TOA_BENCH_ROUNDS: factor,
  TOA_BENCH_UPLOAD_MB: numbers(),
  TOA_BENCH_MEMORY_MB: numbers(),
  TOA_BENCH_LISTING: numbers({ integer: true }),
  TOA_BENCH_SUGGESTIONS: numbers({ integer: true }),
  // the bench user's imports are every tenth of the newest 10 000 (scale-store.mjs)
  TOA_BENCH_SCALE: numbers({ integer: true, min: 10_000 }),
  TOA_BENCH_STORE: folderOrMissing,
  TOA_BENCH_ROUTES: numbers({ integer: true }),
  TOA_BENCH_LARGE_MB: numbers(),
  TOA_BENCH_FLOOD: numbers({ integer: true }),
  TOA_BENCH_EML_MB: numbers(),
  TOA_BENCH_EML_ATTACHMENTS: numbers({ integer: true }),
  TOA_BENCH_CORPUS: folder,
  TOA_BENCH_DIR: folder,
  TOA_BENCH_STARTUP: numbers({ integer: true }),
  TOA_BENCH_BEFORE: serverPackage,
  TOA_BENCH_COLD: flag,
};

/**
 * The benches TOA_BENCH_ONLY names (in `known`'s order, whatever the order
 * in the variable; names in any case; unset or empty: all of them), or the
 * problem with its value.
 */
export function benchesToRun(raw, known) {
  const asked = (raw ?? '')
    .split(',')
    .map((name) => name.trim().toLowerCase())
    .filter(Boolean);
  if (asked.length === 0) return { names: known };
  const unknown = asked.filter((name) => !known.includes(name));
  if (unknown.length) return { problem: `names unknown benches: ${unknown.join(', ')} (known: ${known.join(', ')})` };
  return { names: known.filter((name) => asked.includes(name)) };
}

/** What is wrong with `raw` as the value of the variable `name`; nothing when it is right (or empty: the default). */
export function settingProblem(name, raw) {
  if (raw === undefined || raw === '') return undefined;
  const check = CHECKS[name];
  const problem = check ? check(raw) : `is not a variable of the bench (known: TOA_BENCH_ONLY, ${Object.keys(CHECKS).join(', ')})`;
  return problem && `${name} ${problem}`;
}

/** Every problem with the TOA_BENCH_* variables of `env`, one line each (`known`: the benches' names); none when the run can start. */
export function settingsProblems(env, known) {
  const problems = [];
  for (const [name, raw] of Object.entries(env)) {
    if (!name.startsWith('TOA_BENCH_') || name === 'TOA_BENCH_ONLY') continue;
    const problem = settingProblem(name, raw);
    if (problem) problems.push(problem);
  }
  const only = benchesToRun(env.TOA_BENCH_ONLY, known);
  if (only.problem) problems.push(`TOA_BENCH_ONLY ${only.problem}`);
  return problems;
}

function isFolder(file) {
  return statSync(file, { throwIfNoEntry: false })?.isDirectory() ?? false;
}
