import { performance } from 'node:perf_hooks';
import { settingProblem } from './settings.mjs';

/** Milliseconds `work` takes. */
export async function timed(work) {
  const start = performance.now();
  await work();
  return performance.now() - start;
}

/**
 * Runs each subject once untimed (JIT, worker start, page cache), then
 * `rounds` times in turn — A B A B … — so that drift of the machine (other
 * processes, thermal state, the page cache filling up) hits every subject
 * alike. Each subject returns its own measurement, so that set-up and
 * clean-up around the measured step stay out of it. `warmUp: false` leaves
 * the untimed run out, for subjects that start a fresh process every time:
 * there is nothing for it to warm. A quick run has none either (`warmUps`).
 * `warmUpRounds`: untimed runs of each, in turn, for a load whose rate is
 * still climbing after one (the filing workflow's, docs/benchmarks.md).
 */
export async function alternate(rounds, subjects, { warmUp = warmUps, warmUpRounds = 1 } = {}) {
  const samples = Object.fromEntries(Object.keys(subjects).map((name) => [name, []]));
  for (let round = 0; warmUp && round < warmUpRounds; round += 1) for (const measure of Object.values(subjects)) await measure();
  for (let round = 0; round < rounds; round += 1) {
    for (const [name, measure] of Object.entries(subjects)) samples[name].push(await measure());
  }
  return samples;
}

export function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** `npm run bench -- --quick` (or TOA_BENCH_QUICK=1): a smoke run, fewer rounds and each bench's small sizes. */
export const quick = process.argv.includes('--quick') || process.env.TOA_BENCH_QUICK === '1';

/** Whether the benches run their subjects once untimed before the timed rounds: not in a quick run, a smoke run that saves the seconds. */
export const warmUps = !quick;

/** How many rounds to run, scaled by TOA_BENCH_ROUNDS (a positive factor; default 1, 0.2 in a quick run), at least 1. */
export function scaledRounds(rounds) {
  // the task pane's bench runs on its own too, without run.mjs's check
  const problem = settingProblem('TOA_BENCH_ROUNDS', process.env.TOA_BENCH_ROUNDS);
  if (problem) throw new Error(problem);
  const factor = Number(process.env.TOA_BENCH_ROUNDS || (quick ? 0.2 : 1));
  return Math.max(1, Math.round(rounds * factor));
}

/** How long a timed round lasts: `ms`, a quarter of it in a quick run (at least 250 ms). */
export function roundMs(ms) {
  return quick ? Math.max(250, Math.round(ms / 4)) : ms;
}

/** How many one-at-a-time calls a median is taken of: `count`, a fifth of it in a quick run (at least 10). */
export function scaledCalls(count) {
  return quick ? Math.max(10, Math.round(count / 5)) : count;
}

/** A number with a sensible precision for a table: two significant digits under 0.1. */
export function fmt(value, digits = defaultDigits(value)) {
  return value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

function defaultDigits(value) {
  if (value >= 100) return 0;
  if (value >= 10) return 1;
  if (value >= 0.1 || value <= 0) return 2;
  return Math.min(6, 1 - Math.floor(Math.log10(value)));
}

/** `subject / baseline`, the figure every bench reports. */
export function ratio(subject, baseline) {
  return `${fmt(subject / baseline)}×`;
}
