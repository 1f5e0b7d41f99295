/**
 * Applying changes that arrived from a shared store (another gateway's writes, a lease the store
 * expired, a full reload after a reconnect) to this gateway's view, with the same events a local
 * write emits. Changes are compared with what memory holds, so an echo of this gateway's own
 * write changes nothing and emits nothing, and applying every change in the store's order
 * converges on the store's state even when an echo overtakes a newer remote change.
 */
import type { GatewayEvent } from '../events.js';
import { deepFreeze } from './freeze.js';
import type { Membership } from './membership.js';
import { byRegistration, iso, keyOf, lapsed } from './records.js';
import type { InstanceRef, StoreChange } from './store/types.js';
import type { InstanceRegistration } from './types.js';

export type MembershipEventType = Extract<GatewayEvent['type'], 'registered' | 'deregistered' | 'expired'>;

/** The registry's view and its event emitter, as the sync functions see them. */
export interface View {
  readonly members: Membership;
  applyPut(r: InstanceRegistration): void;
  applyRemove(r: InstanceRegistration): void;
  announce(type: MembershipEventType, r: InstanceRegistration, timestamp: string, created?: boolean): void;
}

/** Everything but the lease: a difference here is a registration or update, not a heartbeat. */
function sameMembership(a: InstanceRegistration, b: InstanceRegistration): boolean {
  return (
    a.base_url === b.base_url &&
    a.health_check_url === b.health_check_url &&
    a.weight === b.weight &&
    a.registered_at === b.registered_at &&
    a.updated_at === b.updated_at &&
    a.ttl_seconds === b.ttl_seconds &&
    JSON.stringify(a.metadata) === JSON.stringify(b.metadata)
  );
}

export function sameRegistration(a: InstanceRegistration, b: InstanceRegistration): boolean {
  return a.lease_expires_at === b.lease_expires_at && sameMembership(a, b);
}

/** A registration written elsewhere: new, updated, re-registered, or only its lease renewed. */
export function applyRemotePut(view: View, incoming: InstanceRegistration, now: number): void {
  const existing = view.members.get(incoming.service_name, incoming.instance_id);
  if (existing && sameRegistration(existing, incoming)) return; // an echo, or already applied
  // A registration keeps registered_at across updates; a new one means a new incarnation.
  const created = !existing || existing.registered_at !== incoming.registered_at;
  view.applyPut(deepFreeze(incoming));
  if (existing && !created && sameMembership(existing, incoming)) return; // a heartbeat: no event
  const timestamp = iso(now);
  if (existing && created)
    view.announce(lapsed(existing, now) ? 'expired' : 'deregistered', existing, timestamp);
  view.announce(
    'registered',
    view.members.get(incoming.service_name, incoming.instance_id)!,
    timestamp,
    created,
  );
}

/** An instance removed elsewhere (deregistered, or expired by the store). */
export function applyRemoteRemove(
  view: View,
  ref: InstanceRef,
  type: 'deregistered' | 'expired',
  now: number,
): void {
  const existing = view.members.get(ref.service_name, ref.instance_id);
  if (!existing) return;
  view.applyRemove(existing);
  view.announce(type, existing, iso(now));
}

export function applyChange(view: View, change: Exclude<StoreChange, { type: 'resync' }>, now: number): void {
  if (change.type === 'put') applyRemotePut(view, change.registration, now);
  else applyRemoteRemove(view, change, change.type === 'remove' ? 'deregistered' : 'expired', now);
}

/** A full reload after missed changes: the difference becomes the events that were missed. */
export function applySnapshot(view: View, rows: InstanceRegistration[], now: number): void {
  const stored = new Set<string>();
  for (const row of rows.sort(byRegistration)) {
    stored.add(keyOf(row));
    applyRemotePut(view, row, now);
  }
  for (const r of view.members.all()) {
    if (!stored.has(keyOf(r))) applyRemoteRemove(view, r, lapsed(r, now) ? 'expired' : 'deregistered', now);
  }
}
