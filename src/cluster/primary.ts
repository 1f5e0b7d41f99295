/**
 * GATEWAY_WORKERS > 1: this process forks the workers that serve (they share the listening port;
 * node:cluster hands connections out round-robin) and serves none itself. With a shared Redis
 * store each worker is a complete gateway; with sqlite or memory this process also owns the
 * registry and the health checks (registry-host.ts). SIGTERM or SIGINT stops the workers
 * gracefully, then the registry, then the process.
 */
import type { Logger } from 'pino';
import type { GatewayConfig } from '../config/index.js';
import { type RegistryHost, startRegistryHost } from './registry-host.js';
import { createSupervisor } from './supervisor.js';

/** Extra time a worker gets beyond SHUTDOWN_TIMEOUT_MS to close its store and exit. */
const WORKER_EXIT_GRACE_MS = 5_000;

export async function runPrimary(config: GatewayConfig, logger: Logger): Promise<void> {
  let host: RegistryHost | null = null;
  if (config.registryStore !== 'redis') host = await startRegistryHost(config, { logger });
  let stopping: Promise<void> | null = null;
  const supervisor = createSupervisor({
    count: config.gatewayWorkers,
    logger,
    ...(host ? { attach: host.attach } : {}),
    stopTimeoutMs: config.shutdownTimeoutMs + WORKER_EXIT_GRACE_MS,
    onFatal: (reason) => {
      process.stderr.write(`msa-gateway: cannot start: ${reason}\n`);
      void stop(1);
    },
  });

  function stop(code: number): Promise<void> {
    stopping ??= (async () => {
      await supervisor.stop();
      await host?.close();
      logger.info({ code }, 'cluster primary stopped');
      process.exit(code);
    })().catch((err: unknown) => {
      logger.error({ err }, 'cluster shutdown failed');
      process.exit(1);
    });
    return stopping;
  }

  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.on(signal, () => {
      logger.info({ signal }, 'shutting down the gateway workers');
      void stop(0);
    });
  }
  supervisor.start();
  logger.info(
    { workers: config.gatewayWorkers, store: config.registryStore, pid: process.pid },
    'cluster primary started',
  );
}
