import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createEventHub, type GatewayEvent } from '../../src/events.js';
import type { HealthMonitor } from '../../src/health/types.js';
import { acceptsGzip, dashboardPlugin, etagMatches } from '../../src/observability/dashboard-plugin.js';
import { createMetrics } from '../../src/observability/metrics.js';
import { createRequestStats } from '../../src/observability/stats.js';
import type { InstanceRegistration, Registry } from '../../src/registry/types.js';

/** Just the registry and health reads the plugin makes; the real ones are tested in their folders. */
function fakeRegistry(members: Record<string, string[]>): Registry {
  return {
    serviceNames: () => Object.keys(members).filter((s) => members[s]!.length > 0),
    instancesOf: (s: string) => (members[s] ?? []).map((id) => ({ instance_id: id }) as InstanceRegistration),
  } as unknown as Registry;
}
const fakeHealth = { serviceStatus: () => 'HEALTHY' } as unknown as HealthMonitor;

let dist: string;
beforeAll(() => {
  dist = mkdtempSync(join(tmpdir(), 'dashboard-'));
  writeFileSync(
    join(dist, 'index.html'),
    '<!doctype html><script type="module" src="/dashboard/app.js"></script>',
  );
  writeFileSync(join(dist, 'app.js'), `console.log(${JSON.stringify('x'.repeat(2000))});`);
  writeFileSync(join(dist, 'app.css'), 'body{margin:0}');
  writeFileSync(join(dist, 'notes.unknown'), 'not served');
  return () => rmSync(dist, { recursive: true, force: true });
});

const apps: FastifyInstance[] = [];
afterEach(async () => {
  await Promise.all(apps.splice(0).map((a) => a.close()));
});

async function start(options: { dir?: string; members?: Record<string, string[]> } = {}) {
  const registry = fakeRegistry(options.members ?? {});
  const metrics = createMetrics({ defaultMetrics: false });
  const stats = createRequestStats();
  const events = createEventHub<GatewayEvent>();
  const app = Fastify();
  apps.push(app);
  await app.register(dashboardPlugin, {
    registry,
    health: fakeHealth,
    metrics,
    stats,
    events,
    dashboardDir: options.dir ?? dist,
  });
  await app.ready();
  return { app, metrics, stats, events };
}

