/**
 * Lease expiry. Two ways, chosen by the store:
 * - the store owns expiry (`expireLeases`, a store shared by several gateways): it removes what is
 *   due once for the whole cluster and announces it; this gateway applies the removals it is told;
 * - otherwise the registry removes each lapsed instance from the store itself.
 * Either way the instance leaves memory only after the store no longer has it.
 */
import type { Logger } from 'pino';
import type { LeaseScheduler } from './lease-scheduler.js';
import type { Membership } from './membership.js';
import { iso, keyOf, lapsed } from './records.js';
import type { RegistryStore } from './store/types.js';
import type { View } from './sync.js';
import type { InstanceRegistration } from './types.js';

/** When removing an expired instance fails (store down), try again after this long. */
export const EXPIRY_RETRY_MS = 1_000;

export interface ExpiryDeps {
  readonly store: RegistryStore;
  readonly view: View;
  readonly leases: LeaseScheduler;
  readonly logger?: Logger;
  /** Runs a store operation, turning its failure into GW_ERR_STORE_UNAVAILABLE. */
  durably<T>(action: string, op: () => Promise<T>): Promise<T>;
}

export interface Expiry {
  /** Expires the lapsed instances among `keys`; a failure re-arms them for a retry. Never rejects. */
  expireDue(keys: readonly string[], now: number): Promise<void>;
  /** Expires one lapsed instance now; rejects when the store fails. Resolves whether it is gone. */
  expireNow(r: InstanceRegistration, now: number): Promise<boolean>;
}

export function createExpiry(deps: ExpiryDeps): Expiry {
  const { store, view, leases, logger, durably } = deps;
  const members: Membership = view.members;

  function removed(r: InstanceRegistration, now: number): void {
    view.applyRemove(r);
    logger?.info({ service: r.service_name, instance: r.instance_id }, 'lease expired, instance removed');
    view.announce('expired', r, iso(now));
  }

  async function removeLocally(r: InstanceRegistration, now: number): Promise<void> {
    await durably('remove an expired instance', () => store.remove(r.service_name, r.instance_id));
    removed(r, now);
  }

  async function expireInStore(due: readonly InstanceRegistration[], now: number): Promise<void> {
    const gone = await durably('expire leases', () => store.expireLeases!(now));
    for (const ref of gone) {
      const r = members.get(ref.service_name, ref.instance_id);
      if (r) removed(r, now);
    }
    // Still stored: renewed by another gateway, whose `put` is on its way. Look again soon.
    for (const r of due) {
      if (members.getByKey(keyOf(r)) === r) leases.track(keyOf(r), now + EXPIRY_RETRY_MS);
    }
  }

  async function expireDue(keys: readonly string[], now: number): Promise<void> {
    const due = keys
      .map((k) => members.getByKey(k))
      .filter((r): r is InstanceRegistration => r !== undefined && lapsed(r, now));
    if (due.length === 0) return;
    const retry = (r: InstanceRegistration) => leases.track(keyOf(r), now + EXPIRY_RETRY_MS);
    if (store.expireLeases) {
      await expireInStore(due, now).catch(() => due.forEach(retry));
      return;
    }
    // All at once: the store applies them in order, in one commit where it can (group commit).
    await Promise.all(due.map((r) => removeLocally(r, now).catch(() => retry(r))));
  }

  return {
    expireDue,
    async expireNow(r, now) {
      if (store.expireLeases) await expireInStore([r], now);
      else await removeLocally(r, now);
      return members.getByKey(keyOf(r)) === undefined;
    },
  };
}
