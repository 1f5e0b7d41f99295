import { afterEach, describe, expect, it } from 'vitest';
import {
  createRedisStore,
  parseRedisUrl,
  type RedisStore,
  registryKeys,
  type StoreChange,
} from '../../src/registry/index.js';
import { waitFor } from '../health/helpers.js';
import { deletePrefix, REDIS_URL, redisClient, uniquePrefix } from '../scale/redis-helpers.js';
import { registration } from './fixtures.js';
import { describeStoreContract } from './store-contract.js';

describeStoreContract('redis', () => {
  const prefix = uniquePrefix();
  const store = createRedisStore({ url: REDIS_URL, prefix });
  return {
    store,
    async dispose() {
      await store.close();
      await deletePrefix(prefix);
    },
  };
});

describe('redis store: shared by several gateways', () => {
  const opened: { store: RedisStore; prefix: string }[] = [];
  function open(prefix = uniquePrefix()): RedisStore {
    const store = createRedisStore({ url: REDIS_URL, prefix });
    opened.push({ store, prefix });
    return store;
  }
  afterEach(async () => {
    for (const { store, prefix } of opened.splice(0)) {
      await store.close();
      await deletePrefix(prefix);
    }
  });

  function collect(store: RedisStore): StoreChange[] {
    const changes: StoreChange[] = [];
    store.subscribe?.((c) => changes.push(c));
    return changes;
  }

  it("publishes every write to every subscriber, in Redis' order", async () => {
    const a = open();
    const b = open(a.prefix);
    const seen = collect(b);
    await b.load(); // subscribed
    const leased = registration({
      instance_id: 'i-2',
      ttl_seconds: 30,
      lease_expires_at: '2024-05-01T10:00:30.000Z',
    });
    await a.put(registration());
    await a.put(leased);
    await a.renewLease('user-service', 'i-2', '2024-05-01T10:01:00.000Z');
    await a.remove('user-service', 'i-1');
    await a.removeService('user-service');
    await waitFor(() => seen.length === 5, 2_000, 'five changes');
    expect(seen).toEqual([
      { type: 'put', registration: registration() },
      { type: 'put', registration: leased },
      { type: 'put', registration: { ...leased, lease_expires_at: '2024-05-01T10:01:00.000Z' } },
      { type: 'remove', service_name: 'user-service', instance_id: 'i-1' },
      { type: 'remove', service_name: 'user-service', instance_id: 'i-2' },
    ]);
  });

  it('expires a lease once, whoever asks, and announces it once', async () => {
    const a = open();
    const b = open(a.prefix);
    const seen = collect(a);
    await a.load();
    await a.put(registration({ ttl_seconds: 5, lease_expires_at: '2024-05-01T10:00:05.000Z' }));
    await a.put(
      registration({ instance_id: 'keep', ttl_seconds: 5, lease_expires_at: '2024-05-01T10:00:09.000Z' }),
    );
    const now = Date.parse('2024-05-01T10:00:06.000Z');
    const [first, second] = await Promise.all([a.expireLeases!(now), b.expireLeases!(now)]);
    expect([...first!, ...second!]).toEqual([{ service_name: 'user-service', instance_id: 'i-1' }]);
    await waitFor(() => seen.filter((c) => c.type === 'expired').length === 1, 2_000, 'the expired change');
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(seen.filter((c) => c.type === 'expired')).toHaveLength(1);
    expect((await b.load()).map((r) => r.instance_id)).toEqual(['keep']);
  });

  it('keeps its keys under the prefix, in one hash tag', async () => {
    const store = open();
    await store.put(registration({ ttl_seconds: 5, lease_expires_at: '2024-05-01T10:00:05.000Z' }));
    const client = redisClient();
    try {
      const keys = (await client.keys(`${store.prefix}*`)).sort();
      const expected = registryKeys(store.prefix);
      expect(keys).toEqual([expected.instances, expected.leases].sort());
    } finally {
      client.disconnect();
    }
  });
});

describe('REDIS_URL forms', () => {
  it.each([
    ['redis://127.0.0.1:6379', { host: '127.0.0.1', port: 6379 }],
    ['redis://:s3cret@redis.internal/2', { host: 'redis.internal', port: 6379, password: 's3cret', db: 2 }],
    ['redis://app:pw@[::1]:6380', { host: '::1', port: 6380, username: 'app', password: 'pw' }],
    [
      'rediss://cache.example.com:6380',
      { host: 'cache.example.com', port: 6380, tls: { servername: 'cache.example.com' } },
    ],
  ])('one server: %s', (url, expected) => {
    expect(parseRedisUrl(url)).toEqual({ kind: 'standalone', options: expected });
  });

  it.each([
    [
      'redis+sentinel://:pw@s1:26379,s2,10.0.0.3:26380/mymaster/1?sentinel_password=sp',
      {
        sentinels: [
          { host: 's1', port: 26379 },
          { host: 's2', port: 26379 },
          { host: '10.0.0.3', port: 26380 },
        ],
        name: 'mymaster',
        password: 'pw',
        db: 1,
        sentinelPassword: 'sp',
      },
    ],
    [
      'redis-sentinel://app:p%40ss@[fd00::1]:26379/my%20master?sentinel_username=s&sentinel_password=x',
      {
        sentinels: [{ host: 'fd00::1', port: 26379 }],
        name: 'my master',
        username: 'app',
        password: 'p@ss',
        sentinelUsername: 's',
        sentinelPassword: 'x',
      },
    ],
  ])('Sentinel: %s', (url, expected) => {
    expect(parseRedisUrl(url)).toEqual({ kind: 'sentinel', options: expected });
  });

  it.each([
    [
      'redis+cluster://10.0.0.1:7000,10.0.0.2:7001,redis-c',
      [
        { host: '10.0.0.1', port: 7000 },
        { host: '10.0.0.2', port: 7001 },
        { host: 'redis-c', port: 6379 },
      ],
      {},
    ],
    ['redis-cluster://:pw@h1:7000/', [{ host: 'h1', port: 7000 }], { password: 'pw' }],
    [
      'rediss+cluster://u:pw@h1:7000',
      [{ host: 'h1', port: 7000 }],
      { username: 'u', password: 'pw', tls: {} },
    ],
  ])('Cluster: %s', (url, nodes, options) => {
    expect(parseRedisUrl(url)).toEqual({ kind: 'cluster', nodes, options });
  });

  it.each([
    ['http://x', /must use redis:\/\/, rediss:\/\/, redis\+sentinel:\/\/, redis\+cluster:\/\//],
    ['127.0.0.1:6379', /must be a URL/],
    ['redis+sentinel://s1:26379', /must look like redis\+sentinel:\/\/host:26379/],
    ['redis+sentinel://s1/m?db=0', /unknown parameter "db"/],
    ['redis://h/x', /invalid database number "x"/],
    ['redis+cluster://h1:7000,h2:7001/1', /takes no database number/],
    ['redis+cluster://h1:99999', /invalid (host|port)/],
    ['redis+cluster://:pw@', /names no host/],
    ['redis+cluster://h1:7000,,h2', /invalid host ""/],
  ])('refuses %s with one line naming REDIS_URL', (url, message) => {
    expect(() => parseRedisUrl(url)).toThrow(/^REDIS_URL /);
    expect(() => parseRedisUrl(url)).toThrow(message);
  });

  it('never shows the password in its message', () => {
    expect(() => parseRedisUrl('redis+cluster://u:hunter2@h1:7000/3')).toThrow(/u:\*\*\*@/);
    expect(() => parseRedisUrl('redis+cluster://u:hunter2@h1:7000/3')).not.toThrow(/hunter2/);
  });
});
