import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { promisify } from 'node:util';
import { waitFor } from './wait-for.js';

/** Repository root (this file is test/helpers/spawn-gateway.ts). */
export const ROOT = resolve(import.meta.dirname, '../..');
export const MAIN_JS = join(ROOT, 'dist/src/main.js');

/**
 * Builds dist/ when it is older than the sources, through the project's own
 * scripts/ensure-build.mjs: the same staleness rule and the same build lock as `npm start`
 * and the other process tests, so parallel test files never build over each other.
 */
export async function ensureBuilt(): Promise<void> {
  await promisify(execFile)(process.execPath, ['scripts/ensure-build.mjs'], { cwd: ROOT }).catch(
    (err: { stderr?: string }) => {
      throw new Error(`build failed: ${err.stderr ?? String(err)}`);
    },
  );
}

export interface SpawnedGateway {
  readonly child: ChildProcess;
  /** Parsed JSON log lines from stdout, as they arrive. */
  readonly logs: Record<string, unknown>[];
  readonly stderr: () => string;
  /** Resolves with the exit code (null when killed by a signal) and signal. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Resolves with the port once the gateway logged 'gateway listening'. */
  listening(timeoutMs?: number): Promise<number>;
}

/** Starts `node dist/src/main.js` with a minimal environment plus `env` (PORT=0, 127.0.0.1, no samples). */
export function spawnGateway(env: Record<string, string>): SpawnedGateway {
  const child = spawn(process.execPath, [MAIN_JS], {
    cwd: ROOT,
    env: {
      PATH: process.env.PATH ?? '',
      PORT: '0',
      HOST: '127.0.0.1',
      LOG_LEVEL: 'info',
      REGISTER_SAMPLE_SERVICES: 'false',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const logs: Record<string, unknown>[] = [];
  let stderr = '';
  createInterface({ input: child.stdout! }).on('line', (line) => {
    try {
      logs.push(JSON.parse(line) as Record<string, unknown>);
    } catch {
      logs.push({ msg: line });
    }
  });
  child.stderr!.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((done) =>
    child.once('exit', (code, signal) => done({ code, signal })),
  );
  return {
    child,
    logs,
    stderr: () => stderr,
    exited,
    async listening(timeoutMs = 15_000) {
      const line = await waitFor(
        () =>
          logs.find((l) => l.msg === 'gateway listening') ?? (child.exitCode !== null ? 'exited' : undefined),
        timeoutMs,
        () => `'gateway listening' (stderr: ${stderr})`,
      );
      if (line === 'exited') throw new Error(`gateway exited: ${stderr}`);
      return Number((line as Record<string, unknown>).port);
    },
  };
}
