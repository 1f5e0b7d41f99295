import { randomBytes } from 'node:crypto';
import { request } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { closeAll, echo, send, startGateway, startInstance } from './harness.js';

afterEach(closeAll);

interface Echoed {
  url: string;
  headers: Record<string, string>;
  bytes: number;
}

describe('static routes', () => {
  it('GET /api/users reaches user-service through the development default route, path unchanged', async () => {
    const users = await startInstance(echo('users'));
    const gw = await startGateway();
    await gw.register({ service_name: 'user-service', base_url: users.url });
    const reply = await send('GET', `${gw.url}/api/users?page=2`, { headers: { 'x-request-id': 'r-1' } });
    expect(reply.status).toBe(200);
    expect(reply.headers['x-request-id']).toBe('r-1');
    const echoed = reply.json<Echoed>();
    expect(echoed.url).toBe('/api/users?page=2');
    expect(echoed.headers['x-forwarded-prefix']).toBeUndefined();
    expect((await send('GET', `${gw.url}/api/users/7`)).json<Echoed>().url).toBe('/api/users/7');
    // The admin API under /api/discovery is not shadowed, nor is a longer name matched.
    expect((await send('GET', `${gw.url}/api/discovery/services`)).json().total).toBe(1);
    expect((await send('GET', `${gw.url}/api/usersX`)).status).toBe(404);
  });

  it('answers 503 on a static route whose service has no instance yet', async () => {
    const gw = await startGateway();
    const reply = await send('GET', `${gw.url}/api/orders`);
    expect(reply.status).toBe(503);
    expect(reply.json().code).toBe('GW_ERR_NO_HEALTHY_INSTANCE');
  });

  it('strips and adds prefixes, sets and removes headers both ways, and limits methods', async () => {
    const shop = await startInstance(echo('shop'));
    const gw = await startGateway({
      routes: [
        {
          prefix: '/shop',
          service: 'shop',
          strip_prefix: true,
          add_prefix: '/v2',
          methods: ['GET', 'POST'],
          request_headers: { set: { 'X-Tenant': 'acme' }, remove: ['X-Debug'] },
          response_headers: { set: { 'Cache-Control': 'no-cache' }, remove: ['X-Instance'] },
        },
      ],
    });
    await gw.register({
      service_name: 'shop',
      base_url: `${shop.url}/base`,
      health_check_url: `${shop.url}/health`,
    });
    const reply = await send('GET', `${gw.url}/shop/cart/1?x=%20`, {
      headers: { 'x-debug': '1', 'x-tenant': 'spoofed', 'x-kept': 'yes' },
    });
    expect(reply.status).toBe(200);
    expect(reply.headers['cache-control']).toBe('no-cache');
    expect(reply.headers['x-instance']).toBeUndefined();
    const echoed = reply.json<Echoed>();
    expect(echoed.url).toBe('/base/v2/cart/1?x=%20');
    expect(echoed.headers['x-tenant']).toBe('acme');
    expect(echoed.headers['x-debug']).toBeUndefined();
    expect(echoed.headers['x-kept']).toBe('yes');
    expect(echoed.headers['x-forwarded-prefix']).toBe('/shop');
    expect((await send('GET', `${gw.url}/shop`)).json<Echoed>().url).toBe('/base/v2');
    const denied = await send('DELETE', `${gw.url}/shop/cart/1`);
    expect(denied.status).toBe(405);
    expect(denied.headers.allow).toBe('GET, POST');
    expect((await send('GET', `${gw.url}/shop/../admin`)).status).toBe(400);
  });

  it('matches a host-bound route only for its host', async () => {
    const eu = await startInstance(echo('eu'));
    const any = await startInstance(echo('any'));
    const gw = await startGateway({
      routes: [
        { prefix: '/store', service: 'store-any' },
        { prefix: '/store', service: 'store-eu', host: '*.eu.example.com' },
      ],
    });
    await gw.register({ service_name: 'store-eu', base_url: eu.url });
    await gw.register({ service_name: 'store-any', base_url: any.url });
    const host = (h: string) => ({ headers: ['Host', h] });
    expect((await send('GET', `${gw.url}/store/1`, host('shop.eu.example.com:8080'))).json().name).toBe('eu');
    expect((await send('GET', `${gw.url}/store/1`, host('shop.example.com'))).json().name).toBe('any');
  });

  it('applies a route timeout and a body limit (declared or streamed)', async () => {
    const slow = await startInstance((req, res) => {
      if (req.url?.startsWith('/slow')) return; // never answers
      echo('up')(req, res);
    });
    const gw = await startGateway({
      routes: [
        { prefix: '/slow', service: 'up', timeout_ms: 200 },
        { prefix: '/upload', service: 'up', body_limit_bytes: 1000 },
      ],
    });
    await gw.register({ service_name: 'up', base_url: slow.url });
    const started = Date.now();
    expect((await send('GET', `${gw.url}/slow/x`)).status).toBe(504);
    expect(Date.now() - started).toBeLessThan(3_000);
    expect((await send('POST', `${gw.url}/upload`, { body: randomBytes(1000) })).json<Echoed>().bytes).toBe(
      1000,
    );
    const declared = await send('POST', `${gw.url}/upload`, { body: randomBytes(1001) });
    expect(declared.status).toBe(413);
    expect(declared.json().code).toBe('GW_ERR_BODY_TOO_LARGE');
    const streamed = await new Promise<number>((resolve, reject) => {
      const req = request(`${gw.url}/upload`, { method: 'POST' }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on('error', reject);
      req.write(randomBytes(600)); // no Content-Length: chunked, counted as it streams
      setTimeout(() => req.end(randomBytes(600)), 50);
    });
    expect(streamed).toBe(413);
  });

  it('applyConfig swaps the route table', async () => {
    const a = await startInstance(echo('a'));
    const gw = await startGateway({ routes: [{ prefix: '/old', service: 'a' }] });
    await gw.register({ service_name: 'a', base_url: a.url });
    expect((await send('GET', `${gw.url}/old`)).status).toBe(200);
    gw.gateway.proxy.applyConfig({ routes: [{ prefix: '/new', service: 'a' }], balancing: {} });
    expect((await send('GET', `${gw.url}/old`)).status).toBe(404);
    expect((await send('GET', `${gw.url}/new`)).status).toBe(200);
  });
});
