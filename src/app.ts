import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { buildAdminApp } from './admin/index.js';
import type { GatewayConfig } from './config/index.js';
import { createEventHub, type EventHub, type GatewayEvent } from './events.js';
import { createHealthMonitor, type HealthSharing, healthSharingFor } from './health/index.js';
import type { HealthMonitor } from './health/types.js';
import { createHostCheck } from './http/hosts.js';
import { writeProblem } from './http/problem.js';
import { requestIdFrom } from './http/request-id.js';
import { dashboardPlugin } from './observability/dashboard-plugin.js';
import { createLogger } from './observability/logging.js';
import { createMetrics, type GatewayMetrics } from './observability/metrics.js';
import { loadRequestSpans } from './observability/spans.js';
import { createRequestStats } from './observability/stats.js';
import { createProxy } from './proxy/index.js';
import type { Proxy as GatewayProxy } from './proxy/types.js';
import { createRegistry, createStore } from './registry/index.js';
import type { RegistryStore } from './registry/store/types.js';
import type { Clock, Registry } from './registry/types.js';
import { addressPolicyFor, connectionsCheckingIntervalOf, createSecurity } from './security/index.js';
import { registerStartupServices } from './startup-services.js';

export interface GatewayDeps {
  logger?: Logger;
  clock?: Clock;
  /** A store to use instead of the one config names (tests, embedding). */
  store?: RegistryStore;
  /** Health checks shared with other gateways; default: through Redis with the redis store, else none. */
  healthSharing?: HealthSharing;
  /** Register the sample and config-file services at listen() (default true; a cluster primary does it for its workers). */
  registerStartupServices?: boolean;
  /** Sent as `X-Gateway-Worker` on every response (cluster workers at LOG_LEVEL=debug, for diagnosis). */
  workerTag?: string;
}

export interface Gateway {
  readonly config: GatewayConfig;
  readonly app: FastifyInstance;
  readonly server: Server;
  readonly registry: Registry;
  readonly health: HealthMonitor;
  readonly events: EventHub<GatewayEvent>;
  readonly metrics: GatewayMetrics;
  readonly proxy: GatewayProxy;
  readonly logger: Logger;
  /** Loads the registry, starts health checks, listens; resolves the bound address. */
  listen(): Promise<AddressInfo>;
  /** Stops accepting, lets in-flight requests finish within shutdownTimeoutMs, stops checks, closes the store. */
  close(): Promise<void>;
}

/**
 * Assembles one gateway from its parts. Never listens by itself and keeps no global
 * state, so a test (or a process) can run several.
 */
