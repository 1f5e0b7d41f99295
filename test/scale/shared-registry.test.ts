/**
 * Several registries on one shared store (the cluster primary's store: the same contract a Redis
 * store keeps), in one process and on fake timers: what each gateway's view and events do when
 * the others write, when leases run out, and after a reload.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createPrimaryStore } from '../../src/cluster/index.js';
import { createEventHub, type GatewayEvent } from '../../src/events.js';
import {
  type Clock,
  createMemoryStore,
  createRegistry,
  type Registry,
  type RegistryStore,
  type StoreChange,
} from '../../src/registry/index.js';

const T0 = Date.parse('2024-05-01T10:00:00.000Z');
const clock: Clock = { now: () => Date.now() };
const svc = { service_name: 'orders', base_url: 'http://127.0.0.1:8001', instance_id: 'o-1' };

interface Node {
  registry: Registry;
  /** This registry's own view of the shared store (spy on it). */
  store: RegistryStore;
  events: GatewayEvent[];
  /** Delivers a change to this registry only, as if its store had reported it. */
  inject(change: StoreChange): void;
}

function node(shared: RegistryStore): Node {
  const hub = createEventHub<GatewayEvent>();
  const events: GatewayEvent[] = [];
  hub.subscribe((e) => events.push(e));
  let own: ((change: StoreChange) => void) | null = null;
  const store: RegistryStore = {
    ...shared,
    subscribe(onChange) {
      own = onChange;
      return shared.subscribe!(onChange);
    },
    close: async () => {}, // the shared store outlives each registry
  };
  return { registry: createRegistry({ store, events: hub, clock }), store, events, inject: (c) => own?.(c) };
}

const types = (n: Node) => n.events.map((e) => e.type + ('created' in e ? `:${e.created}` : ''));

describe('registries sharing one store', () => {
  let inner: RegistryStore;
  let shared: RegistryStore;
  let a: Node;
  let b: Node;
  beforeEach(async () => {
    vi.useFakeTimers({ now: T0 });
    inner = createMemoryStore();
    shared = createPrimaryStore(inner);
    a = node(shared);
    b = node(shared);
    await a.registry.start();
    await b.registry.start();
  });
  afterEach(async () => {
    await a.registry.close();
    await b.registry.close();
    await shared.close();
    vi.useRealTimers();
  });

  it('a write on one is applied by the other with the same event; echoes of own writes are silent', async () => {
    const { instance } = await a.registry.register({ ...svc, ttl_seconds: 30 });
    await vi.advanceTimersByTimeAsync(0);
    expect(b.registry.get('orders', 'o-1')).toEqual(instance);
    await a.registry.register({ ...svc, ttl_seconds: 30, weight: 4 });
    await vi.advanceTimersByTimeAsync(1_000);
    const renewed = await b.registry.heartbeat('orders', 'o-1');
    await vi.advanceTimersByTimeAsync(0);
    expect(a.registry.get('orders', 'o-1')).toEqual(renewed);
    await b.registry.deregisterService('orders');
    await vi.advanceTimersByTimeAsync(0);
    const expected = ['registered:true', 'registered:false', 'deregistered'];
    expect(types(a)).toEqual(expected);
    expect(types(b)).toEqual(expected);
    expect(a.registry.size).toEqual({ services: 0, instances: 0 });
  });

  it('a lease runs out once for all: one removal from the store, one expired event on each', async () => {
    await a.registry.register({ ...svc, ttl_seconds: 5 });
    const removals = vi.spyOn(inner, 'remove');
    await vi.advanceTimersByTimeAsync(5_000);
    expect(removals).toHaveBeenCalledTimes(1);
    expect(types(a)).toEqual(['registered:true', 'expired']);
    expect(types(b)).toEqual(['registered:true', 'expired']);
    expect(a.events[1]?.timestamp).toBe(new Date(T0 + 5_000).toISOString());
    expect(await shared.load()).toEqual([]);
  });

  it('a renewal made through the other registry keeps the instance past its old deadline', async () => {
    await a.registry.register({ ...svc, ttl_seconds: 5 });
    await vi.advanceTimersByTimeAsync(4_000);
    await b.registry.heartbeat('orders', 'o-1');
    await vi.advanceTimersByTimeAsync(2_000);
    expect(a.registry.get('orders', 'o-1')).toBeDefined();
    await vi.advanceTimersByTimeAsync(3_000);
    expect(a.registry.get('orders', 'o-1')).toBeUndefined();
    expect(types(a)).toEqual(['registered:true', 'expired']);
  });

  it('after missed changes, a resync turns the difference into events and is not ready meanwhile', async () => {
    await a.registry.register(svc);
    await vi.advanceTimersByTimeAsync(0);
    // Changes B never heard of: written to the store behind everyone's back.
    const stored = (await shared.load())[0]!;
    await inner.remove('orders', 'o-1');
    await inner.put({ ...stored, service_name: 'users', instance_id: 'u-1' });
    b.events.length = 0;
    const loads = vi.spyOn(b.store, 'load').mockImplementationOnce(() => inner.load());
    b.inject({ type: 'resync' });
    expect(await b.registry.ready()).toBe(false);
    await vi.advanceTimersByTimeAsync(0);
    expect(loads).toHaveBeenCalled();
    expect(await b.registry.ready()).toBe(true);
    expect(types(b)).toEqual(['registered:true', 'deregistered']);
    expect(b.registry.serviceNames()).toEqual(['users']);
  });

  it('a failed resync keeps the gateway not ready and retries until the store answers', async () => {
    const loads = vi.spyOn(b.store, 'load').mockRejectedValueOnce(new Error('down'));
    b.inject({ type: 'resync' });
    await vi.advanceTimersByTimeAsync(0);
    expect(await b.registry.ready()).toBe(false);
    await vi.advanceTimersByTimeAsync(1_000);
    expect(loads).toHaveBeenCalledTimes(2);
    expect(await b.registry.ready()).toBe(true);
  });
});
