import cluster from 'node:cluster';
import { buildGateway, type GatewayDeps } from './app.js';
import { onPrimaryShutdown, runPrimary, workerDeps } from './cluster/index.js';
import { ConfigError, type GatewayConfig, loadConfig } from './config/index.js';
import { watchConfigFile } from './config/watch.js';
import { createLogger } from './observability/logging.js';

/**
 * Process entry: config → gateway → listen; one clear line and exit 1 on a bad configuration.
 * With GATEWAY_WORKERS > 1 the first process becomes the cluster primary (cluster/primary.ts) and
 * every worker runs the same gateway start-up as a single process does.
 */
async function main(): Promise<void> {
  let config: GatewayConfig;
  try {
    config = loadConfig(process.env);
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`msa-gateway: configuration error: ${err.message}\n`);
      process.exit(1);
    }
    throw err;
  }
  if (config.gatewayWorkers > 1 && cluster.isPrimary) {
    await runPrimary(config, createLogger(config));
    return;
  }
  await serve(config, cluster.isWorker ? workerDeps(config) : {});
}

async function serve(config: GatewayConfig, deps: GatewayDeps): Promise<void> {
  // A worker may be told to stop while it is still starting: that stop waits until it listens.
  let stop: ((signal: NodeJS.Signals) => void) | null = null;
  let stopEarly = false;
  if (cluster.isWorker) {
    onPrimaryShutdown(() => {
      if (stop) stop('SIGTERM');
      else stopEarly = true;
    });
  }
  const gateway = await buildGateway(config, deps);
  try {
    await gateway.listen();
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const line =
      code === 'EADDRINUSE'
        ? `port ${config.port} on ${config.host} is already in use (set PORT)`
        : code === 'EACCES'
          ? `no permission to listen on ${config.host}:${config.port} (set PORT)`
          : describeError(err);
    process.stderr.write(`msa-gateway: cannot start: ${line}\n`);
    await gateway.close().catch(() => {});
    process.exit(1);
  }
  const stopWatching = config.configFile ? watchConfigFile(config, gateway) : () => {};

  let stopping = false;
  stop = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    gateway.logger.info({ signal }, 'shutting down');
    stopWatching();
    gateway.close().then(
      () => process.exit(0),
      (err) => {
        gateway.logger.error({ err }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  if (stopEarly) stop('SIGTERM');
}

/** The message and its cause's (e.g. why the store could not load: Redis not reachable). */
function describeError(err: unknown): string {
  const message = (err as Error)?.message ?? String(err);
  const cause = (err as Error)?.cause;
  return cause instanceof Error && !message.includes(cause.message)
    ? `${message}: ${cause.message}`
    : message;
}

main().catch((err) => {
  process.stderr.write(`msa-gateway: fatal: ${(err as Error)?.message ?? String(err)}\n`);
  process.exit(1);
});
