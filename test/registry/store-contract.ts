import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { RegistryStore } from '../../src/registry/index.js';
import { registration } from './fixtures.js';

export interface StoreHarness {
  store: RegistryStore;
  /** Closes the store if needed and removes what it left on disk. */
  dispose(): Promise<void>;
}

/** The behaviour every RegistryStore promises, run against each implementation. */
export function describeStoreContract(name: string, open: () => StoreHarness): void {
  describe(`RegistryStore contract: ${name}`, () => {
    let harness: StoreHarness;
    let store: RegistryStore;
    beforeEach(() => {
      harness = open();
      store = harness.store;
    });
    afterEach(async () => {
      await harness.dispose();
    });

    it('names itself', () => {
      expect(store.name).toBe(name);
    });

    it('starts empty and reachable', async () => {
      expect(await store.load()).toEqual([]);
      expect(await store.ping()).toBe(true);
    });

    it('round-trips every field, metadata included', async () => {
      const leased = registration({
        instance_id: 'i-2',
        weight: 7,
        ttl_seconds: 30,
        lease_expires_at: '2024-05-01T10:00:30.000Z',
      });
      await store.put(registration());
      await store.put(leased);
      const loaded = await store.load();
      expect(loaded).toHaveLength(2);
      expect(loaded).toContainEqual(registration());
      expect(loaded).toContainEqual(leased);
    });

    it('put replaces the instance with the same service and id', async () => {
      await store.put(registration());
      await store.put(registration({ base_url: 'http://10.0.0.1', weight: 5 }));
      expect(await store.load()).toEqual([registration({ base_url: 'http://10.0.0.1', weight: 5 })]);
    });

    it('keys by service and instance id together', async () => {
      await store.put(registration({ service_name: 'a', instance_id: 'x' }));
      await store.put(registration({ service_name: 'b', instance_id: 'x' }));
      expect(await store.load()).toHaveLength(2);
    });

    it('remove deletes one instance and says whether it existed', async () => {
      await store.put(registration({ instance_id: 'a' }));
      await store.put(registration({ instance_id: 'b' }));
      expect(await store.remove('user-service', 'a')).toBe(true);
      expect(await store.remove('user-service', 'a')).toBe(false);
      expect((await store.load()).map((r) => r.instance_id)).toEqual(['b']);
    });

    it('removeService deletes every instance of one service and counts them', async () => {
      await store.put(registration({ instance_id: 'a' }));
      await store.put(registration({ instance_id: 'b' }));
      await store.put(registration({ service_name: 'other', instance_id: 'a' }));
      expect(await store.removeService('user-service')).toBe(2);
      expect(await store.removeService('user-service')).toBe(0);
      expect((await store.load()).map((r) => r.service_name)).toEqual(['other']);
    });

    it('renewLease sets the expiry of a stored instance only', async () => {
      await store.put(registration({ ttl_seconds: 30, lease_expires_at: '2024-05-01T10:00:30.000Z' }));
      expect(await store.renewLease('user-service', 'i-1', '2024-05-01T10:01:00.000Z')).toBe(true);
      expect(await store.renewLease('user-service', 'nope', '2024-05-01T10:01:00.000Z')).toBe(false);
      const [row] = await store.load();
      expect(row?.lease_expires_at).toBe('2024-05-01T10:01:00.000Z');
      expect(row?.ttl_seconds).toBe(30);
    });

    it('after close: ping is false and writes reject', async () => {
      await store.close();
      expect(await store.ping()).toBe(false);
      await expect(store.put(registration())).rejects.toThrow();
      await store.close(); // idempotent
    });
  });
}
