import { type Static, Type } from '@sinclair/typebox';
import type { HealthMonitor } from '../health/types.js';
import type { Registry } from '../registry/types.js';
import type { GatewayMetrics } from './metrics.js';
import { type RequestStats, WINDOW_MS } from './stats.js';

/**
 * GET /api/discovery/stats: per registered service, the recent request rate and p95 (from
 * the sliding window) and the lifetime totals (from the Prometheus counter, so they agree
 * with /metrics). Costs one pass over the counter's label sets; nothing on the hot path.
 */

export const ServiceStatsSchema = Type.Object({
  service_name: Type.String(),
  status: Type.Union([Type.Literal('HEALTHY'), Type.Literal('UNHEALTHY'), Type.Literal('UNKNOWN')]),
  instances: Type.Integer({ minimum: 0 }),
  request_rate_per_s: Type.Number({ minimum: 0, description: 'Requests per second over the last minute' }),
  p95_ms: Type.Union([Type.Number({ minimum: 0 }), Type.Null()], {
    description: 'Estimated 95th percentile latency over the last minute; null without requests',
  }),
  requests_total: Type.Integer({ minimum: 0, description: 'Proxied requests since the gateway started' }),
  errors_total: Type.Integer({ minimum: 0, description: 'Of those, answered with a 5xx status' }),
});

export const StatsResponseSchema = Type.Object({
  window_seconds: Type.Integer(),
  generated_at: Type.String({ format: 'date-time' }),
  services: Type.Array(ServiceStatsSchema),
});
export type StatsResponse = Static<typeof StatsResponseSchema>;

export interface StatsDeps {
  readonly registry: Registry;
  readonly health: HealthMonitor;
  readonly metrics: GatewayMetrics;
  readonly stats: RequestStats;
  readonly now?: () => number;
}

const round = (value: number, digits: number): number => {
  const scale = 10 ** digits;
  return Math.round(value * scale) / scale;
};

/** Sums gateway_requests_total by service: all statuses, and the 5xx ones. */
async function totalsByService(
  metrics: GatewayMetrics,
): Promise<Map<string, { requests: number; errors: number }>> {
  const totals = new Map<string, { requests: number; errors: number }>();
  for (const { value, labels } of (await metrics.requestsTotal.get()).values) {
    const service = String(labels.service ?? '');
    if (service === '') continue; // the gateway's own endpoints
    let row = totals.get(service);
    if (row === undefined) {
      row = { requests: 0, errors: 0 };
      totals.set(service, row);
    }
    row.requests += value;
    if (Number(labels.status) >= 500) row.errors += value;
  }
  return totals;
}

export async function buildStatsResponse(deps: StatsDeps): Promise<StatsResponse> {
  const totals = await totalsByService(deps.metrics);
  const names = [...deps.registry.serviceNames()].sort();
  return {
    window_seconds: WINDOW_MS / 1000,
    generated_at: new Date(deps.now?.() ?? Date.now()).toISOString(),
    services: names.map((name) => {
      const recent = deps.stats.recent(name);
      const total = totals.get(name);
      return {
        service_name: name,
        status: deps.health.serviceStatus(name),
        instances: deps.registry.instancesOf(name).length,
        request_rate_per_s: round(recent.requestRatePerS, 3),
        p95_ms: recent.p95Ms === null ? null : round(recent.p95Ms, 2),
        requests_total: total?.requests ?? 0,
        errors_total: total?.errors ?? 0,
      };
    }),
  };
}
