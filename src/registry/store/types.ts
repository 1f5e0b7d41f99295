import type { InstanceRegistration } from '../types.js';

/** Names one instance without its registration. */
export interface InstanceRef {
  readonly service_name: string;
  readonly instance_id: string;
}

/**
 * A change another writer (another gateway, the cluster primary) made to a shared store, as its
 * `subscribe()` reports it. Subscribers may also see their own writes echoed back: applying a change
 * that memory already holds must be a no-op, so echoes cost nothing and cause no second event.
 * - `put`: an instance was registered, updated or had its lease renewed (the full registration);
 * - `remove`: an instance was deregistered;
 * - `expired`: an instance's lease ran out and the store removed it (announced once per instance);
 * - `resync`: the store may have missed changes (it lost its connection): reload everything.
 */
export type StoreChange =
  | { readonly type: 'put'; readonly registration: InstanceRegistration }
  | ({ readonly type: 'remove' } & InstanceRef)
  | ({ readonly type: 'expired' } & InstanceRef)
  | { readonly type: 'resync' };

/**
 * Where registrations persist. Every method resolves only after the write is durable
 * (on disk, in Redis); a rejected promise means nothing was stored.
 */
export interface RegistryStore {
  readonly name: 'sqlite' | 'memory' | 'redis';
  /** Everything stored, for the registry's in-memory view at start. */
  load(): Promise<InstanceRegistration[]>;
  /** Insert or replace one instance (keyed by service_name + instance_id). */
  put(registration: InstanceRegistration): Promise<void>;
  /** Remove one instance; resolves false if it was not stored. */
  remove(serviceName: string, instanceId: string): Promise<boolean>;
  /** Remove every instance of a service; resolves how many were removed. */
  removeService(serviceName: string): Promise<number>;
  /** Set a new lease expiry (heartbeat); resolves false if the instance is not stored. */
  renewLease(serviceName: string, instanceId: string, leaseExpiresAt: string): Promise<boolean>;
  /** Is the store reachable and usable right now? */
  ping(): Promise<boolean>;
  close(): Promise<void>;
  /**
   * Optional, for stores shared by several writers: reports changes made through the store (see
   * StoreChange). The registry subscribes before it loads and applies each change to its view.
   * Returns the unsubscribe function.
   */
  subscribe?(onChange: (change: StoreChange) => void): () => void;
  /**
   * Optional, for stores that own lease expiry (so it happens once, cluster-wide): removes every
   * instance whose lease ran out by `nowMs`, announces each to subscribers as one `expired`
   * change, and resolves the instances it removed. Without it, the registry removes lapsed
   * instances itself.
   */
  expireLeases?(nowMs: number): Promise<InstanceRef[]>;
}
