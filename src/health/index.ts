import type { Logger } from 'pino';
import type { GatewayConfig } from '../config/index.js';
import type { RedisStore, RegistryStore } from '../registry/index.js';
import { createRedisHealthSharing } from './redis-sharing.js';
import type { HealthSharing } from './sharing.js';

export { createHealthMonitor, type HealthMonitorDeps } from './monitor.js';
export { classifyError, createProber, type ProbeResult, type Prober } from './probe.js';
export { createRedisHealthSharing, type RedisHealthSharingOptions } from './redis-sharing.js';
export {
  type CheckTarget,
  type HealthSharing,
  parseSharedResult,
  type SharedCheckResult,
} from './sharing.js';
export type {
  HealthMonitor,
  HealthSummary,
  InstanceHealth,
  InstanceStatus,
  Outcome,
  OutcomeKind,
  RoutingPolicy,
} from './types.js';

function isRedisStore(store: RegistryStore): store is RedisStore {
  return store.name === 'redis' && 'bus' in store;
}

/**
 * The health sharing that goes with a store: gateways on one Redis share checks and results through
 * it; other stores have none (each gateway checks on its own, or the cluster primary shares).
 */
export function healthSharingFor(
  store: RegistryStore,
  config: Pick<
    GatewayConfig,
    'healthCheckIntervalMs' | 'healthCheckUnhealthyIntervalMs' | 'healthCheckTimeoutMs'
  >,
  logger?: Logger,
): HealthSharing | undefined {
  if (!isRedisStore(store)) return undefined;
  const longest = Math.max(config.healthCheckIntervalMs, config.healthCheckUnhealthyIntervalMs);
  // Readable for a few rounds: a result nobody renewed that long is not worth adopting.
  const stateTtlMs = 3 * longest + config.healthCheckTimeoutMs;
  return createRedisHealthSharing({
    bus: store.bus,
    prefix: store.prefix,
    stateTtlMs,
    ...(logger ? { logger } : {}),
  });
}
