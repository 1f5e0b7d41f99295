import type { Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { closeAll, echo, send, startGateway, startInstance, waitFor } from './harness.js';

afterEach(closeAll);

describe('pools, balancing and metrics through the gateway', () => {
  it('keeps one warm connection per instance, replaces it when base_url changes, closes it on removal', async () => {
    const proxySockets = new Set<Socket>();
    const firstEcho = echo('first');
    const first = await startInstance((req, res) => {
      proxySockets.add(req.socket);
      firstEcho(req, res);
    });
    const second = await startInstance(echo('second'));
    const gw = await startGateway();
    await gw.register({ service_name: 'svc', base_url: first.url, instance_id: 'i1' });
    for (let i = 0; i < 5; i++)
      expect((await send('GET', `${gw.url}/proxy/svc/x`)).json().name).toBe('first');
    expect(proxySockets.size).toBe(1); // sequential requests reuse one kept-alive connection
    await gw.register({ service_name: 'svc', base_url: second.url, instance_id: 'i1' });
    expect((await send('GET', `${gw.url}/proxy/svc/x`)).json().name).toBe('second');
    await waitFor(() => [...proxySockets].every((s) => s.destroyed), 2_000, 'the old pool to close');
    await gw.gateway.registry.deregisterInstance('svc', 'i1');
    expect((await send('GET', `${gw.url}/proxy/svc/x`)).status).toBe(404);
  });

  it('splits traffic 3:1 by weight, exactly', async () => {
    const heavy = await startInstance(echo('heavy'));
    const light = await startInstance(echo('light'));
    const gw = await startGateway();
    await gw.register({ service_name: 'svc', base_url: heavy.url, instance_id: 'heavy', weight: 3 });
    await gw.register({ service_name: 'svc', base_url: light.url, instance_id: 'light', weight: 1 });
    await gw.waitStatus('svc', 'heavy', 'HEALTHY');
    await gw.waitStatus('svc', 'light', 'HEALTHY');
    const names: string[] = [];
    for (let i = 0; i < 40; i++)
      names.push((await send('GET', `${gw.url}/proxy/svc/x`)).json().name as string);
    expect(names.filter((n) => n === 'heavy')).toHaveLength(30);
    expect(names.filter((n) => n === 'light')).toHaveLength(10);
  });

  it('keeps a sticky key on one instance (hash on a header, chosen by metadata)', async () => {
    const instances = await Promise.all(['a', 'b', 'c'].map((n) => startInstance(echo(n))));
    const gw = await startGateway();
    for (const [i, instance] of instances.entries()) {
      await gw.register({
        service_name: 'svc',
        base_url: instance.url,
        metadata: { lb: 'hash', hash_on: 'header:X-User' },
        instance_id: `i${i}`,
      });
    }
    for (const user of ['alice', 'bob', 'carol']) {
      const owners = new Set<string>();
      for (let i = 0; i < 5; i++) {
        owners.add(
          (await send('GET', `${gw.url}/proxy/svc/x`, { headers: { 'x-user': user } })).json().name as string,
        );
      }
      expect(owners.size).toBe(1);
    }
  });

  it('counts each proxied request once, by service, method and status', async () => {
    const instance = await startInstance(echo('a'));
    const gw = await startGateway();
    await gw.register({ service_name: 'svc', base_url: instance.url });
    await send('GET', `${gw.url}/proxy/svc/x`);
    await send('POST', `${gw.url}/proxy/svc/x`, { body: 'hi' });
    await send('GET', `${gw.url}/proxy/nobody/x`);
    const count = async (service: string, method: string, status: string) =>
      (await gw.gateway.metrics.requestsTotal.get()).values.find(
        (v) => v.labels.service === service && v.labels.method === method && v.labels.status === status,
      )?.value;
    // Counted when the response closes, which may trail the client reading it by a tick.
    const deadline = Date.now() + 2_000;
    while ((await count('', 'GET', '404')) === undefined && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 10));
    expect(await count('svc', 'GET', '200')).toBe(1);
    expect(await count('svc', 'POST', '200')).toBe(1);
    expect(await count('', 'GET', '404')).toBe(1);
  });
});
