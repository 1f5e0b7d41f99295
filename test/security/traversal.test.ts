/**
 * Path traversal through the real gateway, over raw sockets so no client resolves `..` or
 * re-encodes anything first. Every spelling is refused with 400 before an instance sees it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type StartedGateway, startGateway } from '../helpers/gateway.js';
import { type HealthServer, startHealthServer } from '../helpers/health-server.js';
import { rawRequest } from './helpers.js';

let instance: HealthServer;
let gw: StartedGateway;

beforeAll(async () => {
  instance = await startHealthServer();
  gw = await startGateway({
    healthCheckIntervalMs: 60_000,
    routes: [{ prefix: '/app', service: 'svc', strip_prefix: true }],
  });
  await gw.gateway.registry.register({
    service_name: 'svc',
    base_url: `${instance.url}/base`,
    health_check_url: instance.healthUrl,
  });
});
afterAll(async () => {
  await gw?.close();
  await instance?.close();
});

const TRAVERSALS = [
  '/proxy/svc/../x',
  '/proxy/svc/..',
  '/proxy/svc/%2e%2e/x',
  '/proxy/svc/%2E%2e/x',
  '/proxy/svc/.%2e/x',
  '/proxy/svc/..%2fx',
  '/proxy/svc/..%2Fx',
  '/proxy/svc/a%2f..%2f..%2fetc',
  '/proxy/svc/a%5c..%5c..',
  '/proxy/svc/a\\..\\..\\x',
  '/proxy/svc/a/..;/x',
  '/proxy/svc/%252e%252e/x',
  '/proxy/svc/a/%2e%2e%2f%2e%2e/x',
  '/proxy/svc/./x',
  '/proxy/svc/x%00.json',
  '/proxy/svc/../../../etc/passwd?x=1',
  '/app/../admin',
  '/app/%2e%2e/admin',
  '/app/..%5cadmin',
];

const seen = () => instance.requests.filter((r) => r.url !== '/health');

describe('path traversal over raw sockets', () => {
  it.each(TRAVERSALS)('%s is refused with 400 and reaches no instance', async (path) => {
    const before = seen().length;
    const reply = await rawRequest(gw.port, `GET ${path} HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n`);
    expect(reply.statuses).toEqual([400]);
    expect(reply.text).toMatch(/"code":"GW_ERR_PATH_TRAVERSAL"/);
    expect(seen().length).toBe(before);
  });

  it('a normal path still reaches the instance under its base path, byte for byte', async () => {
    const reply = await rawRequest(
      gw.port,
      'GET /proxy/svc/a%20b/c.json?q=%2e%2e HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n',
    );
    expect(reply.statuses).toEqual([200]);
    expect(seen().at(-1)?.url).toBe('/base/a%20b/c.json?q=%2e%2e');
  });

  it('/proxy/.. cannot climb into the gateway admin API', async () => {
    const reply = await rawRequest(
      gw.port,
      'GET /proxy/../api/discovery/services HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n',
    );
    expect(reply.statuses).not.toContain(200);
  });
});
