/** The shapes of the discovery API as the dashboard reads them (SPEC section 4). */

export type InstanceStatus = 'HEALTHY' | 'UNHEALTHY' | 'UNKNOWN';

export interface InstanceRecord {
  instance_id: string;
  base_url: string;
  health_check_url: string;
  status: InstanceStatus;
  weight: number;
  last_check_at: string | null;
  last_error: string | null;
  consecutive_failures: number;
  lease_expires_at: string | null;
  metadata: Record<string, unknown>;
}

export interface ServiceRecord {
  service_name: string;
  status: InstanceStatus;
  instances: InstanceRecord[];
}

export interface ServiceStats {
  service_name: string;
  request_rate_per_s: number;
  p95_ms: number | null;
  requests_total: number;
  errors_total: number;
}

export interface StatsResponse {
  services: ServiceStats[];
}

export type GatewayEventType = 'registered' | 'deregistered' | 'expired' | 'status_changed' | 'peer_passive';

export interface GatewayEvent {
  type: GatewayEventType;
  service_name: string;
  instance_id: string;
  timestamp: string;
  /** On `registered`: true for a new instance, false for an update of an existing one. */
  created?: boolean;
  old_status?: InstanceStatus;
  new_status?: InstanceStatus;
  reason?: string;
  /** On `peer_passive`: the other gateway whose passive health saw it, and what it saw. */
  gateway_id?: string;
  change?: 'ejected' | 'ejection_ended';
}

/** RFC 9457 problem JSON as the gateway sends it. */
export interface Problem {
  title?: string;
  status?: number;
  detail?: string;
  errors?: { field: string; message: string }[];
}
