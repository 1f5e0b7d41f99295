import type { ServerResponse } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type StartedGateway, startGateway } from '../helpers/gateway.js';
import { type HealthServer, startHealthServer } from '../helpers/health-server.js';
import { call, isProblem } from '../helpers/http.js';
import { waitFor } from '../helpers/wait-for.js';

/** SPEC section 3: Swagger UI offers every registered service's own API, through the gateway. */

type Doc = Record<string, unknown> & { paths: Record<string, Record<string, unknown>> };

const json = (res: ServerResponse, body: unknown, status = 200) =>
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));

/** An instance serving `doc()` at `path` (the other paths echo the request, as the helper does). */
const instanceWith = (path: string, doc: () => unknown) =>
  startHealthServer({
    handler: (req, res) => {
      if (req.url !== path) return false;
      json(res, doc());
      return true;
    },
  });

describe('service documents in Swagger UI', () => {
  let gw: StartedGateway;
  let oas3: HealthServer;
  let swagger2: HealthServer;
  let spec: HealthServer;
  let plain: HealthServer;
  let huge: HealthServer;
  let version = '1.0.0';

  const register = (service_name: string, base_url: string, metadata: Record<string, unknown> = {}) =>
    call('POST', `${gw.url}/api/discovery/services`, { service_name, base_url, metadata });
  const docOf = (name: string) => call<Doc>('GET', `${gw.url}/docs/services/${name}/openapi.json`);

  beforeAll(async () => {
    oas3 = await instanceWith('/openapi.json', () => ({
      openapi: '3.0.3',
      info: { title: 'items', version },
      servers: [{ url: 'http://items.internal.example:9999' }],
      paths: { '/items': { get: { responses: { 200: { description: 'ok' } } } } },
    }));
    swagger2 = await instanceWith('/openapi.json', () => ({
      swagger: '2.0',
      info: { title: 'legacy', version: '1' },
      host: 'legacy.internal.example',
      schemes: ['https'],
      basePath: '/',
      paths: { '/things': { get: { responses: { 200: { description: 'ok' } } } } },
    }));
    spec = await instanceWith('/spec.json', () => ({
      openapi: '3.1.0',
      info: { title: 'spec', version: '1' },
      paths: { '/spec-only': { get: {} } },
    }));
    plain = await startHealthServer(); // /openapi.json answers JSON that is no OpenAPI document
    huge = await startHealthServer({
      handler: (req, res) => {
        if (req.url !== '/openapi.json') return false;
        // Chunked, no Content-Length: the cap must hold while the body streams.
        res.writeHead(200, { 'content-type': 'application/json' });
        res.write('{"openapi":"3.0.3","info":{"title":"big","version":"1"},"x-pad":"');
        const chunk = 'x'.repeat(64 * 1024);
        let sent = 0;
        const more = () => {
          while (sent < 3 * 1024 * 1024 && !res.destroyed) {
            sent += chunk.length;
            if (!res.write(chunk)) return void res.once('drain', more);
          }
          res.end('","paths":{}}');
        };
        more();
        return true;
      },
    });
    gw = await startGateway({ healthCheckIntervalMs: 60_000 });
    await register('items', oas3.url);
    await register('legacy', swagger2.url);
    await register('spec', spec.url, { openapi_url: `${spec.url}/spec.json` });
    await register('plain', plain.url);
    await register('huge', huge.url);
  });
  afterAll(async () => {
    await gw.close();
    await Promise.all([oas3, swagger2, spec, plain, huge].map((s) => s.close()));
  });

  it('GET /docs/services lists every registered service with its document URL', async () => {
    const res = await call<{ service_name: string; url: string; status: string }[]>(
      'GET',
      `${gw.url}/docs/services`,
    );
    expect(res.status).toBe(200);
    expect(res.body.map((s) => s.service_name)).toEqual(['huge', 'items', 'legacy', 'plain', 'spec']);
    expect(res.body[1]).toEqual({
      service_name: 'items',
      url: '/docs/services/items/openapi.json',
      status: expect.stringMatching(/^(HEALTHY|UNKNOWN)$/),
    });
  });

  it('an OpenAPI 3 document is served with its server at /proxy/{name}', async () => {
    const res = await docOf('items');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    expect(res.body.servers).toEqual([{ url: '/proxy/items', description: expect.any(String) }]);
    expect(res.body.info).toMatchObject({ title: 'items', 'x-gateway-service': 'items' });
    expect(Object.keys(res.body.paths)).toEqual(['/items']);
  });

  it('"Try it out": the server URL plus a path of the document reaches the instance', async () => {
    const doc = await docOf('items');
    const server = (doc.body.servers as { url: string }[])[0]!.url;
    const path = Object.keys(doc.body.paths)[0]!;
    const res = await call('GET', `${gw.url}${server}${path}?q=1`);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ method: 'GET', url: '/items?q=1' });
    expect(oas3.requests.some((r) => r.url === '/items?q=1')).toBe(true);
  });

  it('a Swagger 2.0 document gets basePath /proxy/{name} and loses host and schemes', async () => {
    const res = await docOf('legacy');
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ swagger: '2.0', basePath: '/proxy/legacy' });
    expect(res.body).not.toHaveProperty('host');
    expect(res.body).not.toHaveProperty('schemes');
    const through = await call('GET', `${gw.url}${res.body.basePath}/things`);
    expect(through.body).toMatchObject({ url: '/things' });
  });

  it('metadata.openapi_url is fetched instead of /openapi.json', async () => {
    const res = await docOf('spec');
    expect(res.status).toBe(200);
    expect(Object.keys(res.body.paths)).toEqual(['/spec-only']);
    expect(spec.requests.some((r) => r.url === '/spec.json')).toBe(true);
    expect(spec.requests.some((r) => r.url === '/openapi.json')).toBe(false);
  });

  it('the document is cached, and a new registration of the service refreshes it', async () => {
    expect((await docOf('items')).body.info).toMatchObject({ version: '1.0.0' });
    version = '2.0.0';
    const before = oas3.requests.filter((r) => r.url === '/openapi.json').length;
    expect((await docOf('items')).body.info).toMatchObject({ version: '1.0.0' });
    expect(oas3.requests.filter((r) => r.url === '/openapi.json').length).toBe(before);
    await register('items', oas3.url); // the same instance again: a `registered` event
    const res = await waitFor(async () => {
      const r = await docOf('items');
      return (r.body.info as { version: string }).version === '2.0.0' ? r : null;
    });
    expect(res.status).toBe(200);
  });

  it('concurrent requests for one service share one fetch', async () => {
    await register('items', oas3.url);
    const before = oas3.requests.filter((r) => r.url === '/openapi.json').length;
    const answers = await Promise.all(Array.from({ length: 5 }, () => docOf('items')));
    expect(answers.map((a) => a.status)).toEqual([200, 200, 200, 200, 200]);
    expect(oas3.requests.filter((r) => r.url === '/openapi.json').length).toBe(before + 1);
  });

  it('an unknown service is a 404 problem', async () => {
    const res = await docOf('nobody');
    expect(res.status).toBe(404);
    expect(isProblem(res as never)).toBe(true);
    expect(res.body).toMatchObject({ code: 'GW_ERR_SERVICE_NOT_FOUND' });
  });

  it('an instance without an OpenAPI document is a 502 problem', async () => {
    const res = await docOf('plain');
    expect(res.status).toBe(502);
    expect(isProblem(res as never)).toBe(true);
    expect(res.body).toMatchObject({ code: 'GW_ERR_UPSTREAM_FAILED' });
    expect(String(res.body.detail)).toMatch(/not an OpenAPI/);
    expect(String(res.body.detail)).not.toContain(plain.url); // instance URLs stay in the logs
  });

  it('a document over 2 MiB is refused (502) while it streams', async () => {
    const res = await docOf('huge');
    expect(res.status).toBe(502);
    expect(String(res.body.detail)).toMatch(/larger than 2097152 bytes/);
  });

  it("the gateway's own OpenAPI document describes the docs endpoints", async () => {
    const res = await call<Doc>('GET', `${gw.url}/openapi.json`);
    expect(res.body.paths['/docs/services']).toHaveProperty('get');
    expect(res.body.paths['/docs/services/{service_name}/openapi.json']).toHaveProperty('get');
  });
});

