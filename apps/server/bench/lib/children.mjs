/**
 * The bench's child processes still running (servers, baselines, the task
 * pane's bench), each with the signal that ends it. They are ended when this
 * process exits, however it exits — a bench that failed, Ctrl-C, a kill —
 * so that none is left serving or writing into the run's folder.
 */
const running = new Map();

process.on('exit', endChildren);

/** Follows `child` until it exits; `signal` ends it if this process exits first (SIGTERM lets it end its own children). */
export function tracked(child, signal = 'SIGKILL') {
  running.set(child, signal);
  child.once('exit', () => running.delete(child));
  return child;
}

/** Ends every child still running. */
export function endChildren() {
  for (const [child, signal] of running) child.kill(signal);
}
