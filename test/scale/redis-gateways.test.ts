import { afterEach, describe, expect, it } from 'vitest';
import type { GatewayEvent } from '../../src/events.js';
import { registryKeys } from '../../src/registry/index.js';
import { waitFor } from '../helpers/wait-for.js';
import {
  call,
  type Instance,
  type ObservedGateway,
  type RedisGateways,
  startInstance,
  startRedisGateways,
} from './helpers.js';
import { type CuttableProxy, redisClient, startCuttableProxy } from './redis-helpers.js';

type Pair = [ObservedGateway, ObservedGateway];

describe('gateways sharing REGISTRY_STORE=redis', () => {
  let cluster: RedisGateways | null = null;
  const instances: Instance[] = [];
  afterEach(async () => {
    await cluster?.close();
    cluster = null;
    await Promise.all(instances.splice(0).map((i) => i.close()));
  });

  async function instance(name: string): Promise<Instance> {
    const started = await startInstance(name);
    instances.push(started);
    return started;
  }

  it('a registration on A is routable on B within 1 s; a deregistration on B stops A at once', async () => {
    cluster = await startRedisGateways(2);
    const [a, b] = cluster.gateways as Pair;
    const svc = await instance('orders-1');
    const registered = await call(`${a.url}/api/discovery/services`, {
      method: 'POST',
      body: { service_name: 'orders', base_url: svc.url, instance_id: 'o-1' },
    });
    expect(registered.status).toBe(201);
    const t0 = Date.now();
    const listed = await waitFor(
      async () => {
        const res = await call(`${b.url}/api/discovery/services/orders`);
        return res.status === 200 ? res : null;
      },
      1_000,
      'B to see the registration',
    );
    expect(Date.now() - t0).toBeLessThan(1_000);
    expect((listed.body.instances as { instance_id: string }[]).map((i) => i.instance_id)).toEqual(['o-1']);
    const proxied = await waitFor(
      async () => {
        const res = await call(`${b.url}/proxy/orders/items?x=1`);
        return res.status === 200 ? res : null;
      },
      1_000,
      'B to proxy to the instance',
    );
    expect(proxied.body).toEqual({ name: 'orders-1', path: '/items?x=1' });

    expect(
      (await call(`${b.url}/api/discovery/services/orders/instances/o-1`, { method: 'DELETE' })).status,
    ).toBe(200);
    await waitFor(() => a.gateway.registry.instancesOf('orders').length === 0, 500, 'A to drop the instance');
    expect((await call(`${a.url}/proxy/orders/items`)).status).toBe(404);
  });

  it('each gateway emits one event per change, its own writes included', async () => {
    cluster = await startRedisGateways(2);
    const [a, b] = cluster.gateways as Pair;
    const svc = await instance('users-1');
    const body = { service_name: 'users', base_url: svc.url, instance_id: 'u-1', ttl_seconds: 60 };
    expect((await call(`${a.url}/api/discovery/services`, { method: 'POST', body })).status).toBe(201);
    expect(
      (await call(`${a.url}/api/discovery/services`, { method: 'POST', body: { ...body, weight: 3 } }))
        .status,
    ).toBe(200);
    expect(
      (await call(`${b.url}/api/discovery/services/users/instances/u-1/heartbeat`, { method: 'PUT' })).status,
    ).toBe(200);
    expect((await call(`${b.url}/api/discovery/services/users`, { method: 'DELETE' })).status).toBe(200);
    const membership = (events: { type: string }[]) =>
      events
        .filter((e) => e.type !== 'status_changed')
        .map((e) => e.type + ('created' in e ? `:${e.created}` : ''));
    const expected = ['registered:true', 'registered:false', 'deregistered'];
    await waitFor(
      () => membership(a.events).length === 3 && membership(b.events).length === 3,
      1_000,
      'events',
    );
    await new Promise((resolve) => setTimeout(resolve, 100)); // no late duplicates
    expect(membership(a.events)).toEqual(expected);
    expect(membership(b.events)).toEqual(expected);
    expect(a.gateway.registry.size).toEqual({ services: 0, instances: 0 });
  });

  it('a lease expires once for the whole cluster, and every gateway announces it', async () => {
    cluster = await startRedisGateways(3);
    const [a] = cluster.gateways;
    const svc = await instance('carts-1');
    const watcher = redisClient();
    const published: string[] = [];
    try {
      await watcher.subscribe(registryKeys(cluster.prefix).channel);
      watcher.on('message', (_channel: string, message: string) => published.push(message));
      const res = await call(`${a!.url}/api/discovery/services`, {
        method: 'POST',
        body: { service_name: 'carts', base_url: svc.url, instance_id: 'c-1', ttl_seconds: 5 },
      });
      expect(res.status).toBe(201);
      const leaseMs = Date.parse((res.body.instances as { lease_expires_at: string }[])[0]!.lease_expires_at);
      const expiredOn = (g: ObservedGateway) => g.events.filter((e: GatewayEvent) => e.type === 'expired');
      await waitFor(
        () => cluster!.gateways.every((g) => expiredOn(g).length === 1),
        8_000,
        'expired everywhere',
      );
      for (const g of cluster.gateways) {
        const at = Date.parse(expiredOn(g)[0]!.timestamp);
        expect(at - leaseMs).toBeGreaterThanOrEqual(0);
        expect(at - leaseMs).toBeLessThan(1_000);
        expect(g.gateway.registry.instancesOf('carts')).toEqual([]);
      }
      await new Promise((resolve) => setTimeout(resolve, 200));
      expect(published.filter((m) => m.startsWith('{"type":"expired"'))).toHaveLength(1);
    } finally {
      watcher.disconnect();
    }
  }, 15_000);

  describe('Redis unreachable for one gateway', () => {
    let cut: CuttableProxy | null = null;
    afterEach(async () => {
      await cut?.close();
      cut = null;
    });

    it('keeps routing, reports not ready, refuses writes with 503, and catches up when Redis returns', async () => {
      cut = await startCuttableProxy();
      cluster = await startRedisGateways(1);
      const [b] = cluster.gateways;
      const a = await cluster.add({ redisUrl: cut.url });
      const svc = await instance('orders-1');
      const register = (g: ObservedGateway, name: string, url: string) =>
        call(`${g.url}/api/discovery/services`, {
          method: 'POST',
          body: { service_name: name, base_url: url },
        });
      expect((await register(b!, 'orders', svc.url)).status).toBe(201);
      await waitFor(() => a.gateway.registry.instancesOf('orders').length === 1, 1_000, 'A to see orders');

      cut.cut();
      await waitFor(async () => (await call(`${a.url}/ready`)).status === 503, 2_000, 'A not ready');
      expect((await call(`${a.url}/api/discovery/health`)).body.status).toBe('degraded');
      expect((await call(`${a.url}/proxy/orders/ping`)).status).toBe(200);
      const started = Date.now();
      const refused = await register(a, 'users', svc.url);
      expect(refused.status).toBe(503);
      expect(refused.body.code ?? refused.body.type).toMatch(/STORE_UNAVAILABLE|store-unavailable/);
      expect(Date.now() - started).toBeLessThan(1_000);
      // Meanwhile the others go on: B registers a service A cannot hear about yet.
      expect((await register(b!, 'products', svc.url)).status).toBe(201);
      expect(a.gateway.registry.instancesOf('products')).toEqual([]);

      cut.restore();
      await waitFor(async () => (await call(`${a.url}/ready`)).status === 200, 5_000, 'A ready again');
      expect(a.gateway.registry.instancesOf('products')).toHaveLength(1);
      expect(a.events.some((e) => e.type === 'registered' && e.service_name === 'products')).toBe(true);
      expect(b!.gateway.registry.instancesOf('users')).toEqual([]); // the refused write was not stored
      expect((await register(a, 'users', svc.url)).status).toBe(201);
      await waitFor(() => b!.gateway.registry.instancesOf('users').length === 1, 1_000, 'B to see users');
    });
  });
});