describe('service documents with no routable instance, an admin token, or docs off', () => {
  it('a service whose instances are all UNHEALTHY is a 503 problem', async () => {
    const sick = await startHealthServer({ status: 500 });
    const gw = await startGateway({
      healthCheckIntervalMs: 100,
      healthCheckTimeoutMs: 100,
      unhealthyThreshold: 1,
    });
    try {
      await call('POST', `${gw.url}/api/discovery/services`, { service_name: 'sick', base_url: sick.url });
      await waitFor(() => gw.gateway.health.serviceStatus('sick') === 'UNHEALTHY', 5_000, 'sick UNHEALTHY');
      const res = await call('GET', `${gw.url}/docs/services/sick/openapi.json`);
      expect(res.status).toBe(503);
      expect(isProblem(res)).toBe(true);
      expect(res.body).toMatchObject({ code: 'GW_ERR_NO_HEALTHY_INSTANCE' });
    } finally {
      await gw.close();
      await sick.close();
    }
  });

  it('with GATEWAY_ADMIN_TOKEN set, /docs stays public and /docs/services* need the token', async () => {
    const token = 'docs-admin-token-0123456789';
    const gw = await startGateway({ adminTokens: [token] });
    try {
      const auth = { authorization: `Bearer ${token}` };
      expect((await call('GET', `${gw.url}/docs`)).status).toBe(200);
      expect((await call('GET', `${gw.url}/docs/static/swagger-initializer.js`)).status).toBe(200);
      const refused = await call('GET', `${gw.url}/docs/services`);
      expect(refused.status).toBe(401);
      expect(isProblem(refused)).toBe(true);
      expect((await call('GET', `${gw.url}/docs/services/x/openapi.json`)).status).toBe(401);
      expect((await call('GET', `${gw.url}/docs/services`, undefined, auth)).body).toEqual([]);
      expect((await call('GET', `${gw.url}/docs/services/x/openapi.json`, undefined, auth)).status).toBe(404);
    } finally {
      await gw.close();
    }
  });

  it('with DOCS_ENABLED=false there are no service documents either', async () => {
    const gw = await startGateway({ docsEnabled: false });
    try {
      expect((await call('GET', `${gw.url}/docs/services`)).status).toBe(404);
      expect((await call('GET', `${gw.url}/docs/services/x/openapi.json`)).status).toBe(404);
    } finally {
      await gw.close();
    }
  });
});
