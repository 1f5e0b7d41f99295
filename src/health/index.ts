export { createHealthMonitor, type HealthMonitorDeps } from './monitor.js';
export { classifyError, createProber, type ProbeResult, type Prober } from './probe.js';
export type {
  HealthMonitor,
  HealthSummary,
  InstanceHealth,
  InstanceStatus,
  Outcome,
  OutcomeKind,
  RoutingPolicy,
} from './types.js';
