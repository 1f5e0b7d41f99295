// Helpers for the benchmark's own child processes (upstream, peers, health server).

/**
 * Exits when the benchmark that started this process goes away (its parent pid changes) or
 * on SIGTERM/SIGINT, so no server outlives a run, even one killed with SIGKILL.
 */
export function exitWithParent(onExit = () => {}) {
  const parent = process.ppid;
  const stop = () => {
    try {
      onExit();
    } finally {
      process.exit(0);
    }
  };
  setInterval(() => {
    if (process.ppid !== parent) stop();
  }, 500).unref();
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

/** Reads `--name value` from argv. */
export function argValue(name, fallback) {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && i + 1 < process.argv.length ? process.argv[i + 1] : fallback;
}
