import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import type { Prefixer } from './output.js';

export interface ChildSpec {
  name: string;
  command: string;
  args: string[];
  env: NodeJS.ProcessEnv;
  cwd?: string;
}

export interface ChildExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface Child {
  readonly name: string;
  readonly pid: number;
  /** Settles when the process has exited (never rejects). */
  readonly exited: Promise<ChildExit>;
  alive(): boolean;
}

/**
 * Starts a child in its own process group with its output prefixed line by line. Its own
 * group means a terminal's Ctrl-C reaches only the supervisor, which then stops the children
 * in order; signalling the group also reaches anything the child started itself.
 */
export function spawnChild(spec: ChildSpec, prefixer: Prefixer): Child {
  const proc: ChildProcess = spawn(spec.command, spec.args, {
    cwd: spec.cwd,
    env: spec.env,
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  if (proc.pid === undefined) throw new Error(`cannot start ${spec.name}: ${spec.command} did not spawn`);
  prefixer.pipe(spec.name, proc.stdout!, process.stdout);
  prefixer.pipe(spec.name, proc.stderr!, process.stderr);
  let running = true;
  const exited = once(proc, 'exit').then(([code, signal]) => {
    running = false;
    return { code, signal } as ChildExit;
  });
  return { name: spec.name, pid: proc.pid, exited, alive: () => running };
}

/** Signals a child's whole process group; a group already gone is not an error. */
export function signalChild(child: Child, signal: NodeJS.Signals): void {
  if (!child.alive()) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    // Exited between the check and the signal.
  }
}

/** SIGTERM, then SIGKILL whatever still runs after `graceMs`; resolves when all have exited. */
export async function stopChildren(children: readonly Child[], graceMs: number): Promise<void> {
  for (const child of children) signalChild(child, 'SIGTERM');
  const all = Promise.all(children.map((c) => c.exited));
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<'late'>((resolve) => {
    timer = setTimeout(() => resolve('late'), graceMs);
  });
  if ((await Promise.race([all, late])) === 'late') {
    for (const child of children) signalChild(child, 'SIGKILL');
    await all;
  }
  clearTimeout(timer);
}

export function describeExit({ code, signal }: ChildExit): string {
  return signal ? `was killed by ${signal}` : `exited with code ${code}`;
}
