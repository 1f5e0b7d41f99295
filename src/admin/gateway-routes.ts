import { readFileSync } from 'node:fs';
import type { FastifyInstance } from 'fastify';
import { GatewayError } from '../errors.js';
import {
  ADMIN_SECURITY,
  AUTH_PROBLEMS,
  LivenessSchema,
  problem,
  ReadinessSchema,
  RootSchema,
} from './schemas.js';
import type { AdminDeps } from './types.js';

/** The gateway's own endpoints (SPEC section 3): info, liveness, readiness, metrics. */

const tags = ['gateway'];

/**
 * The version in package.json. Found by walking up from this file, which sits at
 * src/admin/ when run from source and at dist/src/admin/ when built.
 */
export function packageVersion(): string {
  for (const relative of ['../../package.json', '../../../package.json']) {
    try {
      const pkg = JSON.parse(readFileSync(new URL(relative, import.meta.url), 'utf8')) as {
        name?: string;
        version?: string;
      };
      if (pkg.name === 'msa-gateway' && pkg.version) return pkg.version;
    } catch {
      // not there: try the next level
    }
  }
  return '0.0.0';
}

const uptimeSeconds = (startedAt: number): number => Math.round(Date.now() - startedAt) / 1000;

function endpoints(docs: boolean): Record<string, string> {
  return {
    health: '/health',
    ready: '/ready',
    ...(docs ? { docs: '/docs', openapi: '/openapi.json' } : {}),
    metrics: '/metrics',
    services: '/api/discovery/services',
    discovery_health: '/api/discovery/health',
    events: '/api/discovery/events',
    proxy: '/proxy/{service_name}/{path}',
    dashboard: '/dashboard',
    ...(docs ? { service_docs: '/docs/services' } : {}),
  };
}

function infoRoute(app: FastifyInstance, deps: AdminDeps): void {
  const { config, registry, health, startedAt } = deps;
  const version = packageVersion();
  const paths = endpoints(config.docsEnabled);

  app.get(
    '/',
    { schema: { tags, summary: 'Gateway information', response: { 200: RootSchema } } },
    async () => {
      const names = registry.serviceNames();
      return {
        name: 'msa-gateway',
        version,
        environment: config.environment,
        status: 'running',
        uptime_seconds: uptimeSeconds(startedAt),
        services: {
          total: names.length,
          healthy: names.filter((name) => health.serviceStatus(name) === 'HEALTHY').length,
        },
        endpoints: paths,
      };
    },
  );
}

/** Liveness and readiness, for orchestrators' probes. */
function probeRoutes(app: FastifyInstance, deps: AdminDeps): void {
  const { registry, startedAt } = deps;
  app.get(
    '/health',
    { schema: { tags, summary: 'Liveness', response: { 200: LivenessSchema } } },
    async () => ({
      status: 'healthy',
      timestamp: new Date().toISOString(),
      uptime_seconds: uptimeSeconds(startedAt),
    }),
  );

  app.get(
    '/ready',
    {
      schema: {
        tags,
        summary: 'Readiness: the registry store is loaded and reachable',
        response: { 200: ReadinessSchema, 503: problem('The registry store is not ready') },
      },
    },
    async () => {
      if (!(await registry.ready().catch(() => false))) {
        throw new GatewayError('GW_ERR_STORE_UNAVAILABLE', `The ${registry.storeName} store is not ready`, {
          retryAfterSeconds: 5,
        });
      }
      return { status: 'ready', store: registry.storeName };
    },
  );
}

function metricsRoute(app: FastifyInstance, deps: AdminDeps): void {
  const { metrics } = deps;
  app.get(
    '/metrics',
    {
      schema: {
        tags,
        security: ADMIN_SECURITY,
        summary: 'Prometheus metrics (text exposition format)',
        response: {
          200: { description: 'Prometheus text', content: { 'text/plain': { schema: { type: 'string' } } } },
          ...AUTH_PROBLEMS,
        },
      },
    },
    async (_req, reply) => {
      const text = await metrics.registry.metrics();
      return reply
        .header('content-type', metrics.registry.contentType)
        .header('cache-control', 'no-store')
        .send(text);
    },
  );
}

export function gatewayRoutes(app: FastifyInstance, deps: AdminDeps): void {
  infoRoute(app, deps);
  probeRoutes(app, deps);
  metricsRoute(app, deps);
}
