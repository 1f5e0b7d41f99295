/** Registrations and change messages as the Redis store writes them (see scripts.ts). */
import { iso } from '../../records.js';
import { type InstanceRegistration, instanceKey } from '../../types.js';
import type { StoreChange } from '../types.js';

/** Key names under one prefix. The `{registry}` hash tag keeps them in one Cluster slot. */
export function registryKeys(prefix: string) {
  return {
    instances: `${prefix}{registry}:instances`,
    leases: `${prefix}{registry}:leases`,
    channel: `${prefix}{registry}:changes`,
  };
}

/** The hash field of an instance (service and id NUL-separated, as instanceKey). */
export const fieldOf = (serviceName: string, instanceId: string): string =>
  instanceKey(serviceName, instanceId);

/** A stored registration, its lease taken from the lease index (`leaseMs`, null: no lease). */
export function decodeRegistration(json: string, leaseMs: number | null | undefined): InstanceRegistration {
  const r = JSON.parse(json) as InstanceRegistration;
  if (leaseMs === undefined) return r;
  return { ...r, lease_expires_at: leaseMs === null ? null : iso(leaseMs) };
}

function isRegistration(value: unknown): value is InstanceRegistration {
  const r = value as Partial<InstanceRegistration> | null;
  return (
    typeof r === 'object' &&
    r !== null &&
    typeof r.service_name === 'string' &&
    typeof r.instance_id === 'string'
  );
}

/** A published change, or null when the message is not one (another version, garbage). */
export function decodeChange(message: string): Exclude<StoreChange, { type: 'resync' }> | null {
  let parsed: { type?: unknown; registration?: unknown; lease?: unknown };
  try {
    parsed = JSON.parse(message) as typeof parsed;
  } catch {
    return null;
  }
  const { type, registration: r, lease } = parsed;
  if (!isRegistration(r)) return null;
  if (type === 'put') {
    const registration = typeof lease === 'number' ? { ...r, lease_expires_at: iso(lease) } : r;
    return { type, registration };
  }
  if (type === 'remove' || type === 'expired') {
    return { type, service_name: r.service_name, instance_id: r.instance_id };
  }
  return null;
}
