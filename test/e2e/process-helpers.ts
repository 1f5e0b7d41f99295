import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:net';
import { ROOT } from '../helpers/spawn-gateway.js';

/** Settings of the outer environment that would change what a started process does. */
const LEAKY = [
  'PORT',
  'HOST',
  'GATEWAY_URL',
  'PUBLIC_URL',
  'GATEWAY_ADMIN_TOKEN',
  'GATEWAY_CONFIG',
  'ENVIRONMENT',
];

export function cleanEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1' };
  for (const name of LEAKY) delete env[name];
  return { ...env, ...extra };
}

export interface Watched {
  proc: ChildProcess;
  pid: number;
  /** Everything written to stdout and stderr so far. */
  output(): string;
  /** Resolves with the first match of `pattern` in the output; rejects at the deadline or if the process exits first. */
  waitFor(pattern: RegExp, timeoutMs: number): Promise<RegExpMatchArray>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Resolves when stdout and stderr are closed: every process that inherited them has exited. */
  closed: Promise<void>;
}

/** Starts a process in its own process group (so a test can clean up the whole group) and records its output. */
export function watch(command: string, args: string[], env: NodeJS.ProcessEnv): Watched {
  const proc = spawn(command, args, { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  let text = '';
  const listeners = new Set<() => void>();
  const append = (chunk: Buffer) => {
    text += chunk.toString();
    for (const listener of listeners) listener();
  };
  proc.stdout!.on('data', append);
  proc.stderr!.on('data', append);
  const exited = once(proc, 'exit').then(([code, signal]) => ({ code, signal }));
  const closed = once(proc, 'close').then(() => {});
  return {
    proc,
    pid: proc.pid!,
    output: () => text,
    exited,
    closed,
    waitFor(pattern, timeoutMs) {
      return new Promise((resolvePromise, reject) => {
        const check = () => {
          const match = text.match(pattern);
          if (!match) return;
          done();
          resolvePromise(match);
        };
        const timer = setTimeout(() => fail(`timed out after ${timeoutMs} ms`), timeoutMs);
        const fail = (why: string) => {
          done();
          reject(
            new Error(`${why} waiting for ${pattern} in the output of ${command}:\n${text.slice(-4000)}`),
          );
        };
        const onExit = () => setImmediate(() => (text.match(pattern) ? check() : fail('the process exited')));
        const done = () => {
          clearTimeout(timer);
          listeners.delete(check);
          proc.off('exit', onExit);
        };
        listeners.add(check);
        proc.once('exit', onExit);
        check();
      });
    },
  };
}

export function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Kills a process group left behind by a failed test; nothing if it is gone. */
export function killGroup(pid: number): void {
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    // Already gone.
  }
}

/** Throws one clear line when a fixed port this test needs is taken on 127.0.0.1. */
export async function assertPortFree(port: number): Promise<void> {
  const server = createServer();
  try {
    await new Promise<void>((resolvePromise, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', resolvePromise);
    });
  } catch (err) {
    throw new Error(
      `port ${port} on 127.0.0.1 is busy (${(err as NodeJS.ErrnoException).code}): stop what uses it first`,
    );
  } finally {
    server.close();
  }
}
