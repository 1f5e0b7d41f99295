import { buildGateway } from './app.js';
import { ConfigError, loadConfig } from './config/index.js';
import { watchConfigFile } from './config/watch.js';

/** Process entry: config → gateway → listen; one clear line and exit 1 on a bad configuration. */
async function main(): Promise<void> {
  let config: ReturnType<typeof loadConfig>;
  try {
    config = loadConfig(process.env);
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`msa-gateway: configuration error: ${err.message}\n`);
      process.exit(1);
    }
    throw err;
  }
  const gateway = await buildGateway(config);
  try {
    await gateway.listen();
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const line =
      code === 'EADDRINUSE'
        ? `port ${config.port} on ${config.host} is already in use (set PORT)`
        : code === 'EACCES'
          ? `no permission to listen on ${config.host}:${config.port} (set PORT)`
          : (err as Error).message;
    process.stderr.write(`msa-gateway: cannot start: ${line}\n`);
    await gateway.close().catch(() => {});
    process.exit(1);
  }
  const stopWatching = config.configFile ? watchConfigFile(config, gateway) : () => {};

  let stopping = false;
  const stop = (signal: NodeJS.Signals) => {
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
}

main().catch((err) => {
  process.stderr.write(`msa-gateway: fatal: ${(err as Error)?.message ?? String(err)}\n`);
  process.exit(1);
});
