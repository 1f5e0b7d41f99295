/**
 * Which instances the monitor tracks, mirrored from the registry (its owner). Reconciles one
 * service at a time against `registry.instancesOf()`, called on registry events and whenever
 * that array's identity changed (a safety net for changes that came without an event).
 * Lookups are two-level (service, then instance id) so the hot path builds no key string.
 */
import type { InstanceRegistration, Registry } from '../registry/types.js';
import { type ServiceView, viewService } from './routable.js';
import { type HealthState, INITIAL_STATE } from './status.js';

export interface Entry {
  readonly service: string;
  readonly id: string;
  registration: InstanceRegistration;
  state: HealthState;
  /** Set when the instance left the registry: results arriving later are dropped. */
  removed: boolean;
  /** The check in flight, if any. */
  check: { abort(): void } | null;
}

export interface ServiceHealth {
  readonly entries: Map<string, Entry>;
  /** The registry array the entries were last reconciled with. */
  source: readonly InstanceRegistration[];
  /** Cached routing view; null when membership or a status changed since it was built. */
  view: ServiceView | null;
}

export interface MembershipHooks {
  /** A new instance (state UNKNOWN). */
  added(entry: Entry): void;
  /** An updated registration whose health_check_url changed (status kept). */
  urlChanged(entry: Entry): void;
  /** An instance that left the registry; `entry.removed` is already set. */
  removed(entry: Entry): void;
}

export interface Membership {
  /** Reconciles a service with the registry now. */
  sync(name: string): ServiceHealth | undefined;
  /** Reconciles the one instance a registry event names (O(1), where `sync` is O(instances)). */
  syncInstance(name: string, id: string): void;
  /** The service, re-synced first if the registry replaced its array. */
  current(name: string): ServiceHealth | undefined;
  /** Hot path: the tracked entry, without any reconciliation. */
  find(service: string, id: string): Entry | undefined;
  /** The cached routing view of a service (built on demand). */
  view(svc: ServiceHealth): ServiceView;
  /** Marks the view of an instance's service stale (its status changed). */
  invalidate(entry: Entry): void;
  entries(): IterableIterator<Entry>;
}

export function createMembership(registry: Registry, hooks: MembershipHooks): Membership {
  const services = new Map<string, ServiceHealth>();

  function add(svc: ServiceHealth, registration: InstanceRegistration): void {
    const entry: Entry = {
      service: registration.service_name,
      id: registration.instance_id,
      registration,
      state: INITIAL_STATE,
      removed: false,
      check: null,
    };
    svc.entries.set(entry.id, entry);
    hooks.added(entry);
  }

  function update(entry: Entry, registration: InstanceRegistration): void {
    if (entry.registration === registration) return;
    const urlChanged = entry.registration.health_check_url !== registration.health_check_url;
    entry.registration = registration;
    if (urlChanged) hooks.urlChanged(entry);
  }

  function remove(svc: ServiceHealth, entry: Entry): void {
    entry.removed = true;
    svc.entries.delete(entry.id);
    hooks.removed(entry);
  }

  /** Adopts the registry's current array once the entries match it. */
  function settle(name: string, svc: ServiceHealth, list: readonly InstanceRegistration[]) {
    svc.source = list;
    svc.view = null;
    if (svc.entries.size > 0) return svc;
    services.delete(name);
    return undefined;
  }

  function sync(name: string): ServiceHealth | undefined {
    const list = registry.instancesOf(name);
    let svc = services.get(name);
    if (!svc) {
      if (list.length === 0) return undefined;
      svc = { entries: new Map(), source: list, view: null };
      services.set(name, svc);
    }
    const present = new Set<string>();
    for (const registration of list) {
      present.add(registration.instance_id);
      const entry = svc.entries.get(registration.instance_id);
      if (entry) update(entry, registration);
      else add(svc, registration);
    }
    for (const entry of svc.entries.values()) {
      if (!present.has(entry.id)) remove(svc, entry);
    }
    return settle(name, svc, list);
  }

  /**
   * Every membership change comes with its own event, so the instance an event names is all that
   * changed since the last one; should the counts still differ (a change without an event), the
   * whole service is reconciled.
   */
  function syncInstance(name: string, id: string): void {
    const svc = services.get(name);
    if (!svc) {
      sync(name);
      return;
    }
    const registration = registry.get(name, id);
    const entry = svc.entries.get(id);
    if (registration && entry) update(entry, registration);
    else if (registration) add(svc, registration);
    else if (entry) remove(svc, entry);
    const list = registry.instancesOf(name);
    if (list.length === svc.entries.size) settle(name, svc, list);
    else sync(name);
  }

  function* entries(): IterableIterator<Entry> {
    for (const svc of services.values()) yield* svc.entries.values();
  }

  return {
    sync,
    syncInstance,
    current(name) {
      const svc = services.get(name);
      if (svc && svc.source === registry.instancesOf(name)) return svc;
      return sync(name);
    },
    find(service, id) {
      return services.get(service)?.entries.get(id);
    },
    view(svc) {
      svc.view ??= viewService(svc.source, (r) => svc.entries.get(r.instance_id)?.state.status ?? 'UNKNOWN');
      return svc.view;
    },
    invalidate(entry) {
      const svc = services.get(entry.service);
      if (svc) svc.view = null;
    },
    entries,
  };
}
