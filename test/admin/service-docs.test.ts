import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import pino from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createServiceDocs, type ServiceDocs } from '../../src/admin/service-docs.js';
import { INITIALIZER_URL } from '../../src/admin/service-docs-ui.js';
import type { GatewayError } from '../../src/errors.js';
import { createEventHub, type GatewayEvent } from '../../src/events.js';
import type { InstanceRegistration } from '../../src/registry/index.js';
import { startAdminApp } from '../helpers/admin-app.js';

const instance = (
  base_url: string,
  metadata: Record<string, unknown> = {},
  id = 'i-1',
): InstanceRegistration => ({
  service_name: 'svc',
  instance_id: id,
  base_url,
  health_check_url: `${base_url}/health`,
  metadata,
  weight: 1,
  registered_at: '2026-01-01T00:00:00.000Z',
  updated_at: '2026-01-01T00:00:00.000Z',
  ttl_seconds: null,
  lease_expires_at: null,
});

describe('createServiceDocs', () => {
  type Handler = (req: IncomingMessage, res: ServerResponse) => void;
  let handler: Handler;
  let server: Server;
  let base: string;
  let hits = 0;
  let instances: InstanceRegistration[] = [];
  let docs: ServiceDocs | undefined;
  let clock = 0;
  const events = createEventHub<GatewayEvent>();
  const DOC = { openapi: '3.0.0', info: { title: 't', version: '1' }, paths: {} };
  const sendDoc: Handler = (_req, res) =>
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(DOC));

  beforeAll(async () => {
    server = createServer((req, res) => {
      hits++;
      handler(req, res);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterEach(async () => {
    await docs?.close();
    hits = 0;
  });
  afterAll(() => {
    server.closeAllConnections();
    server.close();
  });

  const start = (options: Partial<Parameters<typeof createServiceDocs>[0]> = {}) => {
    instances = [instance(base)];
    clock = 0;
    docs = createServiceDocs({
      registry: { serviceNames: () => ['svc'], instancesOf: (name) => (name === 'svc' ? instances : []) },
      health: { routable: (name) => (name === 'svc' ? instances : []), serviceStatus: () => 'HEALTHY' },
      events,
      logger: pino({ level: 'silent' }),
      now: () => clock,
      ...options,
    });
    return docs;
  };
  const failure = (p: Promise<unknown>) =>
    p.then(
      () => expect.fail('expected a GatewayError'),
      (err: GatewayError) => err,
    );
  const event = (type: 'registered' | 'deregistered' | 'expired' | 'status_changed') =>
    events.emit({
      type,
      service_name: 'svc',
      instance_id: 'i-1',
      timestamp: '',
      ...(type === 'registered' ? { created: false } : {}),
      ...(type === 'status_changed' ? { old_status: 'UNHEALTHY', new_status: 'HEALTHY', reason: '' } : {}),
    } as GatewayEvent);

  it('keeps a document for the TTL, then fetches it again', async () => {
    handler = sendDoc;
    const d = start({ ttlMs: 1_000 });
    expect(JSON.parse(await d.document('svc')).servers).toEqual([
      expect.objectContaining({ url: '/proxy/svc' }),
    ]);
    clock = 999;
    await d.document('svc');
    expect(hits).toBe(1);
    clock = 1_000;
    await d.document('svc');
    expect(hits).toBe(2);
  });

  it.each(['registered', 'deregistered', 'expired'] as const)(
    'a `%s` event drops the document',
    async (type) => {
      handler = sendDoc;
      const d = start();
      await d.document('svc');
      event(type);
      await d.document('svc');
      expect(hits).toBe(2);
    },
  );

  it('remembers a failure briefly; an instance turning HEALTHY forgets it', async () => {
    handler = (_req, res) => res.writeHead(404).end();
    const d = start({ failureTtlMs: 5_000 });
    expect((await failure(d.document('svc'))).status).toBe(502);
    await failure(d.document('svc'));
    expect(hits).toBe(1);
    event('status_changed');
    handler = sendDoc;
    expect(JSON.parse(await d.document('svc')).openapi).toBe('3.0.0');
  });

  it('refuses a declared Content-Length over the cap before reading the body', async () => {
    handler = (_req, res) =>
      res
        .writeHead(200, { 'content-type': 'application/json', 'content-length': '5000' })
        .end('x'.repeat(5000));
    const err = await failure(start({ maxBytes: 1_000 }).document('svc'));
    expect(err.detail).toMatch(/i-1: document larger than 1000 bytes/);
  });

  it.each([
    ['text/html', 'answered text/html, not JSON'],
    ['application/jsonx', 'not JSON'],
  ])('refuses content type %s', async (type, reason) => {
    handler = (_req, res) => res.writeHead(200, { 'content-type': type }).end(JSON.stringify(DOC));
    expect((await failure(start().document('svc'))).detail).toContain(reason);
  });

  it('accepts +json media types and gives up after the timeout', async () => {
    handler = (_req, res) =>
      res.writeHead(200, { 'content-type': 'application/vnd.oai.openapi+json' }).end(JSON.stringify(DOC));
    await start().document('svc');
    handler = () => {}; // never answers
    const started = Date.now();
    const err = await failure(start({ timeoutMs: 200 }).document('svc'));
    expect(err.detail).toContain('no document within 200 ms');
    expect(Date.now() - started).toBeLessThan(2_000);
  });

  it('tries the next routable instance when one has no document', async () => {
    handler = (req, res) => (req.url === '/good/openapi.json' ? sendDoc(req, res) : res.writeHead(500).end());
    const d = start();
    instances = [instance(`${base}/bad`, {}, 'bad'), instance(`${base}/good`, {}, 'good')];
    expect(JSON.parse(await d.document('svc')).openapi).toBe('3.0.0');
  });

  it('never fetches an openapi_url the address policy refuses', async () => {
    handler = sendDoc;
    const d = start({ checkAddress: (url) => (url.hostname === 'metadata.example' ? 'is refused' : null) });
    instances = [instance(base, { openapi_url: 'http://metadata.example/spec.json' })];
    expect((await failure(d.document('svc'))).detail).toContain('the document URL is refused');
    expect(hits).toBe(0);
  });

  it('404 for an unknown service, 503 with no routable instance', async () => {
    const d = start();
    expect((await failure(d.document('other'))).code).toBe('GW_ERR_SERVICE_NOT_FOUND');
    const sick = createServiceDocs({
      registry: { serviceNames: () => ['svc'], instancesOf: () => instances },
      health: { routable: () => [], serviceStatus: () => 'UNHEALTHY' },
      events,
      logger: pino({ level: 'silent' }),
    });
    expect((await failure(sick.document('svc'))).code).toBe('GW_ERR_NO_HEALTHY_INSTANCE');
    expect(sick.list()).toEqual([
      { service_name: 'svc', url: '/docs/services/svc/openapi.json', status: 'UNHEALTHY' },
    ]);
    await sick.close();
  });
});

describe('Swagger UI initializer', () => {
  it("replaces @fastify/swagger-ui's static initializer, under the UI's CSP", async () => {
    const h = await startAdminApp({ adminTokens: ['initializer-token-0123'] });
    try {
      const res = await h.app.inject({ method: 'GET', url: INITIALIZER_URL });
      expect(res.statusCode).toBe(200);
      expect(res.headers['content-type']).toMatch(/^application\/javascript/);
      expect(res.headers['content-security-policy']).toContain("script-src 'self'");
      expect(res.body).toContain("resolveUrl('./services')");
      expect(res.body).toContain('"docExpansion":"list"');
      expect((await h.app.inject({ method: 'GET', url: '/docs' })).statusCode).toBe(200);
      expect((await h.app.inject({ method: 'GET', url: '/docs/services' })).statusCode).toBe(401);
    } finally {
      await h.close();
    }
  });
});
