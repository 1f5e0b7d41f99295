import type { Logger } from 'pino';
import { type FieldError, GatewayError } from '../errors.js';
import type { EventHub, GatewayEvent } from '../events.js';
import { createExpiry } from './expiry.js';
import { createFollower } from './follow.js';
import { deepFreeze } from './freeze.js';
import { createLeaseScheduler } from './lease-scheduler.js';
import { createMembership } from './membership.js';
import { byRegistration, iso, keyOf, lapsed, leaseDeadline } from './records.js';
import type { RegistryStore } from './store/types.js';
import type { View } from './sync.js';
import {
  type AddressCheck,
  type Clock,
  type InstanceRegistration,
  type NormalizedRegistration,
  type RegisterResult,
  type Registry,
  systemClock,
} from './types.js';
import { validateRegistration } from './validate.js';
import { createWriteQueue, type WriteScope } from './write-queue.js';

export interface RegistryDeps {
  readonly store: RegistryStore;
  readonly events: EventHub<GatewayEvent>;
  readonly clock?: Clock;
  readonly logger?: Logger;
  /** Address policy for registration URLs (SSRF guard), see validateRegistration. */
  readonly checkAddress?: AddressCheck;
}

function validationError(errors: FieldError[]): GatewayError {
  const fields = errors.map((e) => e.field).join(', ');
  return new GatewayError('GW_ERR_VALIDATION', `Invalid registration: ${fields}`, { errors });
}

/**
 * The membership owner. Every write runs through one queue (write-queue.ts: two writes of the same
 * instance cannot interleave between their store write and their memory update, while writes to
 * different instances run together and share the store's commit), reaches the store first, and
 * only then changes memory and emits its event: nothing is announced that a restart would lose,
 * and a failed store write changes nothing. Changes a shared store reports (other gateways'
 * writes, see sync.ts) run through the same queue, in the store's order, after every earlier write.
 */
