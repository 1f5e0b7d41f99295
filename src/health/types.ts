import type { InstanceRegistration } from '../registry/types.js';

export type InstanceStatus = 'HEALTHY' | 'UNHEALTHY' | 'UNKNOWN';

/** The health facts of one instance, as the API shows them. */
export interface InstanceHealth {
  readonly status: InstanceStatus;
  /** ISO 8601 UTC of the last active check, null before the first. */
  readonly last_check_at: string | null;
  /** Text of the last failure; null before any and after a passing check. */
  readonly last_error: string | null;
  readonly consecutive_failures: number;
}

/** What the proxy reports after each attempt on an instance (passive health). */
export type OutcomeKind = 'ok' | 'connect' | 'timeout' | 'reset';
export interface Outcome {
  readonly kind: OutcomeKind;
  /** Duration of the attempt in ms. */
  readonly ms: number;
}

/** Instance counts by status, for /api/discovery/health and metrics. */
export interface HealthSummary {
  readonly instances: number;
  readonly healthy: number;
  readonly unhealthy: number;
  readonly unknown: number;
}

/** How routing uses status: HEALTHY instances, else UNKNOWN ones, else none (never fail-open). */
export type RoutingPolicy = 'healthy_then_unknown';

/**
 * The one owner of instance status. Follows the registry through its events,
 * runs active checks, takes passive outcomes, and announces `status_changed`.
 */
export interface HealthMonitor {
  /** Status facts of one instance (UNKNOWN / nulls for an instance it has not seen). */
  healthOf(serviceName: string, instanceId: string): InstanceHealth;
  /**
   * Hot path: the instances routing may pick for a service: HEALTHY ones, else UNKNOWN ones, else [].
   * A cached array, rebuilt only when membership or a status changes.
   */
  routable(serviceName: string): readonly InstanceRegistration[];
  /** Passive feedback from the proxy. */
  record(serviceName: string, instanceId: string, outcome: Outcome): void;
  /** Service status: HEALTHY if any instance is, else UNKNOWN if any is, else UNHEALTHY. */
  serviceStatus(serviceName: string): InstanceStatus;
  /** Counts over every instance it tracks. */
  summary(): HealthSummary;
  /** The routing policy's name, shown by /api/discovery/health. */
  readonly policy: RoutingPolicy;
  readonly running: boolean;
  readonly intervalMs: number;
  start(): void;
  close(): Promise<void>;
}
