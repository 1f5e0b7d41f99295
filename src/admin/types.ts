import type { IncomingMessage } from 'node:http';
import type { Logger } from 'pino';
import type { GatewayConfig } from '../config/index.js';
import type { EventHub, GatewayEvent } from '../events.js';
import type { HealthMonitor } from '../health/index.js';
import type { GatewayMetrics } from '../observability/metrics.js';
import type { Proxy as GatewayProxy } from '../proxy/types.js';
import type { Registry } from '../registry/index.js';

/** What the admin app reads and calls; it owns none of this state. */
export interface AdminDeps {
  readonly config: GatewayConfig;
  readonly registry: Registry;
  readonly health: HealthMonitor;
  readonly events: EventHub<GatewayEvent>;
  readonly metrics: GatewayMetrics;
  readonly logger: Logger;
  readonly proxy: GatewayProxy;
  /** Epoch ms the gateway was built, for uptime. */
  readonly startedAt: number;
  /** Who the client is (TRUST_PROXY), for the failed-token limiter; default: Fastify's request.ip. */
  readonly clientIp?: (req: IncomingMessage) => string;
  /** Tuning for tests: SSE heartbeat interval (default 15 s). */
  readonly sseHeartbeatMs?: number;
}
