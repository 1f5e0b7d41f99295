/** What a registration stores: membership facts only. Health lives in health/. */
export interface InstanceRegistration {
  readonly service_name: string;
  readonly instance_id: string;
  /** Normalized: WHATWG serialization, no trailing slash. */
  readonly base_url: string;
  readonly health_check_url: string;
  readonly metadata: Readonly<Record<string, unknown>>;
  readonly weight: number;
  /** ISO 8601 UTC: first registration of this instance (kept across updates). */
  readonly registered_at: string;
  /** ISO 8601 UTC: last registration or update. */
  readonly updated_at: string;
  readonly ttl_seconds: number | null;
  /** ISO 8601 UTC, or null without a lease. */
  readonly lease_expires_at: string | null;
}

/** The body of POST /api/discovery/services after validation (defaults not yet applied). */
export interface RegistrationInput {
  service_name: string;
  base_url: string;
  health_check_url?: string;
  metadata?: Record<string, unknown>;
  instance_id?: string;
  weight?: number;
  ttl_seconds?: number;
}

/** A registration after validation: defaults applied, URLs normalized, metadata a private JSON copy. */
export interface NormalizedRegistration {
  readonly service_name: string;
  readonly instance_id: string;
  readonly base_url: string;
  readonly health_check_url: string;
  readonly metadata: Readonly<Record<string, unknown>>;
  readonly weight: number;
  readonly ttl_seconds: number | null;
}

/**
 * Extra policy on a registration's URLs (the production SSRF guard, UPSTREAM_ALLOWED_HOSTS):
 * returns the field's error message, or null when the address is acceptable.
 */
export type AddressCheck = (url: URL, field: 'base_url' | 'health_check_url') => string | null;

export interface RegisterResult {
  readonly instance: InstanceRegistration;
  /** true: a new instance (201); false: an existing one updated (200). */
  readonly created: boolean;
  /** The registration it replaced, when updated. */
  readonly previous: InstanceRegistration | null;
}

/** Key of an instance across the gateway: service and instance id, NUL-separated (neither may hold NUL). */
export function instanceKey(serviceName: string, instanceId: string): string {
  return serviceName + '\u0000' + instanceId;
}

/**
 * The one owner of membership: who is registered, their leases, and persistence.
 * Writes resolve after the store made them durable, then emit their event.
 */
export interface Registry {
  /** Validates (throws GatewayError GW_ERR_VALIDATION naming every bad field), applies defaults, stores. */
  register(input: RegistrationInput): Promise<RegisterResult>;
  /** Removes every instance of a service (one `deregistered` event each); null if unknown. */
  deregisterService(serviceName: string): Promise<InstanceRegistration[] | null>;
  deregisterInstance(serviceName: string, instanceId: string): Promise<InstanceRegistration | null>;
  /** Renews the lease; null if the instance is unknown (it must register again). */
  heartbeat(serviceName: string, instanceId: string): Promise<InstanceRegistration | null>;
  /** Hot path: the instances of a service, a stable array replaced (never mutated) on change. */
  instancesOf(serviceName: string): readonly InstanceRegistration[];
  get(serviceName: string, instanceId: string): InstanceRegistration | undefined;
  serviceNames(): readonly string[];
  /** All instances of all services, for listings. */
  all(): readonly InstanceRegistration[];
  readonly size: { readonly services: number; readonly instances: number };
  /** Loads the store into memory and starts lease expiry. */
  start(): Promise<void>;
  /** Is the store reachable? (for /ready) */
  ready(): Promise<boolean>;
  readonly storeName: string;
  close(): Promise<void>;
}

/** Time source, injected so tests and pure decisions can control it. */
export interface Clock {
  now(): number;
}
export const systemClock: Clock = { now: () => Date.now() };
