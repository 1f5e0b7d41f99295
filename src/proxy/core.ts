/**
 * The proxy's shared state and its request entry: route resolution, admission (405, 400, 403),
 * then the route's auth and budgets when it has any (src/security), availability (404, 503),
 * header and body preparation, then an Exchange per request. `handle` leaves a request to
 * Fastify after a string check or two when it is neither `/proxy/…` nor a static route.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { type Balancer, createBalancer } from '../balancer/index.js';
import type { GatewayConfig } from '../config/index.js';
import type { HealthMonitor } from '../health/types.js';
import { type AccessLine, accessLogEnabled, accessPath, logAccess } from '../observability/access-log.js';
import type { GatewayMetrics } from '../observability/metrics.js';
import type { RequestSpans } from '../observability/spans.js';
import type { TraceSampler } from '../observability/tracing.js';
import type { InstanceRegistration, Registry } from '../registry/types.js';
import {
  type CompiledRoute,
  compileRoutes,
  findRoute,
  isUnsafePath,
  PROXY_PREFIX,
  parseProxyTarget,
  pathOf,
  type RouteTable,
  rewriteTarget,
} from '../routing/index.js';
import {
  type ClientIpResolver,
  createMemoryRateLimitStore,
  type GuardDeps,
  type LimitRule,
  peerAddress,
} from '../security/index.js';
import { afterFinalAnswer, answerRefusal, PROXY_METHODS, type Refusal } from './answers.js';
import { Exchange } from './exchange.js';
import type { Failure } from './failures.js';
import { compileServiceLimits, limitsOf, runGuarded } from './guarded.js';
import { PoolSet } from './pools.js';
import { prepareAndStart } from './prepare.js';
import type { ProxyDeps } from './types.js';

/** Where a request goes: its service, what follows the base path, and how it was addressed. */
export interface Target {
  readonly service: string;
  readonly rest: string;
  /** The path checked for traversal (before `?`). */
  readonly path: string;
  /** X-Forwarded-Prefix, or null. */
  readonly prefix: string | null;
  readonly route: CompiledRoute | null;
}

export class ProxyCore {
  routes: RouteTable;
  closing = false;
  readonly balancer: Balancer;
  readonly pools: PoolSet;
  readonly registry: Registry;
  readonly health: HealthMonitor;
  readonly metrics: GatewayMetrics;
  readonly retries: number;
  readonly config: GatewayConfig;
  readonly logger: ProxyDeps['logger'];
  /** ACCESS_LOG: one `proxied` line per request at info level. */
  readonly accessLog: boolean;
  /** OTLP span export (OTEL_EXPORTER_OTLP_ENDPOINT), or null: off. */
  readonly spans: RequestSpans | null;
  /** The span exporter's sampler, which sets the sampled flag sent on; null when export is off. */
  readonly traceSampler: TraceSampler | null;
  /** Who the client is (TRUST_PROXY): `hash_on: ip` and budgets. */
  readonly clientIp: ClientIpResolver;
  readonly guardDeps: GuardDeps;
  serviceLimits: ReadonlyMap<string, LimitRule>;
  /** Retry-After of a 503, in seconds: about when the next active check may have news. */
  readonly retryAfter: string;
  /** Sockets of upgraded (WebSocket) connections, cut at close. */
  private readonly upgraded = new Set<Duplex>();

  constructor(private readonly deps: ProxyDeps) {
    const { config, registry } = deps;
    this.config = config;
    this.registry = registry;
    this.health = deps.health;
    this.metrics = deps.metrics;
    this.retries = config.proxyRetries;
    this.logger = deps.logger;
    this.accessLog = config.accessLog;
    this.spans = deps.spans ?? null;
    this.traceSampler = this.spans === null ? null : this.spans.sample;
    this.clientIp = deps.security?.clientIp ?? peerAddress;
    this.guardDeps = deps.security ?? {
      store: createMemoryRateLimitStore(),
      clientIp: this.clientIp,
      onLimited: (scope) => deps.metrics.rateLimitedTotal.inc({ scope }),
    };
    this.serviceLimits = compileServiceLimits(config.rateLimits);
    this.routes = this.compile(config.routes);
    this.balancer = createBalancer({
      balancing: config.balancing,
      membersOf: (s) => registry.instancesOf(s),
    });
    this.pools = new PoolSet(registry, deps.events, {
      headersTimeoutMs: config.proxyTimeoutMs,
      connectTimeoutMs: config.proxyConnectTimeoutMs,
      closeGraceMs: config.shutdownTimeoutMs,
    });
    this.retryAfter = String(Math.min(30, Math.max(1, Math.ceil(config.healthCheckIntervalMs / 1000))));
  }

  compile(routes: GatewayConfig['routes']): RouteTable {
    return compileRoutes(routes, this.config.environment, (message) => this.deps.logger.error(message));
  }

  /** The target of a request, or null when it is not the proxy's (Fastify serves it). */
  resolve(url: string, hostHeader: string | undefined, method: string): Target | null {
    if (url.startsWith(PROXY_PREFIX)) {
      const target = parseProxyTarget(url);
      if (target === null) return null;
      const { service, rest } = target;
      return { service, rest, path: pathOf(rest), prefix: PROXY_PREFIX + service, route: null };
    }
    const route = findRoute(this.routes, url, hostHeader, method);
    if (route === null) return null;
    const prefix = route.stripPrefix ? route.prefix : null;
    return { service: route.service, rest: rewriteTarget(route, url), path: pathOf(url), prefix, route };
  }

