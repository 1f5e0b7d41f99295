/**
 * The primary's workers: forks them, replaces one that crashes after it served, gives up (and
 * stops everything) when one dies before it ever listened, which is a start-up problem every
 * new worker would hit too (a port in use, a bad setting), and stops them gracefully.
 */
import cluster, { type Worker } from 'node:cluster';
import type { Logger } from 'pino';
import { type Channel, channelOf } from './protocol.js';
import { trySend } from './rpc.js';

export interface SupervisorOptions {
  readonly count: number;
  readonly logger: Logger;
  /** Connects a new worker to the primary's registry host; returns its detach function. */
  readonly attach?: (channel: Channel) => () => void;
  /** A worker died before it listened: the cluster cannot serve. */
  readonly onFatal: (reason: string) => void;
  /** Bound on a worker's graceful stop before it is killed. */
  readonly stopTimeoutMs: number;
}

export interface Supervisor {
  start(): void;
  /** Asks every worker to stop, waits for them (killing laggards), resolves when all exited. */
  stop(): Promise<void>;
}

/** Wait before replacing a crashed worker, so a crash loop does not spin the CPU. */
const RESTART_DELAY_MS = 1_000;

function workerChannel(worker: Worker): Channel {
  return channelOf({
    send: (message: unknown) => worker.send(message as Parameters<Worker['send']>[0]),
    on: (event, listener) => worker.on(event, listener),
    off: (event, listener) => worker.off(event, listener),
    get connected() {
      return worker.isConnected();
    },
  });
}

export function createSupervisor(options: SupervisorOptions): Supervisor {
  const { logger } = options;
  const live = new Map<Worker, Channel>();
  let stopping = false;

  function fork(index: number): void {
    const worker = cluster.fork({ GATEWAY_WORKER_INDEX: String(index) });
    const channel = workerChannel(worker);
    const detach = options.attach?.(channel) ?? (() => {});
    live.set(worker, channel);
    let listening = false;
    worker.on('listening', () => {
      listening = true;
    });
    worker.on('error', (err) => logger.warn({ err, worker: worker.process.pid }, 'gateway worker IPC error'));
    worker.on('exit', (code, signal) => {
      detach();
      live.delete(worker);
      if (stopping) return;
      if (!listening) {
        options.onFatal(`gateway worker ${worker.process.pid} exited (code ${code}) before it listened`);
        return;
      }
      logger.error({ worker: worker.process.pid, code, signal }, 'gateway worker exited; starting a new one');
      setTimeout(() => stopping || fork(index), RESTART_DELAY_MS).unref();
    });
  }

  return {
    start() {
      for (let i = 0; i < options.count; i++) fork(i);
    },
    async stop() {
      stopping = true;
      const exits = [...live.keys()].map(
        (worker) => new Promise<void>((resolve) => worker.once('exit', () => resolve())),
      );
      for (const [worker, channel] of live) {
        if (worker.isConnected()) trySend(channel, { kind: 'msa:shutdown' });
        else worker.process.kill('SIGTERM');
      }
      const killer = setTimeout(() => {
        for (const worker of live.keys()) worker.process.kill('SIGKILL');
      }, options.stopTimeoutMs);
      await Promise.all(exits);
      clearTimeout(killer);
    },
  };
}
