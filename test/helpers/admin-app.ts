import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import pino from 'pino';
import { buildAdminApp } from '../../src/admin/index.js';
import { type GatewayConfig, testConfig } from '../../src/config/index.js';
import { createEventHub, type EventHub, type GatewayEvent } from '../../src/events.js';
import { createHealthMonitor, type HealthMonitor } from '../../src/health/index.js';
import { createMetrics, type GatewayMetrics } from '../../src/observability/metrics.js';
import type { Proxy as GatewayProxy } from '../../src/proxy/types.js';
import { createMemoryStore, createRegistry, type Registry } from '../../src/registry/index.js';

/** A proxy that takes nothing: admin tests run without the proxy module. */
export const NO_PROXY: GatewayProxy = {
  handle: () => false,
  handleUpgrade: () => false,
  applyConfig: () => {},
  close: async () => {},
};

export interface AdminHarness {
  app: FastifyInstance;
  registry: Registry;
  health: HealthMonitor;
  events: EventHub<GatewayEvent>;
  metrics: GatewayMetrics;
  config: GatewayConfig;
  /** Set when started with `listen`: `http://127.0.0.1:<port>`. */
  url: string;
  close(): Promise<void>;
}

/**
 * The admin app alone, on a real registry (memory store) and health monitor, driven with
 * `app.inject` (no socket). Health checks are not started unless `startHealth` is set.
 */
export async function startAdminApp(
  overrides: Partial<GatewayConfig> = {},
  options: { startHealth?: boolean; sseHeartbeatMs?: number; listen?: boolean } = {},
): Promise<AdminHarness> {
  const config = testConfig(overrides);
  const logger = pino({ level: 'silent' });
  const events = createEventHub<GatewayEvent>();
  const registry = createRegistry({ store: createMemoryStore(), events, logger });
  const health = createHealthMonitor({ config, registry, events, logger });
  const metrics = createMetrics({ defaultMetrics: false });
  await registry.start();
  if (options.startHealth) health.start();
  const server = createServer();
  const app = await buildAdminApp(
    {
      config,
      registry,
      health,
      events,
      metrics,
      logger,
      proxy: NO_PROXY,
      startedAt: Date.now(),
      ...(options.sseHeartbeatMs ? { sseHeartbeatMs: options.sseHeartbeatMs } : {}),
    },
    (handler) => server.on('request', handler),
  );
  let url = '';
  if (options.listen) {
    await app.listen({ port: 0, host: '127.0.0.1' });
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  }
  return {
    app,
    url,
    registry,
    health,
    events,
    metrics,
    config,
    async close() {
      await app.close();
      await health.close();
      await registry.close();
    },
  };
}
