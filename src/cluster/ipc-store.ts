/**
 * A worker's registry store when the primary owns the real one (sqlite, memory): every operation
 * is a call to the primary, answered after the primary's store committed it, and the primary's
 * changes arrive as `msa:change` messages. The worker's registry keeps its in-memory view from
 * these, exactly as with a shared Redis store, so proxied requests never cross the IPC pipe.
 */
import type { InstanceRef, InstanceRegistration, RegistryStore, StoreChange } from '../registry/index.js';
import type { Channel } from './protocol.js';
import type { RpcClient } from './rpc.js';

export function createIpcStore(channel: Channel, rpc: RpcClient, name: RegistryStore['name']): RegistryStore {
  const listeners = new Set<(change: StoreChange) => void>();
  let closed = false;
  const off = channel.onMessage((message) => {
    if (message.kind !== 'msa:change') return;
    for (const listener of listeners) listener(message.change);
  });

  function call<T>(method: Parameters<RpcClient['call']>[0], ...args: unknown[]): Promise<T> {
    if (closed) return Promise.reject(new Error('the IPC registry store is closed'));
    return rpc.call<T>(method, ...args);
  }

  return {
    name,
    load: () => call<InstanceRegistration[]>('load'),
    put: async (registration) => {
      await call('put', registration);
    },
    remove: (serviceName, instanceId) => call<boolean>('remove', serviceName, instanceId),
    removeService: (serviceName) => call<number>('removeService', serviceName),
    renewLease: (serviceName, instanceId, leaseExpiresAt) =>
      call<boolean>('renewLease', serviceName, instanceId, leaseExpiresAt),
    // The primary owns expiry: asking it removes what is due once, whichever process asks first.
    expireLeases: (nowMs) => call<InstanceRef[]>('expireLeases', nowMs),
    async ping() {
      return !closed && (await call<boolean>('ping').catch(() => false));
    },
    subscribe(onChange) {
      listeners.add(onChange);
      return () => listeners.delete(onChange);
    },
    async close() {
      closed = true;
      listeners.clear();
      off();
    },
  };
}
