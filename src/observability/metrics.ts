import { Counter, collectDefaultMetrics, Gauge, Registry } from 'prom-client';
import { DurationHistogram, RequestCounts } from './request-tallies.js';

/**
 * The gateway's Prometheus metrics, on a registry of its own (no global default
 * registry, so several gateways can live in one process).
 */
export interface GatewayMetrics {
  readonly registry: Registry;
  readonly requestsTotal: Counter<'service' | 'method' | 'status'>;
  readonly requestDuration: DurationHistogram;
  readonly upstreamInstances: Gauge<'service' | 'status'>;
  readonly healthChecksTotal: Counter<'service' | 'result'>;
  readonly retriesTotal: Counter<'service'>;
  readonly rateLimitedTotal: Counter<'scope'>;
  /** Counts one finished request; `service` is '' for the gateway's own endpoints. */
  observeRequest(service: string, method: string, status: number, seconds: number): void;
}

export interface MetricsOptions {
  /** Called at scrape time to fill gauges from live state. */
  collectInstances?: () => Iterable<{ service: string; status: string; count: number }>;
  defaultMetrics?: boolean;
  /** Also fed by observeRequest: the dashboard's sliding-window rate and p95 per service. */
  requestStats?: { record(service: string, status: number, seconds: number): void };
}

export function createMetrics(options: MetricsOptions = {}): GatewayMetrics {
  const registry = new Registry();
  if (options.defaultMetrics !== false) collectDefaultMetrics({ register: registry });
  // Both request metrics are counted in plain numbers per request and read by prom-client when
  // it is asked (request-tallies.ts).
  const requestCounts = new RequestCounts();
  const requestsTotal = new Counter({
    name: 'gateway_requests_total',
    help: 'Requests answered by the gateway, by service, method and status code',
    labelNames: ['service', 'method', 'status'] as const,
    registers: [registry],
    collect() {
      requestCounts.flushInto(this);
    },
  });
  const requestDuration = new DurationHistogram(
    'gateway_request_duration_seconds',
    'Time from request to response end, by service',
    [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registry,
  );
  const collectInstances = options.collectInstances;
  const upstreamInstances = new Gauge({
    name: 'gateway_upstream_instances',
    help: 'Registered instances by service and health status',
    labelNames: ['service', 'status'] as const,
    registers: [registry],
    collect() {
      if (!collectInstances) return;
      this.reset();
      for (const row of collectInstances()) this.set({ service: row.service, status: row.status }, row.count);
    },
  });
  const healthChecksTotal = new Counter({
    name: 'gateway_health_checks_total',
    help: 'Active health checks by service and result',
    labelNames: ['service', 'result'] as const,
    registers: [registry],
  });
  const retriesTotal = new Counter({
    name: 'gateway_retries_total',
    help: 'Proxy attempts retried on another instance',
    labelNames: ['service'] as const,
    registers: [registry],
  });
  const rateLimitedTotal = new Counter({
    name: 'gateway_rate_limited_total',
    help: 'Requests refused by a rate limit',
    labelNames: ['scope'] as const,
    registers: [registry],
  });
  const requestStats = options.requestStats;
  return {
    registry,
    requestsTotal,
    requestDuration,
    upstreamInstances,
    healthChecksTotal,
    retriesTotal,
    rateLimitedTotal,
    observeRequest(service, method, status, seconds) {
      requestCounts.count(service, method, status);
      requestDuration.observe(service, seconds);
      if (requestStats !== undefined && service !== '') requestStats.record(service, status, seconds);
    },
  };
}
