/** How the monitor's state reads from outside: per-instance facts, counts by status, change announcements. */
import type { Logger } from 'pino';
import type { EventHub, GatewayEvent } from '../events.js';
import type { HealthState, StatusChange } from './status.js';
import type { HealthSummary, InstanceHealth } from './types.js';

const NEVER_SEEN: InstanceHealth = Object.freeze({
  status: 'UNKNOWN',
  last_check_at: null,
  last_error: null,
  consecutive_failures: 0,
});

// States are immutable (each change makes a new one), so each is described once, however often
// listings and registration answers (the whole service, every time) read it.
const described = new WeakMap<HealthState, InstanceHealth>();

/** The API's facts of one instance; UNKNOWN and nulls for one the monitor has not seen. */
export function describeState(state: HealthState | undefined): InstanceHealth {
  if (!state) return NEVER_SEEN;
  let facts = described.get(state);
  if (!facts) {
    facts = Object.freeze({
      status: state.status,
      last_check_at: state.lastCheckAt === null ? null : new Date(state.lastCheckAt).toISOString(),
      last_error: state.lastError,
      consecutive_failures: state.consecutiveFailures,
    });
    described.set(state, facts);
  }
  return facts;
}

export function countStatuses(states: Iterable<HealthState>): HealthSummary {
  const counts = { instances: 0, healthy: 0, unhealthy: 0, unknown: 0 };
  for (const state of states) {
    counts.instances++;
    if (state.status === 'HEALTHY') counts.healthy++;
    else if (state.status === 'UNHEALTHY') counts.unhealthy++;
    else counts.unknown++;
  }
  return counts;
}

/** Announces a status change: the `status_changed` event, and a log line (warn when it went down). */
export function announceChange(
  events: EventHub<GatewayEvent>,
  logger: Logger | undefined,
  instance: { readonly service: string; readonly id: string },
  change: StatusChange,
  timestamp: string,
): void {
  events.emit({
    type: 'status_changed',
    service_name: instance.service,
    instance_id: instance.id,
    timestamp,
    old_status: change.from,
    new_status: change.to,
    reason: change.reason,
  });
  const fields = { service: instance.service, instance: instance.id, from: change.from, to: change.to };
  if (change.to === 'UNHEALTHY') logger?.warn({ ...fields, reason: change.reason }, 'instance unhealthy');
  else logger?.info({ ...fields, reason: change.reason }, 'instance status changed');
}
