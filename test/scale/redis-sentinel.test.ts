/**
 * REDIS_URL=redis+sentinel://…: real gateways that find their master through a real Sentinel (a
 * master, a replica and one Sentinel, child processes of this test on free ports), and follow it
 * through a failover.
 */
import { describe, expect, it } from 'vitest';
import { registryKeys } from '../../src/registry/index.js';
import { waitFor } from '../helpers/wait-for.js';
import { call, type ObservedGateway, useRedisTopology, waitForOk } from './helpers.js';
import { hasRedisServer, redisCli, startRedisSentinel } from './redis-servers.js';

describe.skipIf(!hasRedisServer)('gateways behind Redis Sentinel (redis+sentinel://)', () => {
  const fixture = useRedisTopology(startRedisSentinel);

  const register = (g: ObservedGateway, name: string, url: string) =>
    call(`${g.url}/api/discovery/services`, { method: 'POST', body: { service_name: name, base_url: url } });

  it('registers on A through the master that Sentinel names, and B routes to it; a failover is followed', async () => {
    const { sentinel, master, replica } = fixture.topology;
    const [a, b] = (await fixture.gateways(2)) as [ObservedGateway, ObservedGateway];
    const hash = registryKeys(a.gateway.config.redisKeyPrefix).instances;
    const svc = await fixture.instance('orders-1');
    const masterPort = async () =>
      Number(
        (await redisCli(sentinel.port, 'sentinel', 'get-master-addr-by-name', 'mymaster')).split('\n')[1],
      );

    expect((await register(a, 'orders', svc.url)).status).toBe(201);
    await waitForOk(`${b.url}/proxy/orders/x`, 1_000, 'B to route');
    expect(await redisCli(master.port, 'hlen', hash)).toBe('1\n');

    // Sentinel promotes the replica; the gateways reconnect to it and go on writing.
    expect(await redisCli(sentinel.port, 'sentinel', 'failover', 'mymaster')).toBe('OK\n');
    await waitFor(async () => (await masterPort()) === replica.port, 10_000, 'the replica to be master', 100);
    // A write acknowledged by the old master just before the switch may be lost (asynchronous
    // replication); the gateways follow the new master, where writes then stay.
    await waitFor(
      async () => {
        const res = await register(a, 'users', svc.url);
        return res.status < 300 && (await redisCli(replica.port, 'hlen', hash)) === '2\n';
      },
      10_000,
      'a write on A to reach the new master',
      200,
    );
    await waitFor(() => b.gateway.registry.instancesOf('users').length === 1, 2_000, 'B to see it');
    await waitForOk(`${b.url}/proxy/users/x`, 2_000, 'B to route users');
    expect(b.gateway.registry.instancesOf('orders')).toHaveLength(1);
  }, 30_000);
});
