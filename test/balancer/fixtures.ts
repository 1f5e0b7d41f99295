import type { HashOn, PickContext } from '../../src/balancer/index.js';
import type { InstanceRegistration } from '../../src/registry/types.js';

export function inst(
  id: string,
  weight = 1,
  extra: Partial<InstanceRegistration> = {},
): InstanceRegistration {
  return {
    service_name: 'svc',
    instance_id: id,
    base_url: `http://${id}.test`,
    health_check_url: `http://${id}.test/health`,
    metadata: {},
    weight,
    registered_at: '2026-01-01T00:00:00.000Z',
    updated_at: '2026-01-01T00:00:00.000Z',
    ttl_seconds: null,
    lease_expires_at: null,
    ...extra,
  };
}

/** A pick context with an optional exclude set and fixed sticky keys by source. */
export function ctx(
  exclude: string[] | null = null,
  keys: Partial<Record<string, string>> = {},
): PickContext {
  return {
    exclude: exclude ? new Set(exclude) : null,
    hashKey(on: HashOn) {
      const source = on.kind === 'ip' ? 'ip' : `${on.kind}:${on.name}`;
      return keys[source] ?? null;
    },
  };
}
