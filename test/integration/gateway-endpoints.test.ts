import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openEventStream } from '../helpers/event-stream.js';
import { type StartedGateway, startGateway } from '../helpers/gateway.js';
import { call, isProblem } from '../helpers/http.js';

/** SPEC sections 3 and 7: the gateway's own endpoints, its problem answers, X-Request-ID everywhere. */
describe('gateway endpoints', () => {
  let gw: StartedGateway;

  beforeAll(async () => {
    gw = await startGateway({ healthCheckIntervalMs: 60_000, allowedOrigins: ['https://app.example.com'] });
    await call('POST', `${gw.url}/api/discovery/services`, {
      service_name: 'svc',
      base_url: 'http://127.0.0.1:9',
    });
  });
  afterAll(() => gw.close());

  it('GET / describes the gateway', async () => {
    const res = await call('GET', `${gw.url}/`);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      name: 'msa-gateway',
      version: expect.stringMatching(/^\d+\.\d+\.\d+/),
      environment: 'development',
      status: 'running',
      uptime_seconds: expect.any(Number),
      services: { total: 1, healthy: 0 },
      endpoints: expect.objectContaining({ health: '/health', docs: '/docs', metrics: '/metrics' }),
    });
  });

  it('GET /health is liveness', async () => {
    const res = await call('GET', `${gw.url}/health`);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ status: 'healthy', uptime_seconds: expect.any(Number) });
    expect(new Date(String(res.body.timestamp)).toISOString()).toBe(res.body.timestamp);
  });

  it('GET /ready is 200 with a reachable store', async () => {
    const res = await call('GET', `${gw.url}/ready`);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ status: 'ready', store: 'memory' });
  });

  it('GET /docs serves Swagger UI', async () => {
    const res = await call('GET', `${gw.url}/docs`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/html/);
    expect(res.text).toMatch(/swagger/i);
  });

  it('GET /openapi.json is an OpenAPI 3 document of every gateway endpoint', async () => {
    const res = await call<{ openapi: string; paths: Record<string, Record<string, unknown>> }>(
      'GET',
      `${gw.url}/openapi.json`,
    );
    expect(res.status).toBe(200);
    expect(res.body.openapi).toMatch(/^3\./);
    const operations = Object.entries(res.body.paths).flatMap(([path, ops]) =>
      Object.keys(ops).map((method) => `${method.toUpperCase()} ${path}`),
    );
    expect(operations).toEqual(
      expect.arrayContaining([
        'GET /',
        'GET /health',
        'GET /ready',
        'GET /metrics',
        'POST /api/discovery/services',
        'GET /api/discovery/services',
        'GET /api/discovery/services/{service_name}',
        'DELETE /api/discovery/services/{service_name}',
        'DELETE /api/discovery/services/{service_name}/instances/{instance_id}',
        'PUT /api/discovery/services/{service_name}/instances/{instance_id}/heartbeat',
        'GET /api/discovery/health',
        'GET /api/discovery/events',
      ]),
    );
    // The request schema is the one that validates: its rules show in the document.
    const post = res.body.paths['/api/discovery/services']!.post as {
      requestBody: { content: Record<string, { schema: { properties: Record<string, unknown> } }> };
    };
    const body = post.requestBody.content['application/json']!.schema;
    expect(Object.keys(body.properties).sort()).toEqual(
      [
        'base_url',
        'health_check_url',
        'instance_id',
        'metadata',
        'service_name',
        'ttl_seconds',
        'weight',
      ].sort(),
    );
    expect(body.properties.weight).toMatchObject({ type: 'integer', minimum: 1, maximum: 1000 });
  });

  it('GET /metrics is Prometheus text', async () => {
    const res = await call('GET', `${gw.url}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    expect(res.text).toMatch(/^# HELP gateway_requests_total/m);
    expect(res.text).toMatch(/^gateway_upstream_instances\{service="svc",status="(UNKNOWN|UNHEALTHY)"\} 1$/m);
    expect(res.text).toMatch(/^process_cpu_seconds_total /m);
  });

  it('an unknown route is a 404 problem', async () => {
    const res = await call('GET', `${gw.url}/no/such/route`);
    expect(res.status).toBe(404);
    expect(isProblem(res)).toBe(true);
    expect(res.body).toMatchObject({ status: 404, title: expect.any(String), detail: expect.any(String) });
  });

  it('malformed JSON is a 400 problem', async () => {
    const res = await call('POST', `${gw.url}/api/discovery/services`, '{"a":');
    expect(res.status).toBe(400);
    expect(isProblem(res)).toBe(true);
  });

  it('every answer carries X-Request-ID, a sane client one kept', async () => {
    const cases: [string, string, unknown?][] = [
      ['GET', '/'],
      ['GET', '/health'],
      ['GET', '/metrics'],
      ['GET', '/openapi.json'],
      ['GET', '/nope'],
      ['GET', '/api/discovery/services/nobody'],
      ['POST', '/api/discovery/services', '{bad json'],
      ['POST', '/api/discovery/services', { service_name: '' }],
      ['HEAD', '/health'],
    ];
    for (const [method, path, body] of cases) {
      const generated = await call(method, `${gw.url}${path}`, body);
      expect(generated.headers.get('x-request-id'), `${method} ${path}`).toMatch(/^[0-9a-f-]{36}$/);
      const kept = await call(method, `${gw.url}${path}`, body, { 'x-request-id': 'client-id-1' });
      expect(kept.headers.get('x-request-id'), `${method} ${path}`).toBe('client-id-1');
    }
    const stream = await openEventStream(`${gw.url}/api/discovery/events`, { 'x-request-id': 'sse-7' });
    expect(stream.response.headers.get('x-request-id')).toBe('sse-7');
    stream.close();
  });

  it('answers CORS for allowed origins only', async () => {
    const allowed = await call('GET', `${gw.url}/health`, undefined, { origin: 'https://app.example.com' });
    expect(allowed.headers.get('access-control-allow-origin')).toBe('https://app.example.com');
    const other = await call('GET', `${gw.url}/health`, undefined, { origin: 'https://evil.example.com' });
    expect(other.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('request headers over 16 KiB get a 431 problem', async () => {
    const { status, contentType, body } = await new Promise<{
      status: number;
      contentType: string;
      body: string;
    }>((resolve, reject) => {
      const req = request(`${gw.url}/health`, { headers: { 'x-big': 'x'.repeat(20 * 1024) } }, (res) => {
        let text = '';
        res.on('data', (c: Buffer) => {
          text += c.toString();
        });
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            contentType: String(res.headers['content-type']),
            body: text,
          }),
        );
      });
      req.on('error', reject);
      req.end();
    });
    expect(status).toBe(431);
    expect(contentType).toMatch(/^application\/problem\+json/);
    expect(JSON.parse(body)).toMatchObject({ status: 431 });
  });
});

describe('shutdown', () => {
  it('an open event stream does not hold up close()', async () => {
    const gw = await startGateway({ healthCheckIntervalMs: 60_000 });
    const stream = await openEventStream(`${gw.url}/api/discovery/events`);
    const started = Date.now();
    await gw.close();
    await stream.ended;
    expect(Date.now() - started).toBeLessThan(2_000);
  });

  it('with DOCS_ENABLED=false there is no /docs', async () => {
    const gw = await startGateway({ docsEnabled: false });
    try {
      expect((await call('GET', `${gw.url}/docs`)).status).toBe(404);
      expect((await call('GET', `${gw.url}/health`)).status).toBe(200);
    } finally {
      await gw.close();
    }
  });
});