export function createRegistry(deps: RegistryDeps): Registry {
  const { store, events, logger } = deps;
  const clock = deps.clock ?? systemClock;
  const members = createMembership();
  const leases = createLeaseScheduler({ clock, onDue: (keys) => void expireKeys(keys) });
  let started = false;
  let closed = false;
  let startPromise: Promise<void> | null = null;
  let closePromise: Promise<void> | null = null;
  const writes = createWriteQueue();
  let unsubscribe: (() => void) | null = null;

  const view: View = {
    members,
    applyPut(r) {
      members.put(r);
      const deadline = leaseDeadline(r);
      if (deadline === null) leases.untrack(keyOf(r));
      else leases.track(keyOf(r), deadline);
    },
    applyRemove(r) {
      members.remove(r.service_name, r.instance_id);
      leases.untrack(keyOf(r));
    },
    announce(type, r, timestamp, created = false) {
      const { service_name, instance_id } = r;
      if (type === 'registered') events.emit({ type, created, service_name, instance_id, timestamp });
      else events.emit({ type, service_name, instance_id, timestamp });
    },
  };

  /** A task after every earlier write, before every later one. */
  function enqueue<T>(task: () => T | Promise<T>): Promise<T> {
    return writes.run('all', task);
  }

  function serialize<T>(scope: WriteScope, task: () => Promise<T>): Promise<T> {
    if (closed) return Promise.reject(new GatewayError('GW_ERR_SHUTTING_DOWN', 'The registry is closed'));
    if (!started) {
      return Promise.reject(new GatewayError('GW_ERR_STORE_UNAVAILABLE', 'The registry is not started yet'));
    }
    return writes.run(scope, task);
  }

  async function durably<T>(action: string, op: () => Promise<T>): Promise<T> {
    try {
      return await op();
    } catch (err) {
      logger?.error({ err }, `registry store failed to ${action}`);
      throw new GatewayError('GW_ERR_STORE_UNAVAILABLE', `The registry store failed to ${action}`, {
        cause: err,
        retryAfterSeconds: 5,
      });
    }
  }

  const expiry = createExpiry({ store, view, leases, durably, ...(logger ? { logger } : {}) });

  /** Expires the given instances whose lease has run out (a renewal may have raced the timer). */
  function expireKeys(keys: readonly string[]): Promise<void> {
    return serialize('all', () => expiry.expireDue(keys, clock.now())).catch(() => undefined); // closed
  }

  // Changes other writers made to a shared store (see follow.ts and sync.ts).
  const follower = createFollower({
    store,
    view,
    clock,
    enqueue,
    live: () => started && !closed,
    ...(logger ? { logger } : {}),
  });

  async function put(v: NormalizedRegistration): Promise<RegisterResult> {
    const now = clock.now();
    const timestamp = iso(now);
    const existing = members.get(v.service_name, v.instance_id);
    // An instance whose lease ran out is gone even if the timer has not removed it yet: no grace.
    const previous = existing && !lapsed(existing, now) ? existing : null;
    const instance: InstanceRegistration = Object.freeze({
      ...v,
      registered_at: previous?.registered_at ?? timestamp,
      updated_at: timestamp,
      lease_expires_at: v.ttl_seconds === null ? null : iso(now + v.ttl_seconds * 1000),
    });
    await durably('store the registration', () => store.put(instance));
    if (existing && !previous) view.announce('expired', existing, timestamp);
    view.applyPut(instance);
    const created = previous === null;
    view.announce('registered', instance, timestamp, created);
    return { instance, created, previous };
  }

  async function renew(serviceName: string, instanceId: string): Promise<InstanceRegistration | null> {
    const now = clock.now();
    const current = members.get(serviceName, instanceId);
    if (!current) return null;
    // Lapsed here; a store that owns expiry may know of a renewal through another gateway.
    if (lapsed(current, now) && (await expiry.expireNow(current, now))) return null;
    if (current.ttl_seconds === null) return current; // no lease to renew
    const leaseExpiresAt = iso(now + current.ttl_seconds * 1000);
    const stored = await durably('renew the lease', () =>
      store.renewLease(serviceName, instanceId, leaseExpiresAt),
    );
    if (!stored) {
      // The store no longer has it (another gateway removed it): memory follows the store.
      view.applyRemove(current);
      view.announce('deregistered', current, iso(now));
      return null;
    }
    const renewed = Object.freeze({ ...current, lease_expires_at: leaseExpiresAt });
    view.applyPut(renewed);
    return renewed;
  }

  async function load(): Promise<void> {
    const rows = await durably('load the registrations', () => store.load());
    if (closed) return;
    rows.sort(byRegistration);
    members.replaceAll(rows.map((r) => deepFreeze(r)));
    for (const r of members.all()) {
      const deadline = leaseDeadline(r);
      if (deadline !== null) leases.track(keyOf(r), deadline);
    }
    started = true;
    follower.loaded();
    // A lease keeps its stored expiry across a restart: those that ran out meanwhile go at once.
    const now = clock.now();
    const due = members.all().filter((r) => lapsed(r, now));
    if (due.length > 0) await expiry.expireDue(due.map(keyOf), now);
  }

  async function begin(): Promise<void> {
    // Subscribe before loading: a change made during the load is applied after it, in order.
    unsubscribe ??= store.subscribe?.(follower.onChange) ?? null;
    await enqueue(load);
  }

  async function removeService(serviceName: string): Promise<InstanceRegistration[] | null> {
    const list = members.instancesOf(serviceName);
    if (list.length === 0) return null;
    await durably('remove the service', () => store.removeService(serviceName));
    members.removeService(serviceName);
    for (const r of list) leases.untrack(keyOf(r));
    const timestamp = iso(clock.now());
    for (const r of list) view.announce('deregistered', r, timestamp);
    return [...list];
  }

  async function removeInstance(serviceName: string, instanceId: string) {
    const current = members.get(serviceName, instanceId);
    if (!current) return null;
    await durably('remove the instance', () => store.remove(serviceName, instanceId));
    view.applyRemove(current);
    view.announce('deregistered', current, iso(clock.now()));
    return current;
  }

  return {
    async register(input) {
      const checked = validateRegistration(input, { checkAddress: deps.checkAddress });
      if (!checked.ok) throw validationError(checked.errors);
      const { service_name: service, instance_id: instance } = checked.value;
      return serialize({ service, instance }, () => put(checked.value));
    },
    deregisterService: (service) => serialize({ service }, () => removeService(service)),
    deregisterInstance: (service, instance) =>
      serialize({ service, instance }, () => removeInstance(service, instance)),
    // A store that owns expiry may expire other instances on the way (expiry.expireNow).
    heartbeat: (service, instance) =>
      serialize(store.expireLeases ? 'all' : { service, instance }, () => renew(service, instance)),
    instancesOf: (serviceName) => members.instancesOf(serviceName),
    get: (serviceName, instanceId) => members.get(serviceName, instanceId),
    serviceNames: () => members.serviceNames(),
    all: () => members.all(),
    get size() {
      return { services: members.serviceCount, instances: members.instanceCount };
    },
    start() {
      if (closed) return Promise.reject(new GatewayError('GW_ERR_SHUTTING_DOWN', 'The registry is closed'));
      // A failed load (store unreachable) may be retried by calling start() again.
      startPromise ??= begin().catch((err: unknown) => {
        startPromise = null;
        throw err;
      });
      return startPromise;
    },
    async ready() {
      if (!started || closed || follower.stale) return false;
      return store.ping().catch(() => false);
    },
    storeName: store.name,
    close() {
      closePromise ??= (async () => {
        closed = true;
        unsubscribe?.();
        follower.close();
        leases.close();
        await writes.idle(); // let accepted writes finish: none is cut between store and memory
        await store.close();
      })();
      return closePromise;
    },
  };
}
