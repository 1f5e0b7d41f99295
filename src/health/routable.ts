/**
 * Pure routing view of one service: which instances routing may pick, and the service status.
 * Policy `healthy_then_unknown`: HEALTHY instances, else UNKNOWN ones, else none; never
 * fail-open to UNHEALTHY ones.
 */
import type { InstanceRegistration } from '../registry/types.js';
import type { InstanceStatus } from './types.js';

export interface ServiceView {
  /** In registry order; the registry's own array when every instance qualifies. */
  readonly routable: readonly InstanceRegistration[];
  readonly status: InstanceStatus;
}

export const NO_INSTANCES: readonly InstanceRegistration[] = Object.freeze([]);

/** HEALTHY if any instance is, else UNKNOWN if any is (or there are none), else UNHEALTHY. */
export function combineStatus(healthy: number, unknown: number, total: number): InstanceStatus {
  if (healthy > 0) return 'HEALTHY';
  if (unknown > 0 || total === 0) return 'UNKNOWN';
  return 'UNHEALTHY';
}

export function viewService(
  instances: readonly InstanceRegistration[],
  statusOf: (instance: InstanceRegistration) => InstanceStatus,
): ServiceView {
  let healthy = 0;
  let unknown = 0;
  for (const instance of instances) {
    const status = statusOf(instance);
    if (status === 'HEALTHY') healthy++;
    else if (status === 'UNKNOWN') unknown++;
  }
  const status = combineStatus(healthy, unknown, instances.length);
  if (status === 'UNHEALTHY' || instances.length === 0) return { routable: NO_INSTANCES, status };
  const wanted = status;
  const count = wanted === 'HEALTHY' ? healthy : unknown;
  // Reuse the registry's array when nothing is filtered out: no copy, same identity.
  if (count === instances.length) return { routable: instances, status };
  const routable = Object.freeze(instances.filter((instance) => statusOf(instance) === wanted));
  return { routable, status };
}
