import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createEventHub, type GatewayEvent } from '../../src/events.js';
import { createRegistry, createSqliteStore, type Registry } from '../../src/registry/index.js';
import { gatewayErrorOf, manualClock, memoryHarness, tempDir } from './fixtures.js';

const T0 = Date.parse('2024-05-01T10:00:00.000Z');
const user = { service_name: 'user-service', base_url: 'http://127.0.0.1:8001' };

describe('registry: life cycle', () => {
  it('refuses writes before start and after close; ready follows the store', async () => {
    const t = memoryHarness(T0);
    expect(await t.registry.ready()).toBe(false);
    expect((await gatewayErrorOf(t.registry.register(user))).code).toBe('GW_ERR_STORE_UNAVAILABLE');
    await t.registry.start();
    expect(await t.registry.ready()).toBe(true);
    expect(t.registry.storeName).toBe('memory');
    await t.registry.close();
    expect(await t.registry.ready()).toBe(false);
    expect(await t.control.store.ping()).toBe(false); // close() closed the store
    expect((await gatewayErrorOf(t.registry.register(user))).code).toBe('GW_ERR_SHUTTING_DOWN');
    await t.registry.close(); // idempotent
  });

  it('close waits for an accepted write to finish before closing the store', async () => {
    const t = memoryHarness(T0);
    await t.registry.start();
    t.control.hold();
    const pending = t.registry.register(user);
    const closing = t.registry.close();
    t.control.release();
    await expect(pending).resolves.toMatchObject({ created: true });
    await closing;
  });

  it('start fails with GW_ERR_STORE_UNAVAILABLE when the store cannot load, and may be retried', async () => {
    const t = memoryHarness(T0);
    t.control.fail('load');
    expect((await gatewayErrorOf(t.registry.start())).code).toBe('GW_ERR_STORE_UNAVAILABLE');
    t.control.heal();
    await t.registry.start();
    expect(await t.registry.ready()).toBe(true);
    await t.registry.close();
  });
});

describe('registry: restart on the same SQLite file', () => {
  let dir: string;
  let cleanup: () => void;
  let registries: Registry[];
  beforeEach(() => {
    ({ dir, cleanup } = tempDir());
    registries = [];
  });
  afterEach(async () => {
    for (const r of registries) await r.close();
    cleanup();
  });

  const open = (clock = manualClock(T0)): Registry => {
    const registry = createRegistry({
      store: createSqliteStore(join(dir, 'data', 'registry.db')),
      events: createEventHub<GatewayEvent>(),
      clock,
    });
    registries.push(registry);
    return registry;
  };

  it('keeps every acknowledged write, in registration order', async () => {
    const clock = manualClock(T0);
    const first = open(clock);
    await first.start();
    await first.register({ ...user, instance_id: 'z', metadata: { lb: 'hash', hash_on: 'ip' } });
    clock.advance(1_000);
    await first.register({ ...user, instance_id: 'a', base_url: 'http://127.0.0.1:8002', weight: 4 });
    await first.register({ service_name: 'gone', base_url: 'http://127.0.0.1:9' });
    await first.deregisterService('gone');
    const before = first.all();
    await first.close();

    const second = open(clock);
    await second.start();
    expect(second.all()).toEqual(before);
    expect(second.instancesOf('user-service').map((r) => r.instance_id)).toEqual(['z', 'a']);
    const again = await second.register({ ...user, instance_id: 'z' });
    expect(again.created).toBe(false);
    expect(again.instance.registered_at).toBe('2024-05-01T10:00:00.000Z');
  });
});
