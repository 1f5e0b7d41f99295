import pino from 'pino';
import { buildGateway, type Gateway, type GatewayDeps } from '../../src/app.js';
import { type GatewayConfig, testConfig } from '../../src/config/index.js';

export interface StartedGateway {
  readonly gateway: Gateway;
  /** `http://127.0.0.1:<port>` */
  readonly url: string;
  readonly port: number;
  close(): Promise<void>;
}

/**
 * A real gateway (buildGateway + listen) on 127.0.0.1, port 0, memory store unless the
 * overrides say otherwise, samples off. Logs are silent unless TEST_LOG_LEVEL is set.
 */
export async function startGateway(
  overrides: Partial<GatewayConfig> = {},
  deps: GatewayDeps = {},
): Promise<StartedGateway> {
  const logger = deps.logger ?? pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' });
  return listenGateway(testConfig(overrides), { ...deps, logger });
}

/** A real gateway from a whole config (buildGateway + listen on the config's address). */
export async function listenGateway(config: GatewayConfig, deps: GatewayDeps): Promise<StartedGateway> {
  const gateway = await buildGateway(config, deps);
  const address = await gateway.listen();
  return {
    gateway,
    url: `http://127.0.0.1:${address.port}`,
    port: address.port,
    close: () => gateway.close(),
  };
}
