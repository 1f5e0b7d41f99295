// Child processes of a benchmark run: started pinned to a core, tracked by pid, and always
// stopped (SIGTERM, then SIGKILL) by the pids this run started, never by name.
import { spawn, spawnSync } from 'node:child_process';
import { createWriteStream, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';

const started = new Set();
let cleanupHooked = false;

export const HAS_TASKSET =
  process.platform === 'linux' && spawnSync('taskset', ['-V'], { stdio: 'ignore' }).status === 0;

/** Pins this process (every thread) to `core`, so the orchestrator stays off the targets' core. */
export function pinSelf(core) {
  if (!HAS_TASKSET) return false;
  return (
    spawnSync('taskset', ['-a', '-pc', String(core), String(process.pid)], { stdio: 'ignore' }).status === 0
  );
}

function hookCleanup() {
  if (cleanupHooked) return;
  cleanupHooked = true;
  // 'exit' handlers run synchronously: a SIGKILL is all that can still be sent there.
  process.on('exit', () => {
    for (const child of started) killNow(child, 'SIGKILL');
  });
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
    process.on(signal, () => {
      process.stderr.write(`\nbench: ${signal}, stopping the processes it started\n`);
      stopAll().finally(() => process.exit(130));
    });
  }
}

function killNow(child, signal) {
  if (child.exitCode !== null || child.signalCode !== null) return;
  try {
    process.kill(child.pid, signal);
  } catch {
    // already gone
  }
}

/**
 * Starts `command args` pinned to `core` (via taskset, which execs, so the pid is the
 * command's own), logging its output to `logDir/name.log`. `env` adds to this process's
 * environment, or replaces it with `inheritEnv: false`. Returns the child.
 */
export function startProcess({ name, command, args, core, env, logDir, cwd, inheritEnv = true }) {
  hookCleanup();
  const useTaskset = HAS_TASKSET && core !== undefined && core !== null;
  const file = useTaskset ? 'taskset' : command;
  const argv = useTaskset ? ['-c', String(core), command, ...args] : args;
  const childEnv = inheritEnv ? { ...process.env, ...env } : env;
  const child = spawn(file, argv, { cwd, env: childEnv, stdio: ['ignore', 'pipe', 'pipe'] });
  child.benchName = name;
  child.logFile = join(logDir, `${name}.log`);
  const log = createWriteStream(child.logFile);
  child.stderr.pipe(log);
  child.output = '';
  child.stdout.on('data', (chunk) => {
    log.write(chunk);
    // Only the start of the output is kept (the ready line); the log file has the rest.
    if (child.output.length < 64 * 1024) child.output += chunk.toString();
  });
  started.add(child);
  child.once('exit', () => started.delete(child));
  return child;
}

/** Waits (bounded) for a `{"port":N}` line on the child's stdout. */
export async function readyPort(child, timeoutMs = 20_000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const line = child.output.split('\n').find((l) => l.startsWith('{"port"'));
    if (line) return JSON.parse(line).port;
    if (child.exitCode !== null) break;
    await sleep(50);
  }
  throw new Error(`${child.benchName} did not start; see ${child.logFile}`);
}

/** Stops one child: SIGTERM, then SIGKILL after `graceMs`. */
export async function stopProcess(child, graceMs = 5_000) {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  killNow(child, 'SIGTERM');
  const timer = setTimeout(() => killNow(child, 'SIGKILL'), graceMs);
  await exited;
  clearTimeout(timer);
}

export async function stopAll() {
  await Promise.all([...started].map((child) => stopProcess(child)));
}

export function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** A free TCP port on 127.0.0.1 (for the gateway, which takes its port from PORT). */
export function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/** VmRSS and VmHWM of a process in MiB (from /proc/<pid>/status), or null when unreadable. */
export function memoryOf(pid) {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const field = (name) => {
      const m = new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status);
      return m ? Number(m[1]) / 1024 : null;
    };
    return { rss: field('VmRSS'), hwm: field('VmHWM') };
  } catch {
    return null;
  }
}

/** The pids of a process and its descendants (cluster workers), from /proc/<pid>/task/<t>/children. */
export function processTree(pid) {
  const out = [pid];
  for (let i = 0; i < out.length && out.length < 1024; i++) {
    try {
      const children = readFileSync(`/proc/${out[i]}/task/${out[i]}/children`, 'utf8').trim();
      if (children) for (const c of children.split(/\s+/)) out.push(Number(c));
    } catch {
      // gone, or not Linux
    }
  }
  return out;
}

const CLK_TCK = (() => {
  const r = spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' });
  return Number(r.stdout) || 100;
})();

/** User + system CPU seconds of one process (from /proc/<pid>/stat), or 0 when unreadable. */
export function cpuSeconds(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / CLK_TCK;
  } catch {
    return 0;
  }
}

/** Busy and total jiffies of one core (from /proc/stat), or null when unreadable. */
export function coreTimes(core) {
  try {
    const line = readFileSync('/proc/stat', 'utf8')
      .split('\n')
      .find((l) => l.startsWith(`cpu${core} `));
    const v = line.trim().split(/\s+/).slice(1).map(Number);
    const idle = v[3] + (v[4] ?? 0);
    const total = v.reduce((a, b) => a + b, 0);
    return { busy: total - idle, total };
  } catch {
    return null;
  }
}

/** CPU seconds used so far by this process and every process tree it started. */
export function ownCpuSeconds() {
  let total = cpuSeconds(process.pid);
  for (const child of started) for (const pid of processTree(child.pid)) total += cpuSeconds(pid);
  return total;
}

/**
 * Samples the summed VmRSS of `pid`'s process tree every `everyMs` until stopped; `stop()`
 * returns the peak in MiB (null when /proc is unavailable) and the tree's CPU use over the
 * sampled time in % of one core (how far the target's core was saturated).
 */
export function sampleProcess(pid, everyMs = 100, core = null) {
  let peak = null;
  const coreBefore = core === null ? null : coreTimes(core);
  const cpu = new Map();
  const take = () => {
    let total = null;
    for (const p of processTree(pid)) {
      const m = memoryOf(p);
      if (m?.rss != null) total = (total ?? 0) + m.rss;
      const seconds = cpuSeconds(p);
      const seen = cpu.get(p);
      cpu.set(p, { first: seen?.first ?? seconds, last: seconds });
    }
    if (total !== null && (peak === null || total > peak)) peak = total;
  };
  const started = performance.now();
  take();
  const timer = setInterval(take, everyMs);
  return {
    stop() {
      clearInterval(timer);
      take();
      const wall = (performance.now() - started) / 1000;
      let used = 0;
      for (const { first, last } of cpu.values()) used += last - first;
      const cpuPercent = wall > 0 ? (100 * used) / wall : null;
      // What else ran on the target's core meanwhile (other processes on the machine): noise.
      const coreAfter = core === null ? null : coreTimes(core);
      let foreignPercent = null;
      if (coreBefore && coreAfter && coreAfter.total > coreBefore.total) {
        const busy = (100 * (coreAfter.busy - coreBefore.busy)) / (coreAfter.total - coreBefore.total);
        foreignPercent = Math.max(0, busy - (cpuPercent ?? 0));
      }
      return { rssPeak: peak, cpuPercent, foreignPercent };
    },
  };
}
