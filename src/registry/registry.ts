import type { Logger } from 'pino';
import { type FieldError, GatewayError } from '../errors.js';
import type { EventHub, GatewayEvent } from '../events.js';
import { deepFreeze } from './freeze.js';
import { createLeaseScheduler } from './lease-scheduler.js';
import { createMembership } from './membership.js';
import { byRegistration, iso, keyOf, lapsed, leaseDeadline } from './records.js';
import type { RegistryStore } from './store/types.js';
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

export interface RegistryDeps {
  readonly store: RegistryStore;
  readonly events: EventHub<GatewayEvent>;
  readonly clock?: Clock;
  readonly logger?: Logger;
  /** Address policy for registration URLs (SSRF guard), see validateRegistration. */
  readonly checkAddress?: AddressCheck;
}

/** When removing an expired instance fails (store down), try again after this long. */
const EXPIRY_RETRY_MS = 1_000;

function validationError(errors: FieldError[]): GatewayError {
  const fields = errors.map((e) => e.field).join(', ');
  return new GatewayError('GW_ERR_VALIDATION', `Invalid registration: ${fields}`, { errors });
}

/**
 * The membership owner. Every write runs through one queue (so two registrations of the same
 * instance cannot interleave between their store write and their memory update), reaches the
 * store first, and only then changes memory and emits its event: nothing is announced that a
 * restart would lose, and a failed store write changes nothing.
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
  let tail: Promise<unknown> = Promise.resolve();

  function serialize<T>(task: () => Promise<T>): Promise<T> {
    if (closed) return Promise.reject(new GatewayError('GW_ERR_SHUTTING_DOWN', 'The registry is closed'));
    if (!started) {
      return Promise.reject(new GatewayError('GW_ERR_STORE_UNAVAILABLE', 'The registry is not started yet'));
    }
    const run = tail.then(task);
    tail = run.catch(() => undefined);
    return run;
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

  function emit(type: 'deregistered' | 'expired', r: InstanceRegistration, timestamp: string): void {
    events.emit({ type, service_name: r.service_name, instance_id: r.instance_id, timestamp });
  }

  function applyPut(r: InstanceRegistration): void {
    members.put(r);
    const deadline = leaseDeadline(r);
    if (deadline === null) leases.untrack(keyOf(r));
    else leases.track(keyOf(r), deadline);
  }

  function applyRemove(r: InstanceRegistration): void {
    members.remove(r.service_name, r.instance_id);
    leases.untrack(keyOf(r));
  }

  async function expireOne(r: InstanceRegistration, now: number): Promise<void> {
    await durably('remove an expired instance', () => store.remove(r.service_name, r.instance_id));
    applyRemove(r);
    logger?.info({ service: r.service_name, instance: r.instance_id }, 'lease expired, instance removed');
    emit('expired', r, iso(now));
  }

  /** Expires the given instances whose lease has run out (a renewal may have raced the timer). */
  function expireKeys(keys: readonly string[]): Promise<void> {
    return serialize(async () => {
      const now = clock.now();
      for (const key of keys) {
        const current = members.getByKey(key);
        if (!current || !lapsed(current, now)) continue;
        try {
          await expireOne(current, now);
        } catch {
          leases.track(key, now + EXPIRY_RETRY_MS);
        }
      }
    }).catch(() => undefined); // only after close(): nothing left to expire
  }

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
    if (existing && !previous) emit('expired', existing, timestamp);
    applyPut(instance);
    const created = previous === null;
    events.emit({
      type: 'registered',
      created,
      service_name: v.service_name,
      instance_id: v.instance_id,
      timestamp,
    });
    return { instance, created, previous };
  }

  async function renew(serviceName: string, instanceId: string): Promise<InstanceRegistration | null> {
    const now = clock.now();
    const current = members.get(serviceName, instanceId);
    if (!current) return null;
    if (lapsed(current, now)) {
      await expireOne(current, now);
      return null;
    }
    if (current.ttl_seconds === null) return current; // no lease to renew
    const leaseExpiresAt = iso(now + current.ttl_seconds * 1000);
    const stored = await durably('renew the lease', () =>
      store.renewLease(serviceName, instanceId, leaseExpiresAt),
    );
    if (!stored) {
      // The store no longer has it (another gateway removed it): memory follows the store.
      applyRemove(current);
      emit('deregistered', current, iso(now));
      return null;
    }
    const renewed = Object.freeze({ ...current, lease_expires_at: leaseExpiresAt });
    applyPut(renewed);
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
    // A lease keeps its stored expiry across a restart: those that ran out meanwhile go at once.
    const now = clock.now();
    const due = members.all().filter((r) => lapsed(r, now));
    if (due.length > 0) await expireKeys(due.map(keyOf));
  }

  return {
    async register(input) {
      const checked = validateRegistration(input, { checkAddress: deps.checkAddress });
      if (!checked.ok) throw validationError(checked.errors);
      return serialize(() => put(checked.value));
    },
    deregisterService(serviceName) {
      return serialize(async () => {
        const list = members.instancesOf(serviceName);
        if (list.length === 0) return null;
        await durably('remove the service', () => store.removeService(serviceName));
        members.removeService(serviceName);
        for (const r of list) leases.untrack(keyOf(r));
        const timestamp = iso(clock.now());
        for (const r of list) emit('deregistered', r, timestamp);
        return [...list];
      });
    },
    deregisterInstance(serviceName, instanceId) {
      return serialize(async () => {
        const current = members.get(serviceName, instanceId);
        if (!current) return null;
        await durably('remove the instance', () => store.remove(serviceName, instanceId));
        applyRemove(current);
        emit('deregistered', current, iso(clock.now()));
        return current;
      });
    },
    heartbeat(serviceName, instanceId) {
      return serialize(() => renew(serviceName, instanceId));
    },
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
      startPromise ??= load().catch((err: unknown) => {
        startPromise = null;
        throw err;
      });
      return startPromise;
    },
    async ready() {
      if (!started || closed) return false;
      return store.ping().catch(() => false);
    },
    storeName: store.name,
    close() {
      closePromise ??= (async () => {
        closed = true;
        leases.close();
        await tail; // let accepted writes finish: none is cut between store and memory
        await store.close();
      })();
      return closePromise;
    },
  };
}
