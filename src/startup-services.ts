import type { Logger } from 'pino';
import type { GatewayConfig, StaticService } from './config/index.js';
import { GatewayError } from './errors.js';
import type { Registry } from './registry/types.js';

/** The three sample services of the original README, at their default local URLs. */
export const SAMPLE_SERVICES: readonly StaticService[] = [
  { service_name: 'user-service', base_url: 'http://localhost:8001', metadata: { sample: true } },
  { service_name: 'product-service', base_url: 'http://localhost:8002', metadata: { sample: true } },
  { service_name: 'order-service', base_url: 'http://localhost:8003', metadata: { sample: true } },
];

/**
 * Registers what config declares at start: the samples (development, REGISTER_SAMPLE_SERVICES)
 * and the config file's `services`. A bad entry is logged and skipped; it must not stop the gateway.
 */
export async function registerStartupServices(
  config: GatewayConfig,
  registry: Registry,
  logger: Logger,
): Promise<void> {
  const declared = [...(config.registerSampleServices ? SAMPLE_SERVICES : []), ...config.services];
  for (const service of declared) {
    try {
      await registry.register({ ...service });
    } catch (err) {
      const detail =
        err instanceof GatewayError
          ? `${err.detail}${err.extra.errors ? `: ${err.extra.errors.map((e) => `${e.field} ${e.message}`).join('; ')}` : ''}`
          : String(err);
      logger.error({ service: service.service_name }, `static service not registered: ${detail}`);
    }
  }
}
