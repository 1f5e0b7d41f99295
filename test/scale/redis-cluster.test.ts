/**
 * REDIS_URL=redis+cluster://…: real gateways on a real 3-master Redis Cluster (child processes of
 * this test, on free ports, no persistence). Registrations, lease expiry, shared health checks and
 * rate-limit counters must all work when keys live on different nodes and pub/sub crosses nodes.
 */
import { describe, expect, it } from 'vitest';
import { createRedisRateLimitStore } from '../../src/security/index.js';
import { waitFor } from '../helpers/wait-for.js';
import { call, type ObservedGateway, useRedisTopology, waitForOk } from './helpers.js';
import { uniquePrefix } from './redis-helpers.js';
import { hasRedisServer, redisCli, startRedisCluster } from './redis-servers.js';

describe.skipIf(!hasRedisServer)('gateways on a Redis Cluster (redis+cluster://)', () => {
  const fixture = useRedisTopology(() => startRedisCluster(3));

  async function pair(): Promise<[ObservedGateway, ObservedGateway]> {
    const started = await fixture.gateways(2, {
      healthCheckIntervalMs: 300,
      healthCheckTimeoutMs: 200,
      unhealthyThreshold: 1,
    });
    return started as [ObservedGateway, ObservedGateway];
  }

  const register = (g: ObservedGateway, body: Record<string, unknown>) =>
    call(`${g.url}/api/discovery/services`, { method: 'POST', body });

  it('keeps each key group (registry, health) in one hash slot', async () => {
    const port = fixture.topology.nodes[0]!.port;
    const slots = async (group: string, names: string[]) => {
      const prefix = uniquePrefix();
      const all = await Promise.all(
        names.map((n) => redisCli(port, 'cluster', 'keyslot', `${prefix}{${group}}:${n}`)),
      );
      return new Set(all).size;
    };
    expect(await slots('registry', ['instances', 'leases', 'changes'])).toBe(1);
    expect(await slots('health', ['results', 'passive', 'state:x', 'claim:x'])).toBe(1);
  });

  it('a registration on A is routable through B within 1 s; a deregistration on B reaches A', async () => {
    const [a, b] = await pair();
    const svc = await fixture.instance('orders-1');
    expect(
      (await register(a, { service_name: 'orders', base_url: svc.url, instance_id: 'o-1' })).status,
    ).toBe(201);
    const t0 = Date.now();
    const proxied = await waitForOk(`${b.url}/proxy/orders/items`, 1_000, 'B to proxy to the instance');
    expect(Date.now() - t0).toBeLessThan(1_000);
    expect(proxied.body).toEqual({ name: 'orders-1', path: '/items' });

    const removed = await call(`${b.url}/api/discovery/services/orders/instances/o-1`, { method: 'DELETE' });
    expect(removed.status).toBe(200);
    await waitFor(
      () => a.gateway.registry.instancesOf('orders').length === 0,
      1_000,
      'A to drop the instance',
    );
    expect(a.events.filter((e) => e.type !== 'status_changed').map((e) => e.type)).toEqual([
      'registered',
      'deregistered',
    ]);
  });

  it('a lease expires once, and both gateways announce it within 1 s', async () => {
    const [a, b] = await pair();
    const svc = await fixture.instance('carts-1');
    const res = await register(a, {
      service_name: 'carts',
      base_url: svc.url,
      instance_id: 'c-1',
      ttl_seconds: 5,
    });
    expect(res.status).toBe(201);
    const leaseMs = Date.parse((res.body.instances as { lease_expires_at: string }[])[0]!.lease_expires_at);
    const expiredOn = (g: ObservedGateway) => g.events.filter((e) => e.type === 'expired');
    await waitFor(() => expiredOn(a).length === 1 && expiredOn(b).length === 1, 8_000, 'expired on both');
    for (const g of [a, b]) {
      const at = Date.parse(expiredOn(g)[0]!.timestamp);
      expect(at - leaseMs).toBeGreaterThanOrEqual(0);
      expect(at - leaseMs).toBeLessThan(1_000);
      expect(g.gateway.registry.instancesOf('carts')).toEqual([]);
    }
  }, 15_000);

  it('shares health checks: both gateways adopt the same results', async () => {
    const [a, b] = await pair();
    const svc = await fixture.instance('users-1');
    expect((await register(a, { service_name: 'users', base_url: svc.url, instance_id: 'u-1' })).status).toBe(
      201,
    );
    const healthOf = (g: ObservedGateway) => g.gateway.health.healthOf('users', 'u-1');
    await waitFor(
      () => healthOf(a).status === 'HEALTHY' && healthOf(b).status === 'HEALTHY',
      2_000,
      'HEALTHY',
    );

    svc.healthStatus = 500;
    await waitFor(
      () => [a, b].every((g) => healthOf(g).last_error === 'health check returned 500'),
      2_000,
      'both gateways to see the failed check',
    );
    expect(healthOf(a).status).toBe('UNHEALTHY');
    expect(healthOf(b).status).toBe('UNHEALTHY');
    // One check, shared: the same result (same time) on both, not two checks of their own.
    await waitFor(
      () => healthOf(a).last_check_at === healthOf(b).last_check_at,
      1_000,
      'the same last check',
    );
    const hitsBefore = svc.healthHits;
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    // Unshared, two gateways would check about 10 times in 1.5 s (every 300 ms each).
    expect(svc.healthHits - hitsBefore).toBeLessThanOrEqual(8);
  });

  it('rate-limit counters are one budget across gateways', async () => {
    const prefix = uniquePrefix();
    const url = fixture.topology.url;
    const stores = [0, 1].map(() =>
      createRedisRateLimitStore({ url, prefix, failOpen: false, commandTimeoutMs: 2_000 }),
    );
    try {
      const verdicts = [];
      for (let i = 0; i < 4; i++) verdicts.push(await stores[i % 2]!.hit('client-1', 3, 60_000));
      expect(verdicts.map((v) => [v.allowed, v.remaining, v.unavailable ?? false])).toEqual([
        [true, 2, false],
        [true, 1, false],
        [true, 0, false],
        [false, 0, false],
      ]);
    } finally {
      await Promise.all(stores.map((s) => s.close()));
    }
  });
});
