/**
 * The gateway's security controls (SPEC section 8), assembled once per gateway from its config:
 * who the client is (TRUST_PROXY), where registrations may point (the SSRF guard), the global
 * per-client budget, and the rate-limit store shared with route and service budgets.
 * docs/security.md describes the threat model and every setting.
 */
import type { Logger } from 'pino';
import type { GatewayConfig } from '../config/index.js';
import type { GatewayMetrics } from '../observability/metrics.js';
import type { AddressCheck } from '../registry/index.js';
import { createAddressPolicy } from './address-policy.js';
import type { LimitScope } from './answers.js';
import { type ClientIpResolver, createClientIpResolver } from './client-ip.js';
import { createFrontGate, type FrontGate, type GuardDeps } from './guard.js';
import { createRedisRateLimitStore } from './rate-limit-redis.js';
import { createMemoryRateLimitStore, type RateLimitStore } from './rate-limit-store.js';

export {
  checkUpstreamHost,
  compileAllowList,
  createAddressPolicy,
  isForbiddenAddress,
  isForbiddenHost,
} from './address-policy.js';
export {
  type LimitScope,
  limitRefusal,
  type Refusal,
  setRateLimitHeaders,
  writeRawProblem,
  writeRawRefusal,
  writeRefusal,
} from './answers.js';
export { resolveRouteAuth, routeAuthProblem } from './auth-config.js';
export { type ClientIpResolver, createClientIpResolver, limitKeyOf, peerAddress } from './client-ip.js';
export {
  createFrontGate,
  type Dispatch,
  type FrontGate,
  type GuardDeps,
  type GuardOutcome,
  guardRequest,
  type LimitRule,
} from './guard.js';
export { parseHost } from './ip.js';
export { createRedisRateLimitStore } from './rate-limit-redis.js';
export { createMemoryRateLimitStore, type RateLimitStore, type Verdict } from './rate-limit-store.js';
export { type AuthResult, compileRouteAuth, DEFAULT_SUBJECT_HEADER, type RouteAuth } from './route-auth.js';

export interface GatewaySecurity extends GuardDeps {
  /** The registry's address check; undefined when there is nothing to check. */
  readonly checkAddress: AddressCheck | undefined;
  /** The global per-client budget; null without RATE_LIMIT_MAX (no per-request work then). */
  readonly frontGate: FrontGate | null;
  close(): Promise<void>;
}

export interface SecurityDeps {
  readonly logger?: Logger;
  readonly metrics?: GatewayMetrics;
  /** A rate-limit store to use instead of the one config names (tests). */
  readonly store?: RateLimitStore;
}

export function createRateLimitStore(config: GatewayConfig, logger?: Logger): RateLimitStore {
  if (config.rateLimitStore === 'memory') return createMemoryRateLimitStore();
  return createRedisRateLimitStore({
    url: config.redisUrl,
    prefix: config.redisKeyPrefix,
    failOpen: config.rateLimitFailOpen,
    ...(logger ? { logger } : {}),
  });
}

/** The registry's address check for a gateway config (see address-policy.ts). */
export function addressPolicyFor(
  config: Pick<GatewayConfig, 'environment' | 'upstreamAllowedHosts'>,
): AddressCheck | undefined {
  return createAddressPolicy({
    production: config.environment === 'production',
    allowedHosts: config.upstreamAllowedHosts,
  });
}

export function createSecurity(config: GatewayConfig, deps: SecurityDeps = {}): GatewaySecurity {
  const clientIp: ClientIpResolver = createClientIpResolver(config.trustProxy);
  // The Redis store connects on its first hit, so a gateway without limits never opens a connection.
  const store = deps.store ?? createRateLimitStore(config, deps.logger);
  const metrics = deps.metrics;
  const onLimited = (scope: LimitScope) => metrics?.rateLimitedTotal.inc({ scope });
  return {
    clientIp,
    store,
    onLimited,
    checkAddress: addressPolicyFor(config),
    frontGate: createFrontGate({
      max: config.rateLimitMax,
      windowMs: config.rateLimitWindowMs,
      store,
      clientIp,
      onLimited,
    }),
    close: () => store.close(),
  };
}

/**
 * How often Node's HTTP server looks for clients past CLIENT_HEADER_TIMEOUT_MS or
 * CLIENT_REQUEST_TIMEOUT_MS. Node's default is 30 s, so a slowloris would outlive a short header
 * timeout by up to 30 s; a quarter of the header timeout (at most 1 s) cuts it promptly.
 */
export function connectionsCheckingIntervalOf(config: Pick<GatewayConfig, 'clientHeaderTimeoutMs'>): number {
  return Math.max(25, Math.min(1_000, Math.floor(config.clientHeaderTimeoutMs / 4)));
}
