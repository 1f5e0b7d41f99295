import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createEventHub, type GatewayEvent } from '../../src/events.js';
import {
  type Clock,
  createMemoryStore,
  createRegistry,
  createSqliteStore,
  type Registry,
  type RegistryStore,
} from '../../src/registry/index.js';
import { controllableStore, recordEvents, tempDir } from './fixtures.js';

/**
 * Leases run on fake timers, and the registry's clock reads the faked Date, so advancing the
 * timers advances both: expiry is asserted to the millisecond, without sleeping.
 */
const T0 = Date.parse('2024-05-01T10:00:00.000Z');
const clock: Clock = { now: () => Date.now() };
const svc = { service_name: 'user-service', base_url: 'http://127.0.0.1:8001', instance_id: 'u1' };
const at = (ms: number): string => new Date(T0 + ms).toISOString();

function setup(store: RegistryStore = createMemoryStore()) {
  const events = createEventHub<GatewayEvent>();
  const seen = recordEvents(events);
  const registry = createRegistry({ store, events, clock });
  return { store, seen, registry };
}

describe('registry: leases', () => {
  let t: ReturnType<typeof setup>;
  beforeEach(async () => {
    vi.useFakeTimers({ now: T0 });
    t = setup();
    await t.registry.start();
  });
  afterEach(async () => {
    await t.registry.close();
    vi.useRealTimers();
  });

  it('removes an instance exactly when its lease runs out, from memory and store, as expired', async () => {
    const { instance } = await t.registry.register({ ...svc, ttl_seconds: 5 });
    expect(instance.lease_expires_at).toBe(at(5_000));
    await vi.advanceTimersByTimeAsync(4_999);
    expect(t.registry.get('user-service', 'u1')).toBeDefined();
    await vi.advanceTimersByTimeAsync(1);
    expect(t.registry.get('user-service', 'u1')).toBeUndefined();
    expect(t.registry.serviceNames()).toEqual([]);
    expect(await t.store.load()).toEqual([]);
    expect(t.seen.map((e) => e.type)).toEqual(['registered', 'expired']);
    expect(t.seen[1]).toMatchObject({
      service_name: 'user-service',
      instance_id: 'u1',
      timestamp: at(5_000),
    });
  });

  it('a heartbeat renews the lease by its ttl from now, in memory and store', async () => {
    await t.registry.register({ ...svc, ttl_seconds: 5 });
    await vi.advanceTimersByTimeAsync(4_000);
    const renewed = await t.registry.heartbeat('user-service', 'u1');
    expect(renewed?.lease_expires_at).toBe(at(9_000));
    expect(t.registry.get('user-service', 'u1')).toBe(renewed);
    expect((await t.store.load())[0]?.lease_expires_at).toBe(at(9_000));
    await vi.advanceTimersByTimeAsync(4_999);
    expect(t.registry.size.instances).toBe(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(t.registry.size.instances).toBe(0);
    expect(t.seen.map((e) => e.type)).toEqual(['registered', 'expired']); // a heartbeat is not an event
  });

  it('a heartbeat of an unknown instance answers null', async () => {
    expect(await t.registry.heartbeat('user-service', 'nope')).toBeNull();
  });

  it('a heartbeat of an instance without a lease changes nothing', async () => {
    const { instance } = await t.registry.register(svc);
    expect(await t.registry.heartbeat('user-service', 'u1')).toBe(instance);
  });

  it('gives no grace: a heartbeat after the lease ran out answers null and expires the instance', async () => {
    await t.registry.register({ ...svc, ttl_seconds: 5 });
    // Move the clock past the expiry without letting the expiry timer run first.
    vi.setSystemTime(T0 + 5_000);
    expect(await t.registry.heartbeat('user-service', 'u1')).toBeNull();
    expect(t.registry.size.instances).toBe(0);
    expect(t.seen.map((e) => e.type)).toEqual(['registered', 'expired']);
  });

  it('registering again after the lease ran out makes a new instance', async () => {
    await t.registry.register({ ...svc, ttl_seconds: 5 });
    vi.setSystemTime(T0 + 6_000);
    const again = await t.registry.register({ ...svc, ttl_seconds: 5 });
    expect(again.created).toBe(true);
    expect(again.instance.registered_at).toBe(at(6_000));
    expect(t.seen.map((e) => e.type)).toEqual(['registered', 'expired', 'registered']);
  });

  it('registering again with a ttl renews the lease; without one removes it', async () => {
    await t.registry.register({ ...svc, ttl_seconds: 5 });
    await vi.advanceTimersByTimeAsync(3_000);
    const renewed = await t.registry.register({ ...svc, ttl_seconds: 10 });
    expect(renewed.instance.lease_expires_at).toBe(at(13_000));
    const unleased = await t.registry.register(svc);
    expect(unleased.instance.lease_expires_at).toBeNull();
    expect(unleased.instance.ttl_seconds).toBeNull();
    await vi.advanceTimersByTimeAsync(86_400_000);
    expect(t.registry.size.instances).toBe(1);
    expect(t.seen.filter((e) => e.type === 'expired')).toEqual([]);
  });

  it('runs one timer for many leases, and expires each at its own time', async () => {
    for (let i = 0; i < 100; i++) {
      await t.registry.register({ ...svc, instance_id: `i${i}`, ttl_seconds: 5 + (i % 10) });
    }
    expect(vi.getTimerCount()).toBe(1);
    await vi.advanceTimersByTimeAsync(5_000);
    expect(t.registry.size.instances).toBe(90);
    await vi.advanceTimersByTimeAsync(4_000); // ttl 5-9 s gone
    expect(t.registry.size.instances).toBe(50);
    await vi.advanceTimersByTimeAsync(4_999);
    expect(t.registry.size.instances).toBe(10);
    await vi.advanceTimersByTimeAsync(1);
    expect(t.registry.size.instances).toBe(0);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('leaves no timer behind after close', async () => {
    await t.registry.register({ ...svc, ttl_seconds: 5 });
    expect(vi.getTimerCount()).toBe(1);
    await t.registry.close();
    expect(vi.getTimerCount()).toBe(0);
  });
});

describe('registry: expiry when the store fails', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('keeps the instance and retries each second until the store removes it', async () => {
    vi.useFakeTimers({ now: T0 });
    const control = controllableStore(createMemoryStore());
    const t = setup(control.store);
    await t.registry.start();
    await t.registry.register({ ...svc, ttl_seconds: 5 });
    control.fail('remove');
    await vi.advanceTimersByTimeAsync(5_000);
    expect(t.registry.size.instances).toBe(1); // memory never claims what the store still holds
    control.heal();
    await vi.advanceTimersByTimeAsync(1_000);
    expect(t.registry.size.instances).toBe(0);
    expect(t.seen.map((e) => e.type)).toEqual(['registered', 'expired']);
    await t.registry.close();
  });
});

describe('registry: leases across a restart (SQLite)', () => {
  let dir: string;
  let cleanup: () => void;
  let open: Registry[];
  beforeEach(() => {
    vi.useFakeTimers({ now: T0 });
    ({ dir, cleanup } = tempDir());
    open = [];
  });
  afterEach(async () => {
    for (const r of open) await r.close();
    vi.useRealTimers();
    cleanup();
  });

  function restartable() {
    const t = setup(createSqliteStore(join(dir, 'registry.db')));
    open.push(t.registry);
    return t;
  }

  it('keeps the stored expiry (not renewed by the restart) and expires on time', async () => {
    const before = restartable();
    await before.registry.start();
    await before.registry.register({ ...svc, ttl_seconds: 5 });
    await before.registry.close();

    vi.setSystemTime(T0 + 2_000);
    const after = restartable();
    await after.registry.start();
    expect(after.registry.get('user-service', 'u1')?.lease_expires_at).toBe(at(5_000));
    await vi.advanceTimersByTimeAsync(2_999);
    expect(after.registry.size.instances).toBe(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(after.registry.size.instances).toBe(0);
    expect(after.seen.map((e) => e.type)).toEqual(['expired']);
  });

  it('expires leases that ran out while the gateway was down as soon as start resolves', async () => {
    const before = restartable();
    await before.registry.start();
    await before.registry.register({ ...svc, ttl_seconds: 5 });
    await before.registry.register({ ...svc, instance_id: 'kept' });
    await before.registry.close();

    vi.setSystemTime(T0 + 60_000);
    const after = restartable();
    await after.registry.start();
    expect(after.registry.all().map((r) => r.instance_id)).toEqual(['kept']);
    expect(after.seen).toEqual([
      { type: 'expired', service_name: 'user-service', instance_id: 'u1', timestamp: at(60_000) },
    ]);
    expect((await after.store.load()).map((r) => r.instance_id)).toEqual(['kept']);
  });
});