describe('GET /dashboard', () => {
  it.each(['/dashboard', '/dashboard/'])(
    '%s serves the page under a strict Content-Security-Policy',
    async (url) => {
      const { app } = await start();
      const res = await app.inject({ url });
      expect(res.statusCode).toBe(200);
      expect(res.headers['content-type']).toBe('text/html; charset=utf-8');
      expect(res.headers['content-security-policy']).toContain("default-src 'self'");
      expect(res.headers['content-security-policy']).toContain("script-src 'self'");
      expect(res.headers['content-security-policy']).not.toContain('unsafe-inline');
      expect(res.headers['x-content-type-options']).toBe('nosniff');
      expect(res.headers['cache-control']).toBe('no-cache');
      expect(res.body).toContain('/dashboard/app.js');
    },
  );

  it.each([
    ['/dashboard/app.js', 'text/javascript; charset=utf-8'],
    ['/dashboard/app.css', 'text/css; charset=utf-8'],
  ])('serves %s as %s', async (url, type) => {
    const { app } = await start();
    const res = await app.inject({ url });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe(type);
    expect(res.headers.etag).toMatch(/^"[\w-]+"$/);
  });

  it('gzips a file when the client accepts it and it gets smaller', async () => {
    const { app } = await start();
    const res = await app.inject({ url: '/dashboard/app.js', headers: { 'accept-encoding': 'br, gzip' } });
    expect(res.headers['content-encoding']).toBe('gzip');
    expect(res.headers.vary).toContain('accept-encoding');
    expect(gunzipSync(res.rawPayload).toString()).toContain('console.log');
  });

  it('answers HEAD like GET, without the body', async () => {
    const { app } = await start();
    const res = await app.inject({ method: 'HEAD', url: '/dashboard' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(res.body).toBe('');
  });

  it('answers 304 when the client already has the file', async () => {
    const { app } = await start();
    const first = await app.inject({ url: '/dashboard/app.css' });
    const again = await app.inject({
      url: '/dashboard/app.css',
      headers: { 'if-none-match': first.headers.etag },
    });
    expect(again.statusCode).toBe(304);
    expect(again.body).toBe('');
  });

  it.each(['/dashboard/nope.js', '/dashboard/notes.unknown', '/dashboard/a/app.js'])(
    '%s is a 404 problem: only the built files are served',
    async (url) => {
      const { app } = await start();
      const res = await app.inject({ url });
      expect(res.statusCode).toBe(404);
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    },
  );

  it.each(['/dashboard/../package.json', '/dashboard/%2e%2e/package.json', '/dashboard/..%2fpackage.json'])(
    'never serves a file outside the build: %s',
    async (url) => {
      const { app } = await start();
      const res = await app.inject({ url });
      expect(res.statusCode).toBe(404);
      expect(res.body).not.toContain('"scripts"');
    },
  );

  it('answers 503 "dashboard not built" when the build output is missing', async () => {
    const empty = mkdtempSync(join(tmpdir(), 'no-dashboard-'));
    try {
      const { app } = await start({ dir: empty });
      const res = await app.inject({ url: '/dashboard' });
      expect(res.statusCode).toBe(503);
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(res.json()).toMatchObject({ status: 503, detail: 'dashboard not built: run npm run build' });
    } finally {
      rmSync(empty, { recursive: true, force: true });
    }
  });
});

describe('GET /api/discovery/stats', () => {
  it('shows per registered service its recent rate and p95 and its lifetime totals and 5xx', async () => {
    const { app, metrics, stats } = await start({
      members: { 'user-service': ['a', 'b'], 'order-service': ['c'] },
    });
    for (const status of [200, 200, 404, 502]) {
      metrics.observeRequest('user-service', 'GET', status, 0.02);
      stats.record('user-service', status, 0.02);
    }
    metrics.observeRequest('', 'GET', 200, 0.001); // the gateway's own endpoint: not a service
    const res = await app.inject({ url: '/api/discovery/stats' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['cache-control']).toBe('no-store');
    const body = res.json();
    expect(body.window_seconds).toBe(60);
    expect(body.services).toEqual([
      {
        service_name: 'order-service',
        status: 'HEALTHY',
        instances: 1,
        request_rate_per_s: 0,
        p95_ms: null,
        requests_total: 0,
        errors_total: 0,
      },
      expect.objectContaining({
        service_name: 'user-service',
        instances: 2,
        requests_total: 4,
        errors_total: 1,
      }),
    ]);
    expect(body.services[1].request_rate_per_s).toBeGreaterThan(0);
    expect(body.services[1].p95_ms).toBeGreaterThan(15);
    expect(body.services[1].p95_ms).toBeLessThanOrEqual(20);
  });
});

describe('GET /api/discovery/timeline', () => {
  const event = (i: number): GatewayEvent => ({
    type: 'status_changed',
    service_name: 'user-service',
    instance_id: 'a',
    timestamp: new Date(1_700_000_000_000 + i * 1000).toISOString(),
    old_status: 'HEALTHY',
    new_status: 'UNHEALTHY',
    reason: `health check returned 50${i % 10}`,
  });

  it('lists the last 200 events, newest first', async () => {
    const { app, events } = await start();
    for (let i = 0; i < 205; i++) events.emit(event(i));
    const body = (await app.inject({ url: '/api/discovery/timeline' })).json();
    expect(body.total).toBe(200);
    expect(body.events[0]).toEqual(event(204));
    expect(body.events[199]).toEqual(event(5));
  });

  it('forgets the stats of a service whose last instance is gone', async () => {
    const members = { 'user-service': ['a'] };
    const { events, stats } = await start({ members });
    stats.record('user-service', 200, 0.01);
    members['user-service'] = [];
    events.emit({ type: 'deregistered', service_name: 'user-service', instance_id: 'a', timestamp: '' });
    expect([...stats.services()]).toEqual([]);
  });
});

describe('HTTP helpers', () => {
  it.each([
    [undefined, false],
    ['gzip', true],
    ['br;q=1, gzip;q=0.5', true],
    ['gzip;q=0', false],
    ['*', true],
    ['identity', false],
  ])('Accept-Encoding %s allows gzip: %s', (header, expected) => {
    expect(acceptsGzip(header)).toBe(expected);
  });

  it.each([
    ['"abc"', true],
    ['W/"abc"', true],
    ['"x", "abc"', true],
    ['*', true],
    ['"abd"', false],
  ])('If-None-Match %s matches "abc": %s', (header, expected) => {
    expect(etagMatches(header, '"abc"')).toBe(expected);
  });
});
