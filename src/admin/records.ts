import type { HealthMonitor, InstanceHealth, InstanceStatus } from '../health/index.js';
import type { InstanceRegistration, Registry } from '../registry/index.js';

/**
 * What the discovery API shows: membership facts (the registry's) merged with health facts
 * (the monitor's). Built on demand from both owners' immutable objects; only their JSON is kept,
 * weakly, per registration.
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

// A registration and the monitor's health facts are both immutable (a change makes new objects),
// so the JSON of a pair never changes. Registration answers carry the whole service, every
// time: with many instances per service, serializing them again was most of a registration's CPU.
const instanceJson = new WeakMap<InstanceRegistration, { health: InstanceHealth; json: string }>();

function instanceRecordJson(reg: InstanceRegistration, health: InstanceHealth): string {
  const cached = instanceJson.get(reg);
  if (cached?.health === health) return cached.json;
  const json = JSON.stringify(instanceRecord(reg, health));
  instanceJson.set(reg, { health, json });
  return json;
}

/**
 * The JSON of a service's `ServiceRecord`, built from cached instance JSON;
 * `extra` fields (already JSON) go after `instances`. Null when the service has no instance.
 */
export function serviceRecordJson(
  serviceName: string,
  registry: Registry,
  health: HealthMonitor,
  extra = '',
): string | null {
  const instances = registry.instancesOf(serviceName);
  if (instances.length === 0) return null;
  let json = `{"service_name":${JSON.stringify(serviceName)},"status":"${health.serviceStatus(serviceName)}","instances":[`;
  for (let i = 0; i < instances.length; i++) {
    const reg = instances[i]!;
    if (i > 0) json += ',';
    json += instanceRecordJson(reg, health.healthOf(serviceName, reg.instance_id));
  }
  return `${json}]${extra}}`;
}

/** `{"services": [...], "total": n}` of every service, by name, so listings are stable whatever order registrations came in. */
export function serviceListJson(registry: Registry, health: HealthMonitor): string {
  const parts: string[] = [];
  for (const name of [...registry.serviceNames()].sort()) {
    const json = serviceRecordJson(name, registry, health);
    if (json !== null) parts.push(json);
  }
  return `{"services":[${parts.join(',')}],"total":${parts.length}}`;
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
