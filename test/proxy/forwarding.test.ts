import { randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { closeAll, echo, send, sha256, startGateway, startInstance } from './harness.js';

afterEach(closeAll);

interface Echoed {
  method: string;
  url: string;
  headers: Record<string, string>;
  rawHeaders: string[];
  sha256: string;
  bytes: number;
}

const METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'];
const RAW_PATH = '/a%20b/c%C3%A9/d.json?x=%20&x=2&y&z=a%2Fb&x=1';

describe('forwarding through /proxy/{service}', () => {
  it.each(METHODS)('%s arrives as itself with path, query, headers and body intact', async (method) => {
    let seen: Echoed | null = null;
    const handler = echo('a');
    const instance = await startInstance((req, res) => {
      const end = res.end.bind(res);
      // Capture what the instance saw even for HEAD, whose response has no body.
      res.end = ((chunk?: unknown) => {
        seen = {
          method: req.method!,
          url: req.url!,
          headers: req.headers as Record<string, string>,
          rawHeaders: req.rawHeaders,
          sha256: '',
          bytes: 0,
        };
        return end(chunk as Buffer);
      }) as typeof res.end;
      handler(req, res);
    });
    const gw = await startGateway();
    await gw.register({ service_name: 'svc', base_url: instance.url });
    const body = ['GET', 'HEAD'].includes(method) ? undefined : randomBytes(10_000);
    const reply = await send(method, `${gw.url}/proxy/svc${RAW_PATH}`, {
      body,
      headers: [
        'X-Custom',
        'Value With Spaces',
        'x-repeated',
        'one',
        'x-repeated',
        'two',
        'traceparent',
        '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
        'Connection',
        'keep-alive, X-Hop',
        'X-Hop',
        'must not pass',
        'Keep-Alive',
        'timeout=5',
        'TE',
        'trailers',
        'Proxy-Authorization',
        'Basic abc',
        'X-Forwarded-For',
        '10.0.0.1',
        'X-Forwarded-Host',
        'spoofed.example',
        'X-Request-ID',
        'req-123',
        'Authorization',
        'Bearer passes',
        'Idempotency-Key',
        'k1',
      ],
    });
    expect(reply.status).toBe(200);
    expect(reply.headers['x-request-id']).toBe('req-123');
    expect(reply.headers['x-instance']).toBe('a');
    expect(reply.headers['proxy-authenticate']).toBeUndefined();
    expect(reply.headers['x-secret']).toBeUndefined(); // named in the instance's Connection header
    expect(reply.headers['keep-alive']).not.toBe('timeout=5');
    const got = seen as unknown as Echoed;
    expect(got.method).toBe(method);
    expect(got.url).toBe(RAW_PATH);
    const h = got.headers;
    expect(h['x-custom']).toBe('Value With Spaces');
    expect(got.rawHeaders.filter((_, i, all) => i % 2 === 1 && all[i - 1] === 'x-repeated')).toEqual([
      'one',
      'two',
    ]);
    // Same trace, flags kept, the gateway's own span as the parent (SPEC section 9).
    expect(h.traceparent).toMatch(/^00-0af7651916cd43dd8448eb211c80319c-[0-9a-f]{16}-01$/);
    expect(h.traceparent).not.toContain('b7ad6b7169203331');
    expect(h.authorization).toBe('Bearer passes');
    expect(h['idempotency-key']).toBe('k1');
    for (const hop of ['x-hop', 'keep-alive', 'te', 'proxy-authorization', 'upgrade', 'transfer-encoding']) {
      expect(h[hop], hop).toBeUndefined();
    }
    expect(h['x-forwarded-for']).toBe('10.0.0.1, 127.0.0.1');
    expect(h['x-forwarded-proto']).toBe('http');
    expect(h['x-forwarded-host']).toBe(new URL(gw.url).host);
    expect(h['x-forwarded-prefix']).toBe('/proxy/svc');
    expect(h['x-request-id']).toBe('req-123');
    expect(h.host).toBe(new URL(instance.url).host);
    if (method !== 'HEAD') {
      const echoed = reply.json<Echoed>();
      expect(echoed.sha256).toBe(sha256(body ?? ''));
      expect(echoed.bytes).toBe(body?.length ?? 0);
    } else {
      expect(reply.body.length).toBe(0);
    }
  });

  it('forwards a chunked upload (no Content-Length) intact', async () => {
    const instance = await startInstance(echo('a'));
    const gw = await startGateway();
    await gw.register({ service_name: 'svc', base_url: instance.url });
    const body = randomBytes(50_000);
    const reply = await send('POST', `${gw.url}/proxy/svc/up`, {
      body,
      headers: ['Transfer-Encoding', 'chunked'],
    });
    const echoed = reply.json<Echoed>();
    // undici may send it chunked or, when the whole body already arrived, with its length.
    expect(echoed.sha256).toBe(sha256(body));
    expect(echoed.bytes).toBe(body.length);
  });

  it('passes status, repeated headers, error bodies and redirects back unchanged', async () => {
    const instance = await startInstance((req, res) => {
      if (req.url === '/created') {
        res.writeHead(201, 'Made It', [
          ['Set-Cookie', 'a=1'],
          ['Set-Cookie', 'b=2'],
          ['X-Request-ID', 'instance-own'],
          ['Content-Type', 'text/plain'],
        ] as unknown as Record<string, string>);
        res.end('made');
      } else if (req.url === '/missing') {
        res.writeHead(404, { 'content-type': 'text/html' });
        res.end('<h1>nope</h1>');
      } else if (req.url === '/boom') {
        res.writeHead(500, { 'content-type': 'application/json' });
        res.end('{"error":"instance"}');
      } else {
        res.writeHead(302, { location: '/elsewhere' });
        res.end();
      }
    });
    const gw = await startGateway();
    await gw.register({ service_name: 'svc', base_url: instance.url });
    const created = await send('GET', `${gw.url}/proxy/svc/created`);
    expect(created.status).toBe(201);
    expect(created.headers['set-cookie']).toEqual(['a=1', 'b=2']);
    expect(created.rawHeaders.filter((v) => v.toLowerCase() === 'x-request-id')).toHaveLength(1);
    expect(created.body.toString()).toBe('made');
    const missing = await send('GET', `${gw.url}/proxy/svc/missing`);
    expect(missing.status).toBe(404);
    expect(missing.headers['content-type']).toBe('text/html');
    expect(missing.body.toString()).toBe('<h1>nope</h1>');
    const boom = await send('GET', `${gw.url}/proxy/svc/boom`);
    expect(boom.status).toBe(500);
    expect(boom.body.toString()).toBe('{"error":"instance"}');
    const redirect = await send('GET', `${gw.url}/proxy/svc/old`);
    expect(redirect.status).toBe(302);
    expect(redirect.headers.location).toBe('/elsewhere');
    expect(instance.hits).toBe(4); // the redirect was not followed
  });

  it('prefixes the instance base_url path and forwards /proxy/{service} alone', async () => {
    const instance = await startInstance(echo('a'));
    const gw = await startGateway();
    await gw.register({ service_name: 'svc', base_url: `${instance.url}/base/v1` });
    expect((await send('GET', `${gw.url}/proxy/svc/users/1?q=1`)).json<Echoed>().url).toBe(
      '/base/v1/users/1?q=1',
    );
    expect((await send('GET', `${gw.url}/proxy/svc`)).json<Echoed>().url).toBe('/base/v1');
    expect((await send('GET', `${gw.url}/proxy/svc?q=%2F`)).json<Echoed>().url).toBe('/base/v1?q=%2F');
  });

  it('generates a request id when the client sent none or an insane one', async () => {
    const instance = await startInstance(echo('a'));
    const gw = await startGateway();
    await gw.register({ service_name: 'svc', base_url: instance.url });
    const reply = await send('GET', `${gw.url}/proxy/svc/x`, {
      headers: { 'x-request-id': 'bad id with spaces' },
    });
    const id = reply.headers['x-request-id'] as string;
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
    expect(reply.json<Echoed>().headers['x-request-id']).toBe(id);
  });

  it('forwards a CORS preflight to the instance', async () => {
    const instance = await startInstance((req, res) => {
      res.writeHead(204, { 'access-control-allow-origin': 'https://app.test', 'x-from': req.method! });
      res.end();
    });
    const gw = await startGateway();
    await gw.register({ service_name: 'svc', base_url: instance.url });
    const reply = await send('OPTIONS', `${gw.url}/proxy/svc/x`, {
      headers: { origin: 'https://app.test', 'access-control-request-method': 'PUT' },
    });
    expect(reply.status).toBe(204);
    expect(reply.headers['x-from']).toBe('OPTIONS');
    expect(reply.headers['access-control-allow-origin']).toBe('https://app.test');
  });
});
