/**
 * Helpers for the hostile-input suite: raw sockets (an HTTP client would clean the input up),
 * gateways built from an environment exactly as the process builds them, and a log capture that
 * runs the gateway's real logger (its redaction included).
 */
import { connect } from 'node:net';
import type { Logger } from 'pino';
import type { GatewayDeps } from '../../src/app.js';
import { loadConfig } from '../../src/config/index.js';
import { createLogger } from '../../src/observability/logging.js';
import { listenGateway, type StartedGateway } from '../helpers/gateway.js';

export interface RawReply {
  /** Everything the gateway sent before the connection closed (or the wait ended). */
  readonly text: string;
  /** Status codes of every response in `text`, in order. */
  readonly statuses: number[];
  /** The gateway closed the connection (rather than the wait ending). */
  readonly closed: boolean;
  /** Milliseconds from connect to close (or to the end of the wait). */
  readonly ms: number;
}

export interface RawOptions {
  /** Give up this long after the last byte received (default 1000 ms). */
  readonly idleMs?: number;
  /** Hard deadline (default 10 s). */
  readonly deadlineMs?: number;
  /** Written piece by piece, `gapMs` apart (default: all at once). */
  readonly pieces?: readonly (string | Buffer)[];
  readonly gapMs?: number;
}

/** Sends bytes on a fresh connection and collects what comes back until close or silence. */
export function rawRequest(
  port: number,
  payload: string | Buffer,
  options: RawOptions = {},
): Promise<RawReply> {
  const idleMs = options.idleMs ?? 1_000;
  const deadlineMs = options.deadlineMs ?? 10_000;
  const started = Date.now();
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    let idle: NodeJS.Timeout | undefined;
    let drip: NodeJS.Timeout | undefined;
    let settled = false;
    const finish = (closed: boolean) => {
      if (settled) return;
      settled = true;
      clearTimeout(idle);
      clearTimeout(deadline);
      clearTimeout(drip);
      socket.destroy();
      const text = Buffer.concat(chunks).toString('latin1');
      const statuses = [...text.matchAll(/HTTP\/1\.[01] (\d{3}) /g)].map((m) => Number(m[1]));
      resolve({ text, statuses, closed, ms: Date.now() - started });
    };
    const armIdle = () => {
      clearTimeout(idle);
      idle = setTimeout(() => finish(false), idleMs);
    };
    const deadline = setTimeout(() => finish(false), deadlineMs);
    socket.on('data', (chunk: Buffer) => {
      chunks.push(chunk);
      armIdle();
    });
    socket.on('close', () => finish(true));
    socket.on('error', () => finish(true));
    socket.on('connect', () => {
      if (!options.pieces) {
        socket.write(payload);
        armIdle();
        return;
      }
      const pieces = [...options.pieces];
      const next = () => {
        const piece = pieces.shift();
        if (piece === undefined || socket.destroyed) return;
        socket.write(piece);
        drip = setTimeout(next, options.gapMs ?? 100);
      };
      next();
    });
  });
}

/** Base environment of a gateway under test: loopback, port 0, memory store, no samples, quiet. */
export const TEST_ENV: Readonly<Record<string, string>> = {
  PORT: '0',
  HOST: '127.0.0.1',
  REGISTRY_STORE: 'memory',
  REGISTER_SAMPLE_SERVICES: 'false',
  LOG_LEVEL: 'warn',
  HEALTH_CHECK_INTERVAL_MS: '60000',
};

export type EnvGateway = StartedGateway;

/** A gateway from an environment, through loadConfig as the process does (derived defaults included). */
export async function startFromEnv(env: Record<string, string>, deps: GatewayDeps = {}): Promise<EnvGateway> {
  return listenGateway(loadConfig({ ...TEST_ENV, ...env }), {
    ...deps,
    logger: deps.logger ?? silentLogger(),
  });
}

export function silentLogger(): Logger {
  return createLogger({ logLevel: 'fatal' }, { write: () => {} });
}

/** The gateway's real logger (its redaction included) at trace level, writing into memory. */
export function captureLogger(): { logger: Logger; text: () => string } {
  const lines: string[] = [];
  const logger = createLogger({ logLevel: 'trace' }, { write: (line: string) => void lines.push(line) });
  return { logger, text: () => lines.join('') };
}

/**
 * Bundles a TypeScript entry into one ESM file that node can run by itself (in a child process or
 * a network namespace) without a build of the whole project. It lands under node_modules/.cache
 * so its package imports resolve; the caller removes it.
 */
export async function bundleEntry(entry: string, name: string): Promise<string> {
  const { build } = await import('esbuild');
  const { mkdirSync } = await import('node:fs');
  const { join } = await import('node:path');
  const { ROOT } = await import('../helpers/spawn-gateway.js');
  const dir = join(ROOT, 'node_modules/.cache/msa-gateway-security');
  mkdirSync(dir, { recursive: true });
  const outfile = join(dir, `${name}-${process.pid}.mjs`);
  await build({
    entryPoints: [join(ROOT, entry)],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    packages: 'external',
    logLevel: 'silent',
  });
  return outfile;
}
