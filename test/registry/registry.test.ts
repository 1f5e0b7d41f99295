import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { deriveInstanceId } from '../../src/registry/index.js';
import { gatewayErrorOf, memoryHarness } from './fixtures.js';

const T0 = Date.parse('2024-05-01T10:00:00.000Z');
const user = { service_name: 'user-service', base_url: 'http://127.0.0.1:8001' };

describe('registry: register', () => {
  let t: ReturnType<typeof memoryHarness>;
  beforeEach(async () => {
    t = memoryHarness(T0);
    await t.registry.start();
  });
  afterEach(() => t.registry.close());

  it('adds a new instance with defaults, and announces it as created', async () => {
    const result = await t.registry.register(user);
    expect(result.created).toBe(true);
    expect(result.previous).toBeNull();
    expect(result.instance).toMatchObject({
      ...user,
      instance_id: deriveInstanceId(user.base_url),
      health_check_url: 'http://127.0.0.1:8001/health',
      metadata: {},
      weight: 1,
      registered_at: '2024-05-01T10:00:00.000Z',
      updated_at: '2024-05-01T10:00:00.000Z',
      ttl_seconds: null,
      lease_expires_at: null,
    });
    expect(t.registry.instancesOf('user-service')).toEqual([result.instance]);
    expect(t.seen).toEqual([
      {
        type: 'registered',
        created: true,
        service_name: 'user-service',
        instance_id: result.instance.instance_id,
        timestamp: '2024-05-01T10:00:00.000Z',
      },
    ]);
    expect(await t.control.store.load()).toEqual([result.instance]);
  });

  it('updates the instance registered again with the same base_url (any spelling)', async () => {
    const first = await t.registry.register(user);
    t.clock.advance(60_000);
    const again = await t.registry.register({ ...user, base_url: 'HTTP://127.0.0.1:8001/', weight: 3 });
    expect(again.created).toBe(false);
    expect(again.previous).toEqual(first.instance);
    expect(again.instance.registered_at).toBe(first.instance.registered_at);
    expect(again.instance.updated_at).toBe('2024-05-01T10:01:00.000Z');
    expect(again.instance.weight).toBe(3);
    expect(t.registry.size).toEqual({ services: 1, instances: 1 });
    expect(t.seen.map((e) => e.type === 'registered' && e.created)).toEqual([true, false]);
  });

  it('adds an instance for a new base_url, and for an explicit different instance_id', async () => {
    await t.registry.register(user);
    await t.registry.register({ ...user, base_url: 'http://127.0.0.1:9001' });
    const explicit = await t.registry.register({ ...user, instance_id: 'u-1' });
    expect(explicit.created).toBe(true);
    expect(t.registry.instancesOf('user-service').map((r) => r.base_url)).toEqual([
      'http://127.0.0.1:8001',
      'http://127.0.0.1:9001',
      'http://127.0.0.1:8001',
    ]);
  });

  it('replaces the per-service array on change and never mutates a handed-out one', async () => {
    await t.registry.register(user);
    const before = t.registry.instancesOf('user-service');
    expect(t.registry.instancesOf('user-service')).toBe(before); // stable between changes
    await t.registry.register({ ...user, base_url: 'http://127.0.0.1:9001' });
    const after = t.registry.instancesOf('user-service');
    expect(after).not.toBe(before);
    expect(before).toHaveLength(1);
    expect(after).toHaveLength(2);
    expect(Object.isFrozen(after)).toBe(true);
    expect(Object.isFrozen(after[0])).toBe(true);
  });

  it('answers lookups of unknown services and instances with empty results', () => {
    expect(t.registry.instancesOf('nope')).toEqual([]);
    expect(t.registry.get('nope', 'x')).toBeUndefined();
    expect(t.registry.serviceNames()).toEqual([]);
    expect(t.registry.all()).toEqual([]);
  });

  it('lists services and instances', async () => {
    await t.registry.register(user);
    await t.registry.register({ service_name: 'order-service', base_url: 'http://127.0.0.1:8003' });
    expect(t.registry.serviceNames()).toEqual(['user-service', 'order-service']);
    expect(t.registry.all().map((r) => r.service_name)).toEqual(['user-service', 'order-service']);
    const id = deriveInstanceId('http://127.0.0.1:8003');
    expect(t.registry.get('order-service', id)?.base_url).toBe('http://127.0.0.1:8003');
  });

  it('refuses an invalid registration naming every field, storing and announcing nothing', async () => {
    const err = await gatewayErrorOf(
      t.registry.register({ service_name: '-x', base_url: 'ftp://x', weight: '2' } as never),
    );
    expect(err.code).toBe('GW_ERR_VALIDATION');
    expect(err.extra.errors?.map((e) => e.field)).toEqual(['service_name', 'base_url', 'weight']);
    expect(t.registry.size.instances).toBe(0);
    expect(t.seen).toEqual([]);
    expect(await t.control.store.load()).toEqual([]);
  });

  it('serializes concurrent registrations of the same instance: one create, the rest updates', async () => {
    const results = await Promise.all(
      Array.from({ length: 10 }, (_, i) => t.registry.register({ ...user, weight: i + 1 })),
    );
    expect(results.filter((r) => r.created)).toHaveLength(1);
    expect(t.registry.size.instances).toBe(1);
    expect(t.registry.instancesOf('user-service')[0]?.weight).toBe(10); // the last write wins
    expect(await t.control.store.load()).toHaveLength(1);
  });
});

