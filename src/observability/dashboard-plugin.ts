import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { PROBLEM_CONTENT_TYPE, type ProblemCode, problemBody, problemType } from '../errors.js';
import type { EventHub, GatewayEvent } from '../events.js';
import type { HealthMonitor } from '../health/types.js';
import type { Registry } from '../registry/types.js';
import { type DashboardAsset, defaultDashboardDir, loadDashboardAssets } from './dashboard-assets.js';
import { createEventTimeline, TIMELINE_CAPACITY } from './dashboard-timeline.js';
import type { GatewayMetrics } from './metrics.js';
import type { RequestStats } from './stats.js';
import { buildStatsResponse, StatsResponseSchema } from './stats-route.js';

/**
 * The live dashboard (SPEC section 9): GET /dashboard serves the built front end from memory;
 * GET /api/discovery/stats and GET /api/discovery/timeline feed it. The page itself is public
 * (it holds no data); the API routes sit under /api/discovery/, so the admin app's token
 * check (decided by route pattern) covers them like every other discovery route.
 * Registered without fastify-plugin: its routes inherit the parent's hooks and error
 * handling, and nothing of its own leaks out.
 */

export interface DashboardPluginOptions {
  readonly registry: Registry;
  readonly health: HealthMonitor;
  readonly metrics: GatewayMetrics;
  readonly stats: RequestStats;
  /** Feeds the timeline history and lets stats forget services that are gone. */
  readonly events?: EventHub<GatewayEvent>;
  /** The built dashboard; default `dist/dashboard` of this package. */
  readonly dashboardDir?: string;
}

/** Nothing but the page's own files: no inline script or style, no other origin, no framing. */
export const DASHBOARD_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "font-src 'none'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

const PAGE_HEADERS = {
  'content-security-policy': DASHBOARD_CSP,
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
  'cross-origin-opener-policy': 'same-origin',
  // File names carry no version, so every use revalidates; the ETag makes that a cheap 304.
  'cache-control': 'no-cache',
  vary: 'accept-encoding',
};

function sendProblem(request: FastifyRequest, reply: FastifyReply, code: ProblemCode, detail: string) {
  return sendBody(request, reply, problemBody(code, detail, String(request.id)));
}

/** No PROBLEMS code says "not built", so this one problem is spelled out here. */
function sendNotBuilt(request: FastifyRequest, reply: FastifyReply) {
  return sendBody(request, reply, {
    type: problemType('GW_ERR_INTERNAL').replace(/internal$/, 'dashboard-not-built'),
    title: 'Dashboard not built',
    status: 503,
    detail: 'dashboard not built: run npm run build',
    request_id: String(request.id),
  });
}

function sendBody(
  request: FastifyRequest,
  reply: FastifyReply,
  body: { status: number; [key: string]: unknown },
) {
  return reply
    .code(body.status)
    .header('content-type', PROBLEM_CONTENT_TYPE)
    .header('cache-control', 'no-store')
    .header('x-request-id', String(request.id))
    .send(JSON.stringify(body));
}

/** Does Accept-Encoding allow gzip (named, or `*`, with a q above 0)? */
export function acceptsGzip(header: string | undefined): boolean {
  if (!header) return false;
  for (const part of header.split(',')) {
    const [name = '', ...params] = part.trim().toLowerCase().split(';');
    if (name.trim() !== 'gzip' && name.trim() !== '*') continue;
    const q = params.map((p) => p.trim()).find((p) => p.startsWith('q='));
    return q === undefined || Number(q.slice(2)) > 0;
  }
  return false;
}

/** If-None-Match against one ETag (weak comparison, lists and `*`, as RFC 9110 section 13.1.2). */
export function etagMatches(header: string | undefined, etag: string): boolean {
  if (!header) return false;
  return header.split(',').some((tag) => {
    const t = tag.trim();
    return t === '*' || t.replace(/^W\//, '') === etag;
  });
}

function serveAsset(request: FastifyRequest, reply: FastifyReply, asset: DashboardAsset) {
  const gzip = asset.gzip !== null && acceptsGzip(request.headers['accept-encoding']);
  const etag = gzip ? asset.etag.slice(0, -1) + '-gz"' : asset.etag;
  reply.headers(PAGE_HEADERS).header('etag', etag);
  if (etagMatches(request.headers['if-none-match'], etag)) return reply.code(304).send();
  reply.header('content-type', asset.contentType);
  if (gzip) reply.header('content-encoding', 'gzip');
  return reply.send(gzip ? asset.gzip : asset.body);
}

/** As the discovery routes declare it (admin/schemas ADMIN_SECURITY): the document shows the token need. */
const security = [{ adminToken: [] }];

const EventSchema = Type.Object({
  type: Type.String(),
  service_name: Type.String(),
  instance_id: Type.String(),
  timestamp: Type.String(),
  created: Type.Optional(Type.Boolean()),
  old_status: Type.Optional(Type.String()),
  new_status: Type.Optional(Type.String()),
  reason: Type.Optional(Type.String()),
  gateway_id: Type.Optional(Type.String()),
  change: Type.Optional(Type.String()),
});

export const dashboardPlugin: FastifyPluginAsync<DashboardPluginOptions> = async (app, options) => {
  const dir = options.dashboardDir ?? defaultDashboardDir();
  const assets = loadDashboardAssets(dir);
  if (assets === null)
    app.log.warn({ dir }, 'dashboard not built: run npm run build; /dashboard answers 503');

  const page = async (request: FastifyRequest<{ Params: { '*'?: string } }>, reply: FastifyReply) => {
    if (assets === null) return sendNotBuilt(request, reply);
    const name = request.params['*'] || 'index.html';
    const asset = assets.get(name);
    if (asset === undefined)
      return sendProblem(request, reply, 'GW_ERR_NOT_FOUND', `No dashboard file ${name}`);
    return serveAsset(request, reply, asset);
  };
  app.get('/dashboard', { schema: { hide: true } }, page);
  app.get('/dashboard/*', { schema: { hide: true } }, page);

  const { registry, health, metrics, stats } = options;
  app.get(
    '/api/discovery/stats',
    {
      schema: {
        tags: ['discovery'],
        security,
        summary: 'Recent request rate, p95 latency and totals per service (for the dashboard)',
        response: { 200: StatsResponseSchema },
      },
    },
    async (_request, reply) => {
      reply.header('cache-control', 'no-store');
      return buildStatsResponse({ registry, health, metrics, stats });
    },
  );

  if (options.events) {
    const timeline = createEventTimeline(options.events);
    // The stats window of a service that is gone would otherwise stay until the cap.
    const unsubscribe = options.events.subscribe((event) => {
      if (event.type !== 'deregistered' && event.type !== 'expired') return;
      if (registry.instancesOf(event.service_name).length === 0) stats.forget(event.service_name);
    });
    app.addHook('onClose', async () => {
      timeline.close();
      unsubscribe();
    });
    app.get(
      '/api/discovery/timeline',
      {
        schema: {
          tags: ['discovery'],
          security,
          summary: `The last ${TIMELINE_CAPACITY} registry and health events, newest first`,
          response: { 200: Type.Object({ events: Type.Array(EventSchema), total: Type.Integer() }) },
        },
      },
      async (_request, reply) => {
        reply.header('cache-control', 'no-store');
        const events = timeline.recent();
        return { events, total: events.length };
      },
    );
  }
};
