import { type InstanceRegistration, instanceKey } from './types.js';

/** Small pure facts about registrations, shared by the registry and its tests. */

/** ISO 8601 UTC with milliseconds, the one time format of the API. */
export const iso = (ms: number): string => new Date(ms).toISOString();
export const keyOf = (r: InstanceRegistration): string => instanceKey(r.service_name, r.instance_id);

/** Epoch ms when the lease runs out, null without a lease (an unreadable stored time counts as run out). */
export function leaseDeadline(r: InstanceRegistration): number | null {
  if (r.lease_expires_at === null) return null;
  const ms = Date.parse(r.lease_expires_at);
  return Number.isNaN(ms) ? 0 : ms;
}

export function lapsed(r: InstanceRegistration, now: number): boolean {
  const deadline = leaseDeadline(r);
  return deadline !== null && deadline <= now;
}

/** Oldest registration first, so the order after a restart is the order before it. */
export function byRegistration(a: InstanceRegistration, b: InstanceRegistration): number {
  if (a.registered_at !== b.registered_at) return a.registered_at < b.registered_at ? -1 : 1;
  return a.instance_id < b.instance_id ? -1 : a.instance_id > b.instance_id ? 1 : 0;
}
