import type { HealthMonitor, InstanceHealth, InstanceStatus } from '../health/index.js';
import type { InstanceRegistration, Registry } from '../registry/index.js';

/**
 * What the discovery API shows: membership facts (the registry's) merged with health facts
 * (the monitor's). Built on demand; neither owner's state is copied or kept here.
 */

export interface InstanceRecord {
  instance_id: string;
  base_url: string;
  health_check_url: string;
  status: InstanceStatus;
  metadata: Readonly<Record<string, unknown>>;
  weight: number;
  registered_at: string;
  updated_at: string;
  last_check_at: string | null;
  last_error: string | null;
  consecutive_failures: number;
  ttl_seconds: number | null;
  lease_expires_at: string | null;
}

export interface ServiceRecord {
  service_name: string;
  status: InstanceStatus;
  instances: InstanceRecord[];
}

export function instanceRecord(reg: InstanceRegistration, health: InstanceHealth): InstanceRecord {
  return {
    instance_id: reg.instance_id,
    base_url: reg.base_url,
    health_check_url: reg.health_check_url,
    status: health.status,
    metadata: reg.metadata,
    weight: reg.weight,
    registered_at: reg.registered_at,
    updated_at: reg.updated_at,
    last_check_at: health.last_check_at,
    last_error: health.last_error,
    consecutive_failures: health.consecutive_failures,
    ttl_seconds: reg.ttl_seconds,
    lease_expires_at: reg.lease_expires_at,
  };
}

/** The current record of a service, or null when it has no instance. */
export function serviceRecord(
  serviceName: string,
  registry: Registry,
  health: HealthMonitor,
): ServiceRecord | null {
  const instances = registry.instancesOf(serviceName);
  if (instances.length === 0) return null;
  return {
    service_name: serviceName,
    status: health.serviceStatus(serviceName),
    instances: instances.map((reg) => instanceRecord(reg, health.healthOf(serviceName, reg.instance_id))),
  };
}

/** Every service, by name, so listings are stable whatever order registrations came in. */
export function allServiceRecords(registry: Registry, health: HealthMonitor): ServiceRecord[] {
  const records: ServiceRecord[] = [];
  for (const name of [...registry.serviceNames()].sort()) {
    const record = serviceRecord(name, registry, health);
    if (record) records.push(record);
  }
  return records;
}

/**
 * Service status from instance statuses (SPEC section 5), for a record built from a snapshot
 * (a removed service, whose live status the monitor no longer knows).
 */
export function combinedStatus(statuses: readonly InstanceStatus[]): InstanceStatus {
  if (statuses.includes('HEALTHY')) return 'HEALTHY';
  if (statuses.includes('UNKNOWN') || statuses.length === 0) return 'UNKNOWN';
  return 'UNHEALTHY';
}
