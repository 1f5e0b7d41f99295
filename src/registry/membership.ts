import { type InstanceRegistration, instanceKey } from './types.js';

/**
 * The in-memory view of who is registered. Per-service arrays are frozen and replaced on every
 * change (copy-on-write), so the proxy's `instancesOf` is one map lookup and callers may keep the
 * array they got (balancers cache by identity). Only the registry writes here.
 */
export interface Membership {
  get(serviceName: string, instanceId: string): InstanceRegistration | undefined;
  /** Lookup by `instanceKey(service, id)`. */
  getByKey(key: string): InstanceRegistration | undefined;
  instancesOf(serviceName: string): readonly InstanceRegistration[];
  /** Adds, or replaces in place (same position), one instance. */
  put(registration: InstanceRegistration): void;
  remove(serviceName: string, instanceId: string): InstanceRegistration | undefined;
  removeService(serviceName: string): readonly InstanceRegistration[] | undefined;
  /** Replaces everything (start-up): one array per service instead of one copy per instance. */
  replaceAll(registrations: readonly InstanceRegistration[]): void;
  serviceNames(): readonly string[];
  all(): readonly InstanceRegistration[];
  readonly serviceCount: number;
  readonly instanceCount: number;
}

const EMPTY: readonly InstanceRegistration[] = Object.freeze([]);

export function createMembership(): Membership {
  const byService = new Map<string, readonly InstanceRegistration[]>();
  const byKey = new Map<string, InstanceRegistration>();
  // Listings are rebuilt lazily after a change: writes are rare, listings may be frequent.
  let namesCache: readonly string[] | null = null;
  let allCache: readonly InstanceRegistration[] | null = null;

  const changed = (servicesChanged: boolean): void => {
    allCache = null;
    if (servicesChanged) namesCache = null;
  };

  return {
    get: (serviceName, instanceId) => byKey.get(instanceKey(serviceName, instanceId)),
    getByKey: (key) => byKey.get(key),
    instancesOf: (serviceName) => byService.get(serviceName) ?? EMPTY,
    put(registration) {
      const { service_name: service, instance_id: id } = registration;
      const list = byService.get(service) ?? EMPTY;
      const at = list.findIndex((r) => r.instance_id === id);
      const next = at === -1 ? [...list, registration] : list.with(at, registration);
      byService.set(service, Object.freeze(next));
      byKey.set(instanceKey(service, id), registration);
      changed(list === EMPTY);
    },
    remove(serviceName, instanceId) {
      const key = instanceKey(serviceName, instanceId);
      const removed = byKey.get(key);
      if (!removed) return undefined;
      byKey.delete(key);
      const rest = (byService.get(serviceName) ?? EMPTY).filter((r) => r.instance_id !== instanceId);
      if (rest.length === 0) byService.delete(serviceName);
      else byService.set(serviceName, Object.freeze(rest));
      changed(rest.length === 0);
      return removed;
    },
    removeService(serviceName) {
      const list = byService.get(serviceName);
      if (!list) return undefined;
      for (const r of list) byKey.delete(instanceKey(serviceName, r.instance_id));
      byService.delete(serviceName);
      changed(true);
      return list;
    },
    replaceAll(registrations) {
      byService.clear();
      byKey.clear();
      const lists = new Map<string, InstanceRegistration[]>();
      for (const r of registrations) {
        const key = instanceKey(r.service_name, r.instance_id);
        if (byKey.has(key)) continue;
        byKey.set(key, r);
        const list = lists.get(r.service_name);
        if (list) list.push(r);
        else lists.set(r.service_name, [r]);
      }
      for (const [service, list] of lists) byService.set(service, Object.freeze(list));
      changed(true);
    },
    serviceNames() {
      namesCache ??= Object.freeze([...byService.keys()]);
      return namesCache;
    },
    all() {
      allCache ??= Object.freeze([...byService.values()].flat());
      return allCache;
    },
    get serviceCount() {
      return byService.size;
    },
    get instanceCount() {
      return byKey.size;
    },
  };
}
