import type { InstanceRegistration } from '../types.js';

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
}
