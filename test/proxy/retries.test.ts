import { randomBytes } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { closeAll, echo, refusedUrl, send, sha256, startGateway, startInstance } from './harness.js';

afterEach(closeAll);

/** Reads the whole request body, then resets the connection instead of answering. */
function resetAfterBody(req: IncomingMessage): void {
  req.resume();
  req.on('end', () => req.socket.destroy());
}

async function retriesCounted(gw: Awaited<ReturnType<typeof startGateway>>): Promise<number> {
  const metric = await gw.gateway.metrics.retriesTotal.get();
  return metric.values.reduce((sum, v) => sum + v.value, 0);
}

describe('retries on another instance (SPEC section 5)', () => {
  it('retries a refused connection on the other instance, whatever the method', async () => {
    const good = await startInstance(echo('good'));
    const gw = await startGateway();
    // The refusing instance passes its health check (pointed at a live server), so it stays routable.
    const refused = await refusedUrl();
    await gw.register({
      service_name: 'svc',
      base_url: refused,
      instance_id: 'refusing',
      health_check_url: `${good.url}/health`,
      weight: 1000,
    });
    await gw.register({ service_name: 'svc', base_url: good.url, instance_id: 'good' });
    await gw.waitStatus('svc', 'refusing', 'HEALTHY');
    await gw.waitStatus('svc', 'good', 'HEALTHY');
    const body = randomBytes(100_000);
    const reply = await send('POST', `${gw.url}/proxy/svc/x`, { body });
    expect(reply.status).toBe(200);
    expect(reply.json().sha256).toBe(sha256(body));
    expect(good.hits).toBe(1);
    expect(await retriesCounted(gw)).toBe(1);
  });

  it('does not replay a POST without Idempotency-Key once it was sent', async () => {
    const resetting = await startInstance(resetAfterBody);
    const other = await startInstance(echo('other'));
    const gw = await startGateway();
    await gw.register({ service_name: 'svc', base_url: resetting.url, weight: 1000 });
    await gw.register({ service_name: 'svc', base_url: other.url });
    const reply = await send('POST', `${gw.url}/proxy/svc/orders`, { body: '{"item":1}' });
    expect(reply.status).toBe(502);
    expect(resetting.hits).toBe(1);
    expect(other.hits).toBe(0);
  });

  it('does not replay a POST alone on its instance either: exactly one attempt', async () => {
    const resetting = await startInstance(resetAfterBody);
    const gw = await startGateway();
    await gw.register({ service_name: 'svc', base_url: resetting.url });
    const reply = await send('POST', `${gw.url}/proxy/svc/orders`, { body: '{"item":1}' });
    expect(reply.status).toBe(502);
    expect(resetting.hits).toBe(1);
  });

  it('replays a POST with Idempotency-Key to the other instance, body included', async () => {
    const resetting = await startInstance(resetAfterBody);
    const other = await startInstance(echo('other'));
    const gw = await startGateway();
    await gw.register({
      service_name: 'svc',
      base_url: resetting.url,
      instance_id: 'resetting',
      weight: 1000,
    });
    await gw.register({ service_name: 'svc', base_url: other.url, instance_id: 'other' });
    // Both routable alike, so the replay has another instance to go to.
    await gw.waitStatus('svc', 'resetting', 'HEALTHY');
    await gw.waitStatus('svc', 'other', 'HEALTHY');
    const body = randomBytes(60_000);
    const reply = await send('POST', `${gw.url}/proxy/svc/orders`, {
      body,
      headers: { 'idempotency-key': 'order-7', 'content-type': 'application/octet-stream' },
    });
    expect(reply.status).toBe(200);
    expect(reply.json().sha256).toBe(sha256(body));
    expect(resetting.hits).toBe(1);
    expect(other.hits).toBe(1);
  });

  it('does not replay an Idempotency-Key body larger than the replay buffer', async () => {
    const resetting = await startInstance(resetAfterBody);
    const other = await startInstance(echo('other'));
    const gw = await startGateway();
    await gw.register({ service_name: 'svc', base_url: resetting.url, weight: 1000 });
    await gw.register({ service_name: 'svc', base_url: other.url });
    const reply = await send('PATCH', `${gw.url}/proxy/svc/orders`, {
      body: randomBytes(200_000),
      headers: { 'idempotency-key': 'order-8' },
    });
    expect(reply.status).toBe(502);
    expect(other.hits).toBe(0);
  });

  it('retries a reset GET, never on the same instance while another exists', async () => {
    const a = await startInstance((req) => req.socket.destroy());
    const b = await startInstance((req) => req.socket.destroy());
    const c = await startInstance(echo('c'));
    const gw = await startGateway();
    await gw.register({ service_name: 'svc', base_url: a.url, instance_id: 'a', weight: 1000 });
    await gw.register({ service_name: 'svc', base_url: b.url, instance_id: 'b', weight: 500 });
    await gw.register({ service_name: 'svc', base_url: c.url, instance_id: 'c' });
    // All three routable alike: were c still UNKNOWN while a and b passed their checks, only a and b
    // would be candidates (SPEC section 5) and the third attempt would go back to a.
    for (const id of ['a', 'b', 'c']) await gw.waitStatus('svc', id, 'HEALTHY');
    const reply = await send('GET', `${gw.url}/proxy/svc/x`);
    expect(reply.status).toBe(200);
    expect([a.hits, b.hits, c.hits]).toEqual([1, 1, 1]);
    expect(await retriesCounted(gw)).toBe(2);
  });

  it('makes at most PROXY_RETRIES extra attempts', async () => {
    const a = await startInstance((req) => req.socket.destroy());
    const b = await startInstance((req) => req.socket.destroy());
    const gw = await startGateway({ proxyRetries: 1 });
    await gw.register({ service_name: 'svc', base_url: a.url });
    await gw.register({ service_name: 'svc', base_url: b.url });
    const reply = await send('DELETE', `${gw.url}/proxy/svc/x`);
    expect(reply.status).toBe(502);
    expect(a.hits + b.hits).toBe(2);
  });

  it('reports each attempt to passive health', async () => {
    const resetting = await startInstance((req) => req.socket.destroy());
    const good = await startInstance(echo('good'));
    const gw = await startGateway();
    await gw.register({ service_name: 'svc', base_url: resetting.url, instance_id: 'bad', weight: 1000 });
    await gw.register({ service_name: 'svc', base_url: good.url, instance_id: 'good' });
    await gw.waitStatus('svc', 'bad', 'HEALTHY');
    await gw.waitStatus('svc', 'good', 'HEALTHY');
    for (let i = 0; i < 3; i++) expect((await send('GET', `${gw.url}/proxy/svc/x`)).status).toBe(200);
    // Three consecutive passive failures (PASSIVE_FAILURE_THRESHOLD) eject the instance.
    expect(gw.gateway.health.healthOf('svc', 'bad').status).toBe('UNHEALTHY');
  });
});
