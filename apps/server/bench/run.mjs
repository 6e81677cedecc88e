import { execFileSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { emlIsolation } from './eml-isolation.mjs';
import { emlPage } from './eml-page.mjs';
import { fairParsing } from './fair-parsing.mjs';
import { health } from './health.mjs';
import { largeUpload } from './large-upload.mjs';
import { listing } from './listing.mjs';
import { pane } from './pane.mjs';
import { endChildren } from './lib/children.mjs';
import { quick } from './lib/measure.mjs';
import { benchesToRun, settingsProblems } from './lib/settings.mjs';
import { markdownTable } from './lib/table.mjs';
import { routes } from './routes.mjs';
import { scale } from './scale.mjs';
import { startup } from './startup.mjs';
import { suggestions } from './suggestions.mjs';
import { uploadMemory } from './upload-memory.mjs';
import { uploadThroughput } from './upload-throughput.mjs';
import { workflow } from './workflow.mjs';

/**
 * `npm run bench`: each bench measures the server against a baseline doing
 * the same work without it, side by side in this one run, and reports the
 * ratio of medians. Nothing here asserts a time: the tables are printed in
 * Markdown for docs/benchmarks.md. TOA_BENCH_ONLY picks benches (a comma
 * list of BENCHES' names; they run in BENCHES' order); the sizes are set by
 * the variables named in that document, checked before the first bench.
 */
const BENCHES = {
  upload: uploadThroughput,
  memory: uploadMemory,
  eml: emlIsolation,
  emlpage: emlPage,
  listing,
  routes,
  fairness: fairParsing,
  suggestions,
  scale,
  workflow,
  health,
  large: largeUpload,
  pane,
  startup,
};

/** Benches that run as a program of their own (bench/pane.mjs), which a quick run starts beside the others. */
const SEPARATE = new Set(['pane']);

// every variable checked before anything runs, every problem listed: a typo costs a second, not a full run
const problems = settingsProblems(process.env, Object.keys(BENCHES));
if (problems.length) {
  console.error(`The bench cannot run:\n${problems.map((problem) => `- ${problem}`).join('\n')}\n(docs/benchmarks.md lists the variables)`);
  process.exit(2);
}
const { names: chosen } = benchesToRun(process.env.TOA_BENCH_ONLY, Object.keys(BENCHES));

const started = performance.now();
const cpus = os.cpus();
console.log(`## Run of ${new Date().toISOString().slice(0, 10)}\n`);
console.log(
  `${cpus.length} × ${cpus[0]?.model.trim() ?? 'unknown CPU'}, ${fmtGiB(os.totalmem())} GiB RAM, ${os.type()} ${os.release()}, Node ${process.version}`,
);
// ratios survive a busy machine better than times do, but say how busy it was
const load = os.loadavg().map((value) => value.toFixed(1));
console.log(`load average at start: ${load.join(', ')}\n`);

// temporaries on the same file system as os.tmpdir() unless TOA_BENCH_DIR says otherwise: fsync costs depend on it
const workDir = await mkdtemp(path.join(process.env.TOA_BENCH_DIR ?? os.tmpdir(), 'toa-bench-'));
// A quick run's ratios are a smoke signal, so it saves the seconds: no sync between benches, and the
// benches that run in a process of their own (the task pane's Vite builds and Chromium) start at once,
// beside the others, their table printed in its place.
const beside = new Map();
/** ends the benches started beside the others, if the run fails before their turn */
const stopBeside = new AbortController();
// Ctrl-C or a kill ends the run as its end would: no child left running, the run's folder removed
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.once(signal, () => {
    console.error(`\n${signal}: the run stops; its servers are ended and its folder removed`);
    endChildren();
    rmSync(workDir, { recursive: true, force: true, maxRetries: 10 });
    process.exit(128 + os.constants.signals[signal]);
  });
}
try {
  const selected = Object.entries(BENCHES).filter(([name]) => chosen.includes(name));
  for (const [name, bench] of selected) {
    if (!quick || !SEPARATE.has(name)) continue;
    const running = startBench(name, bench, stopBeside.signal);
    // awaited in its turn, or in `finally` when the run fails before it
    running.catch(() => {});
    beside.set(name, running);
  }
  for (const [index, [name, bench]] of selected.entries()) {
    // what the benches before wrote is on disk first: its writeback would land in this one's rounds, on whichever subject flushes more often
    if (!quick) flushDirtyPages();
    const running = beside.get(name);
    beside.delete(name);
    const { result, seconds } = await (running ?? startBench(name, bench));
    console.log(markdownTable(result));
    console.log(`(${name}: ${seconds.toFixed(0)} s${running && index > 0 ? ', beside the benches before it' : ''})\n`);
  }
} finally {
  // a bench still beside the others means the run failed before its turn: it is ended, and nothing is removed from under it
  stopBeside.abort();
  const left = [...beside];
  const outcomes = await Promise.allSettled(left.map(([, running]) => running));
  outcomes.forEach((outcome, i) => {
    // its own failure, not the end the run put to it
    if (outcome.status === 'rejected' && outcome.reason?.name !== 'AbortError') {
      console.error(`${left[i][0]} (started beside the others) failed too: ${outcome.reason?.message ?? outcome.reason}`);
    }
  });
  await rm(workDir, { recursive: true, force: true });
}
console.log(`Total: ${((performance.now() - started) / 1000).toFixed(0)} s`);

/** Runs `bench` in a folder of its own under the run's (`signal` ends it, where it can be); resolves with its table and how long it took. */
async function startBench(name, bench, signal) {
  const benchStarted = performance.now();
  const benchDir = path.join(workDir, name);
  await mkdir(benchDir);
  const result = await bench(benchDir, { signal });
  return { result, seconds: (performance.now() - benchStarted) / 1000 };
}

/**
 * sync(1): every file system's dirty pages written out before the next bench
 * starts. The large payloads a bench writes without flushing (hundreds of MB
 * dirty after the e-mail bench) would otherwise be written back during the
 * next bench's rounds and compete with its fsyncs for the disk (on journaled
 * ext4, data=ordered, an fsync also waits for the dirty data its commit orders).
 */
function flushDirtyPages() {
  try {
    execFileSync('sync');
  } catch {
    // no sync(1) here: the benches run as before
  }
}

function fmtGiB(bytes) {
  return (bytes / 2 ** 30).toFixed(1);
}
