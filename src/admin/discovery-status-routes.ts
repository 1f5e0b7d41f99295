import type { FastifyInstance } from 'fastify';
import type { EventStreams } from './event-stream.js';
import {
  ADMIN_SECURITY,
  AUTH_PROBLEMS,
  DISCOVERY_TAGS,
  DiscoveryHealthSchema,
  EventsQuerySchema,
} from './schemas.js';
import type { AdminDeps } from './types.js';

/** Watching the registry: the discovery service's own health, and the event stream. */

const tags = DISCOVERY_TAGS;
const security = ADMIN_SECURITY;
const auth = AUTH_PROBLEMS;

export function statusRoutes(app: FastifyInstance, deps: AdminDeps, streams: EventStreams): void {
  const { registry, health } = deps;
  app.get(
    '/api/discovery/health',
    {
      schema: {
        tags,
        summary: 'Health of the discovery service itself (open without a token)',
        response: { 200: DiscoveryHealthSchema },
      },
    },
    async () => {
      const summary = health.summary();
      return {
        status: (await registry.ready()) ? 'healthy' : 'degraded',
        store: registry.storeName,
        services: registry.size.services,
        instances: registry.size.instances,
        healthy_instances: summary.healthy,
        health_checker: { running: health.running, interval_ms: health.intervalMs },
        routing_policy: health.policy,
      };
    },
  );

  app.get<{ Querystring: { service_name?: string } }>(
    '/api/discovery/events',
    {
      // A HEAD answer would be headers and then an endless empty stream: not offered.
      exposeHeadRoute: false,
      schema: {
        tags,
        security,
        summary: 'Registry and health changes as Server-Sent Events',
        description:
          'Each message has `event: <type>` (registered, deregistered, expired, status_changed, ' +
          'peer_passive) and one `data:` line of JSON with type, service_name, instance_id, timestamp ' +
          '(status_changed adds old_status, new_status, reason; peer_passive, information from another ' +
          'gateway of a shared Redis whose passive health ejected the instance or ended that, adds ' +
          'gateway_id, change ("ejected" or "ejection_ended") and reason). Comment lines every 15 s keep ' +
          'the stream alive.',
        querystring: EventsQuerySchema,
        response: {
          200: {
            description: 'text/event-stream',
            content: { 'text/event-stream': { schema: { type: 'string' } } },
          },
          ...auth,
        },
      },
    },
    (req, reply) => {
      streams.open(reply, req.query);
    },
  );
}
