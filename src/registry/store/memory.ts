import { type InstanceRegistration, instanceKey } from '../types.js';
import type { RegistryStore } from './types.js';

/**
 * A store that keeps nothing across restarts: for tests, demos and gateways whose services
 * re-register on their own. Same contract as the durable stores, so one test suite covers all.
 */
export function createMemoryStore(): RegistryStore {
  const rows = new Map<string, InstanceRegistration>();
  let closed = false;

  // A closed store must fail like a dead database would, so the registry's error path is testable.
  const assertOpen = (): void => {
    if (closed) throw new Error('memory registry store is closed');
  };

  return {
    name: 'memory',
    async load() {
      assertOpen();
      return [...rows.values()];
    },
    async put(registration) {
      assertOpen();
      rows.set(instanceKey(registration.service_name, registration.instance_id), registration);
    },
    async remove(serviceName, instanceId) {
      assertOpen();
      return rows.delete(instanceKey(serviceName, instanceId));
    },
    async removeService(serviceName) {
      assertOpen();
      let removed = 0;
      for (const [key, row] of rows) {
        if (row.service_name === serviceName && rows.delete(key)) removed++;
      }
      return removed;
    },
    async renewLease(serviceName, instanceId, leaseExpiresAt) {
      assertOpen();
      const key = instanceKey(serviceName, instanceId);
      const row = rows.get(key);
      if (!row) return false;
      rows.set(key, { ...row, lease_expires_at: leaseExpiresAt });
      return true;
    },
    async ping() {
      return !closed;
    },
    async close() {
      closed = true;
    },
  };
}
