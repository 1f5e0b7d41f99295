/**
 * The primary's store when workers share it over IPC: the real store (sqlite, memory) behind one
 * queue, with a mirror of its rows in memory. Being the only writer, it can announce every change
 * to its subscribers (the primary's registry, and through IPC every worker's) and own lease expiry,
 * so a lease expires once for the whole host whichever process's timer fires first. (Expiry scans
 * the mirror: microseconds per thousand rows, and it runs only when a lease falls due.)
 */
import {
  type InstanceRef,
  type InstanceRegistration,
  instanceKey,
  keyOf,
  lapsed,
  type RegistryStore,
  type StoreChange,
} from '../registry/index.js';

export function createPrimaryStore(inner: RegistryStore): RegistryStore {
  const rows = new Map<string, InstanceRegistration>();
  const listeners = new Set<(change: StoreChange) => void>();
  let loaded: Promise<void> | null = null;
  let tail: Promise<unknown> = Promise.resolve();

  const deliver = (change: StoreChange) => {
    for (const listener of listeners) listener(change);
  };

  /** Runs after the first load and after every earlier operation: one writer, one order. */
  function serialize<T>(task: () => Promise<T>): Promise<T> {
    loaded ??= inner.load().then(
      (all) => {
        for (const r of all) rows.set(keyOf(r), r);
      },
      (err: unknown) => {
        loaded = null;
        throw err;
      },
    );
    const ready = loaded;
    const run = tail.then(() => ready).then(task);
    tail = run.catch(() => undefined);
    return run;
  }

  function forget(r: InstanceRegistration, type: 'remove' | 'expired'): void {
    rows.delete(keyOf(r));
    deliver({ type, service_name: r.service_name, instance_id: r.instance_id });
  }

  return {
    name: inner.name,
    load: () => serialize(async () => [...rows.values()]),
    put: (registration) =>
      serialize(async () => {
        await inner.put(registration);
        rows.set(keyOf(registration), registration);
        deliver({ type: 'put', registration });
      }),
    remove: (serviceName, instanceId) =>
      serialize(async () => {
        const removed = await inner.remove(serviceName, instanceId);
        const row = rows.get(instanceKey(serviceName, instanceId));
        if (row) forget(row, 'remove');
        return removed;
      }),
    removeService: (serviceName) =>
      serialize(async () => {
        const count = await inner.removeService(serviceName);
        for (const row of [...rows.values()]) if (row.service_name === serviceName) forget(row, 'remove');
        return count;
      }),
    renewLease: (serviceName, instanceId, leaseExpiresAt) =>
      serialize(async () => {
        const renewed = await inner.renewLease(serviceName, instanceId, leaseExpiresAt);
        const row = rows.get(instanceKey(serviceName, instanceId));
        if (renewed && row) {
          const registration = { ...row, lease_expires_at: leaseExpiresAt };
          rows.set(keyOf(row), registration);
          deliver({ type: 'put', registration });
        }
        return renewed;
      }),
    expireLeases: (nowMs) =>
      serialize(async () => {
        const expired: InstanceRef[] = [];
        for (const row of [...rows.values()]) {
          if (!lapsed(row, nowMs)) continue;
          await inner.remove(row.service_name, row.instance_id);
          forget(row, 'expired');
          expired.push({ service_name: row.service_name, instance_id: row.instance_id });
        }
        return expired;
      }),
    ping: () => inner.ping(),
    subscribe(onChange) {
      listeners.add(onChange);
      return () => listeners.delete(onChange);
    },
    async close() {
      await tail; // operations already accepted finish first
      await inner.close();
    },
  };
}
