import { afterEach, describe, expect, it } from 'vitest';
import { closeAll, echo, type Reply, send, startGateway, startInstance } from './harness.js';

afterEach(closeAll);

function expectProblem(reply: Reply, status: number, code: string): Record<string, unknown> {
  expect(reply.status).toBe(status);
  expect(reply.headers['content-type']).toMatch(/^application\/problem\+json/);
  const body = reply.json();
  expect(body.status).toBe(status);
  expect(body.code).toBe(code);
  expect(typeof body.type).toBe('string');
  expect(typeof body.title).toBe('string');
  expect(typeof body.detail).toBe('string');
  expect(body.request_id).toBe(reply.headers['x-request-id']);
  return body;
}

describe("the gateway's own answers on proxy paths", () => {
  it('refuses traversal attempts with 400 before any instance sees them', async () => {
    const instance = await startInstance(echo('a'));
    const gw = await startGateway();
    await gw.register({
      service_name: 'svc',
      base_url: `${instance.url}/root`,
      health_check_url: `${instance.url}/health`,
    });
    const attempts = [
      '/proxy/svc/../secret',
      '/proxy/svc/a/../../secret',
      '/proxy/svc/%2e%2e/secret',
      '/proxy/svc/%2E%2E/secret',
      '/proxy/svc/.%2e/secret',
      '/proxy/svc/%2e%2E/x',
      '/proxy/svc/..%2fsecret',
      '/proxy/svc/..%2Fsecret',
      '/proxy/svc/..%5csecret',
      '/proxy/svc/..\\secret',
      '/proxy/svc/a%00b',
      '/proxy/svc/..;/secret',
      '/proxy/svc/%252e%252e/secret',
      '/proxy/svc/..',
    ];
    for (const path of attempts) {
      const reply = await send('GET', `${gw.url}${path}`);
      expectProblem(reply, 400, 'GW_ERR_PATH_TRAVERSAL');
    }
    expect(instance.hits).toBe(0);
    // A dot in a file name or in the query is fine.
    expect((await send('GET', `${gw.url}/proxy/svc/file.v2.json?next=../x`)).status).toBe(200);
  });

  it('answers 404 for a service nobody registered', async () => {
    const gw = await startGateway();
    const reply = await send('GET', `${gw.url}/proxy/nobody/x`, { headers: { 'x-request-id': 'my-id-1' } });
    const body = expectProblem(reply, 404, 'GW_ERR_SERVICE_NOT_FOUND');
    expect(body.request_id).toBe('my-id-1');
  });

  it('answers 405 with Allow for a method it does not proxy', async () => {
    const instance = await startInstance(echo('a'));
    const gw = await startGateway();
    await gw.register({ service_name: 'svc', base_url: instance.url });
    for (const method of ['TRACE', 'PROPFIND', 'LOCK']) {
      const reply = await send(method, `${gw.url}/proxy/svc/x`);
      expectProblem(reply, 405, 'GW_ERR_METHOD_NOT_ALLOWED');
      expect(reply.headers.allow).toBe('GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS');
    }
    expect(instance.hits).toBe(0);
  });

  it('answers 503 with Retry-After when no instance is routable, and sends an UNHEALTHY one nothing', async () => {
    const sick = await startInstance(echo('sick'), 500);
    const gw = await startGateway();
    await gw.register({ service_name: 'svc', base_url: sick.url, instance_id: 'sick' });
    await gw.waitStatus('svc', 'sick', 'UNHEALTHY');
    const reply = await send('GET', `${gw.url}/proxy/svc/x`);
    expectProblem(reply, 503, 'GW_ERR_NO_HEALTHY_INSTANCE');
    expect(Number(reply.headers['retry-after'])).toBeGreaterThan(0);

    const well = await startInstance(echo('well'));
    await gw.register({ service_name: 'svc', base_url: well.url, instance_id: 'well' });
    await gw.waitStatus('svc', 'well', 'HEALTHY');
    for (let i = 0; i < 10; i++)
      expect((await send('GET', `${gw.url}/proxy/svc/x`)).json().name).toBe('well');
    expect(sick.hits).toBe(0);
  });

  it('answers 502 when every attempt fails, with the request id it echoed', async () => {
    const broken = await startInstance((req) => req.socket.destroy());
    const gw = await startGateway();
    await gw.register({ service_name: 'svc', base_url: broken.url });
    const reply = await send('GET', `${gw.url}/proxy/svc/x`, { headers: { 'x-request-id': 'abc-502' } });
    const body = expectProblem(reply, 502, 'GW_ERR_UPSTREAM_FAILED');
    expect(body.request_id).toBe('abc-502');
    expect(broken.hits).toBe(3); // a reset GET is retried PROXY_RETRIES (2) times
  });

  it('answers 504 when the instance does not answer within PROXY_TIMEOUT_MS, without retrying', async () => {
    const silent = await startInstance(() => {});
    const gw = await startGateway({ proxyTimeoutMs: 300 });
    await gw.register({ service_name: 'svc', base_url: silent.url });
    const started = Date.now();
    const reply = await send('GET', `${gw.url}/proxy/svc/x`);
    expectProblem(reply, 504, 'GW_ERR_UPSTREAM_TIMEOUT');
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(silent.hits).toBe(1);
  });

  it('cuts the client connection when the instance fails after the response began', async () => {
    const half = await startInstance((_req, res) => {
      res.writeHead(200, { 'content-length': '1000' });
      res.write('partial');
      setTimeout(() => res.socket?.destroy(), 50);
    });
    const gw = await startGateway();
    await gw.register({ service_name: 'svc', base_url: half.url });
    await expect(send('GET', `${gw.url}/proxy/svc/x`)).rejects.toThrow();
  });

  it('leaves other paths to the admin app', async () => {
    const gw = await startGateway();
    expect((await send('GET', `${gw.url}/health`)).status).toBe(200);
    expect((await send('GET', `${gw.url}/api/discovery/services`)).status).toBe(200);
  });
});