describe('registry: deregister', () => {
  let t: ReturnType<typeof memoryHarness>;
  beforeEach(async () => {
    t = memoryHarness(T0);
    await t.registry.start();
    await t.registry.register({ ...user, instance_id: 'a' });
    await t.registry.register({ ...user, instance_id: 'b', base_url: 'http://127.0.0.1:8002' });
    t.seen.length = 0;
  });
  afterEach(() => t.registry.close());

  it('removes a whole service with one deregistered event per instance', async () => {
    t.clock.advance(1_000);
    const removed = await t.registry.deregisterService('user-service');
    expect(removed?.map((r) => r.instance_id)).toEqual(['a', 'b']);
    expect(t.seen).toEqual(
      ['a', 'b'].map((id) => ({
        type: 'deregistered',
        service_name: 'user-service',
        instance_id: id,
        timestamp: '2024-05-01T10:00:01.000Z',
      })),
    );
    expect(t.registry.serviceNames()).toEqual([]);
    expect(await t.control.store.load()).toEqual([]);
  });

  it('removes one instance; the service goes with its last instance', async () => {
    expect((await t.registry.deregisterInstance('user-service', 'a'))?.instance_id).toBe('a');
    expect(t.registry.instancesOf('user-service').map((r) => r.instance_id)).toEqual(['b']);
    await t.registry.deregisterInstance('user-service', 'b');
    expect(t.registry.serviceNames()).toEqual([]);
    expect(t.seen.map((e) => `${e.type}:${e.instance_id}`)).toEqual(['deregistered:a', 'deregistered:b']);
  });

  it('answers null for unknown services and instances, without events', async () => {
    expect(await t.registry.deregisterService('nope')).toBeNull();
    expect(await t.registry.deregisterInstance('user-service', 'nope')).toBeNull();
    expect(t.seen).toEqual([]);
  });
});

describe('registry: the store comes first', () => {
  let t: ReturnType<typeof memoryHarness>;
  beforeEach(async () => {
    t = memoryHarness(T0);
    await t.registry.start();
  });
  afterEach(() => t.registry.close());

  it('a failed store write fails the call with GW_ERR_STORE_UNAVAILABLE and changes nothing', async () => {
    await t.registry.register({ ...user, instance_id: 'a' });
    t.seen.length = 0;
    t.control.fail('put', 'remove', 'removeService', 'renewLease');
    const errors = await Promise.all([
      gatewayErrorOf(t.registry.register({ ...user, instance_id: 'b' })),
      gatewayErrorOf(t.registry.register({ ...user, instance_id: 'a', weight: 9 })),
      gatewayErrorOf(t.registry.deregisterInstance('user-service', 'a')),
      gatewayErrorOf(t.registry.deregisterService('user-service')),
    ]);
    expect(errors.map((e) => e.code)).toEqual(Array(4).fill('GW_ERR_STORE_UNAVAILABLE'));
    expect(errors[0]?.cause).toBeInstanceOf(Error);
    expect(t.registry.all().map((r) => [r.instance_id, r.weight])).toEqual([['a', 1]]);
    expect(t.seen).toEqual([]);
    t.control.heal();
    expect((await t.registry.register({ ...user, instance_id: 'b' })).created).toBe(true);
  });

  it('shows and announces a registration only after the store has it', async () => {
    t.control.hold();
    const pending = t.registry.register(user);
    await new Promise((resolve) => setImmediate(resolve));
    expect(t.registry.size.instances).toBe(0);
    expect(t.seen).toEqual([]);
    t.control.release();
    await pending;
    expect(t.registry.size.instances).toBe(1);
    expect(t.seen).toHaveLength(1);
  });
});