  /** Refusals that come before auth and need no registry lookup; the code when refused, else null. */
  admission(target: Target, method: string): Refusal | null {
    if (this.closing) return 'GW_ERR_SHUTTING_DOWN';
    const methods = target.route?.methods;
    if (!PROXY_METHODS.has(method) || (methods != null && !methods.has(method)))
      return 'GW_ERR_METHOD_NOT_ALLOWED';
    if (isUnsafePath(target.path)) return 'GW_ERR_PATH_TRAVERSAL';
    const guarded = this.routes.guardedServices;
    if (target.route === null && guarded.size > 0 && guarded.has(target.service)) return 'GW_ERR_FORBIDDEN';
    return null;
  }

  /** No instance to try: 404 for an unknown service on `/proxy/`, else 503. */
  availability(target: Target): Refusal | null {
    // A static route names its service on purpose: no instance yet is unavailability, not "unknown".
    if (this.registry.instancesOf(target.service).length === 0) {
      return target.route === null ? 'GW_ERR_SERVICE_NOT_FOUND' : 'GW_ERR_NO_HEALTHY_INSTANCE';
    }
    if (this.health.routable(target.service).length === 0) return 'GW_ERR_NO_HEALTHY_INSTANCE';
    return null;
  }

  /** The gateway's own refusals before any instance is tried (auth and budgets aside). */
  refusal(target: Target, method: string): Refusal | null {
    return this.admission(target, method) ?? this.availability(target);
  }

  handle(req: IncomingMessage, res: ServerResponse, requestId: string): boolean {
    const url = req.url ?? '/';
    const method = req.method ?? 'GET';
    const target = this.resolve(url, req.headers.host, method);
    if (target === null) return false;
    if (afterFinalAnswer(req)) return true;
    const refused = this.admission(target, method);
    if (refused !== null) {
      this.refuse(req, res, refused, method, target, requestId);
      return true;
    }
    const auth = target.route?.auth ?? null;
    const limits = limitsOf(target, this.serviceLimits);
    if (auth === null && limits === null) this.admit(req, res, requestId, target, method, null);
    else runGuarded(this, req, res, requestId, target, method, auth, limits ?? []);
    return true;
  }

  /** Past admission and guard: 404/503 when no instance can take it, else the exchange starts. */
  admit(
    req: IncomingMessage,
    res: ServerResponse,
    requestId: string,
    target: Target,
    method: string,
    subject: string | null,
  ): void {
    const refused = this.availability(target);
    if (refused !== null) {
      this.refuse(req, res, refused, method, target, requestId);
      return;
    }
    const { service, rest, route } = target;
    const exchange = new Exchange(this, req, res, requestId, service, method, rest, route, subject);
    prepareAndStart(exchange, target.prefix);
  }

  private refuse(
    req: IncomingMessage,
    res: ServerResponse,
    refused: Refusal,
    method: string,
    target: Target,
    requestId: string,
  ): void {
    answerRefusal(res, refused, method, target.service, target.route, requestId, this.retryAfter);
    this.answered(req, res, method, target.service, this.refusalLabel(refused, target), requestId);
  }

  /**
   * The service name a refusal is counted (and its span named) under: only a 503's service is a
   * registered one; other names stay out, so clients cannot mint metric series or span names.
   */
  refusalLabel(refused: Refusal, target: Target): string {
    return refused === 'GW_ERR_NO_HEALTHY_INSTANCE' ? target.service : '';
  }

  /**
   * Counts a request the gateway answered itself before any instance (metrics under `label`,
   * the access line under the requested service); the Exchange counts all the others.
   */
  answered(
    req: IncomingMessage,
    res: ServerResponse,
    method: string,
    service: string,
    label: string,
    requestId: string,
  ): void {
    this.metrics.observeRequest(label, method, res.statusCode, 0);
    if (!this.reports()) return;
    const line: AccessLine = {
      method,
      path: accessPath(req.url),
      service,
      instance: null,
      status: res.statusCode,
      duration_ms: 0,
      bytes_in: 0,
      bytes_out: 0,
      request_id: requestId,
      retries: 0,
      trace_id: null,
    };
    this.report(req, line, undefined, label);
  }

  /** Whether a finished request goes anywhere (access log, span export): checked before its line is built. */
  reports(): boolean {
    return this.spans !== null || accessLogEnabled(this.accessLog, this.logger);
  }

  /**
   * A request (or upgrade) ended: its access line, and its span with `sent`, the traceparent sent
   * to the instance; `label` names the service in the span's name ('' for an unregistered name).
   */
  report(req: IncomingMessage, line: AccessLine, sent: string | undefined, label: string): void {
    if (accessLogEnabled(this.accessLog, this.logger)) logAccess(this.logger, line);
    if (this.spans !== null) this.spans.end(req, line, sent, label);
  }

  logAttemptFailure(
    service: string,
    instance: InstanceRegistration,
    failure: Failure,
    err: Error,
    requestId: string,
    retrying: boolean,
  ): void {
    const logger = this.deps.logger;
    const level = retrying ? 'debug' : 'warn';
    if (!logger.isLevelEnabled(level)) return;
    const fields = {
      service,
      instance_id: instance.instance_id,
      failure,
      error: err.message,
      request_id: requestId,
    };
    logger[level](fields, retrying ? 'proxy attempt failed, retrying' : 'proxy attempt failed');
  }

  trackUpgrade(...sockets: Duplex[]): void {
    for (const socket of sockets) {
      this.upgraded.add(socket);
      socket.once('close', () => this.upgraded.delete(socket));
    }
  }

  async close(): Promise<void> {
    this.closing = true;
    for (const socket of this.upgraded) socket.destroy();
    this.upgraded.clear();
    await this.pools.close();
  }

  onMembershipChange(service: string): void {
    if (this.registry.instancesOf(service).length === 0) this.balancer.forgetService(service);
  }
}
