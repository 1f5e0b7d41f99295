import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Logger } from 'pino';
import type { GatewayConfig } from '../config/index.js';
import type { EventHub, GatewayEvent } from '../events.js';
import type { HealthMonitor } from '../health/types.js';
import type { GatewayMetrics } from '../observability/metrics.js';
import type { RequestSpans } from '../observability/spans.js';
import type { Registry } from '../registry/types.js';
import type { GuardDeps } from '../security/index.js';

export interface ProxyDeps {
  readonly config: GatewayConfig;
  readonly registry: Registry;
  readonly health: HealthMonitor;
  readonly events: EventHub<GatewayEvent>;
  readonly metrics: GatewayMetrics;
  readonly logger: Logger;
  /** Client identity and the rate-limit store, shared with the front gate; default: socket peer, memory. */
  readonly security?: GuardDeps;
  /** OTLP span export; absent or null = off. */
  readonly spans?: RequestSpans | null;
}

/**
 * The proxy runs in the HTTP server's request handler before Fastify's router
 * (ARCHITECTURE: the hot path pays only for what it uses).
 */
export interface Proxy {
  /** Takes the request if it is a proxy or static route (returns true), else leaves it to Fastify. */
  handle(req: IncomingMessage, res: ServerResponse, requestId: string): boolean;
  /** Takes a WebSocket upgrade on a proxy route (returns true), else false (the caller rejects it). */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer, requestId: string): boolean;
  /** Applies new static routes, balancing (and service budgets) from a config reload, without dropping a request. */
  applyConfig(
    next: Pick<GatewayConfig, 'routes' | 'balancing'> & Partial<Pick<GatewayConfig, 'rateLimits'>>,
  ): void;
  /** Stops taking work and closes every upstream pool. */
  close(): Promise<void>;
}