export async function buildGateway(config: GatewayConfig, deps: GatewayDeps = {}): Promise<Gateway> {
  const logger = deps.logger ?? createLogger(config);
  const events = createEventHub<GatewayEvent>((err) => logger.error({ err }, 'event listener failed'));
  const store = deps.store ?? createStore(config, logger);
  const sharing = deps.healthSharing ?? healthSharingFor(store, config, logger);
  const registry = createRegistry({
    store,
    events,
    logger,
    // The SSRF guard of SPEC section 8 (undefined, so free, in development without UPSTREAM_ALLOWED_HOSTS).
    checkAddress: addressPolicyFor(config),
    ...(deps.clock ? { clock: deps.clock } : {}),
  });
  const health = createHealthMonitor({
    config,
    registry,
    events,
    logger,
    ...(sharing ? { sharing } : {}),
    ...(deps.clock ? { clock: deps.clock } : {}),
    onCheck: (service, ok) => metrics.healthChecksTotal.inc({ service, result: ok ? 'success' : 'failure' }),
  });
  const stats = createRequestStats(deps.clock);
  const metrics = createMetrics({
    collectInstances: () => instanceCounts(registry, health),
    requestStats: stats,
  });
  const security = createSecurity(config, { logger, metrics });
  // OTLP span export: the OpenTelemetry SDK is imported only when an endpoint is configured.
  const spans = await loadRequestSpans(config.otel, logger);
  const proxy = createProxy({ config, registry, health, events, metrics, logger, security, spans });
  const hostAllowed = createHostCheck(config.allowedHosts);

  const workerTag = deps.workerTag;
  let fastifyHandler: ((req: IncomingMessage, res: ServerResponse) => void) | undefined;
  // The proxy first, then Fastify; behind the per-client budget when RATE_LIMIT_MAX is set.
  const frontGate = security.frontGate;
  const dispatch = (req: IncomingMessage, res: ServerResponse, requestId: string): void => {
    if (proxy.handle(req, res, requestId)) return;
    fastifyHandler!(req, res);
  };
  const server = createServer(
    {
      requestTimeout: config.clientRequestTimeoutMs,
      headersTimeout: config.clientHeaderTimeoutMs,
      maxHeaderSize: 16 * 1024,
      keepAliveTimeout: 72_000,
      connectionsCheckingInterval: connectionsCheckingIntervalOf(config),
    },
    (req, res) => {
      if (workerTag !== undefined) res.setHeader('x-gateway-worker', workerTag);
      const requestId = requestIdFrom(req.headers['x-request-id']);
      if (!hostAllowed(req.headers.host)) {
        writeProblem(
          res,
          'GW_ERR_BAD_HOST',
          'The Host header names a host this gateway does not serve',
          requestId,
        );
        return;
      }
      if (frontGate === null) dispatch(req, res, requestId);
      else frontGate.request(req, res, requestId, dispatch);
    },
  );
  server.maxConnections = config.maxConnections;
  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    const requestId = requestIdFrom(req.headers['x-request-id']);
    const upgrade = () => {
      if (hostAllowed(req.headers.host) && proxy.handleUpgrade(req, socket, head, requestId)) return;
      socket.end('HTTP/1.1 404 Not Found\r\nconnection: close\r\ncontent-length: 0\r\n\r\n');
    };
    if (frontGate === null) upgrade();
    else frontGate.upgrade(req, socket, requestId, upgrade);
  });

  const startedAt = Date.now();
  const app = await buildAdminApp(
    { config, registry, health, events, metrics, logger, proxy, startedAt, clientIp: security.clientIp },
    (handler) => {
      fastifyHandler = handler;
      return server;
    },
  );
  await app.register(dashboardPlugin, { registry, health, metrics, stats, events });

  let closing: Promise<void> | null = null;
  const gateway: Gateway = {
    config,
    app,
    server,
    registry,
    health,
    events,
    metrics,
    proxy,
    logger,
    async listen() {
      await registry.start();
      if (deps.registerStartupServices !== false) await registerStartupServices(config, registry, logger);
      health.start();
      await app.listen({ port: config.port, host: config.host });
      const address = server.address() as AddressInfo;
      logger.info({ port: address.port, host: address.address }, 'gateway listening');
      if (config.adminTokens.length === 0) {
        logger.warn('GATEWAY_ADMIN_TOKEN is not set: the admin API is open to anyone who can reach it');
      }
      return address;
    },
    close() {
      closing ??= closeGateway();
      return closing;
    },
  };

  async function closeGateway(): Promise<void> {
    const forceTimer = setTimeout(() => server.closeAllConnections(), config.shutdownTimeoutMs);
    forceTimer.unref();
    server.closeIdleConnections();
    await app.close();
    clearTimeout(forceTimer);
    await health.close();
    await proxy.close();
    await spans?.close(); // after the proxy: the spans of the last requests and tunnels go out too
    await security.close();
    await registry.close();
  }

  return gateway;
}

function* instanceCounts(registry: Registry, health: HealthMonitor) {
  for (const service of registry.serviceNames()) {
    const counts = { HEALTHY: 0, UNHEALTHY: 0, UNKNOWN: 0 };
    for (const instance of registry.instancesOf(service)) {
      counts[health.healthOf(service, instance.instance_id).status]++;
    }
    for (const [status, count] of Object.entries(counts)) yield { service, status, count };
  }
}
