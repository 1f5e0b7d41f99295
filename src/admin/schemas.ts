import { type Static, type TSchema, Type } from '@sinclair/typebox';
import type { InstanceStatus } from '../health/index.js';
import { SERVICE_NAME_PATTERN } from '../registry/index.js';

/**
 * Response schemas of the admin API. They serialize the answers (fast-json-stringify) and are
 * the OpenAPI document's response entries, so what the docs show is what the wire carries.
 * Service records are the exception: records.ts writes their JSON from cached instance JSON,
 * and test/integration/discovery-api.test.ts holds them to these schemas, field order included.
 */

/**
 * `T` or null, as `type: [T's type, "null"]` (OpenAPI 3.1) rather than `anyOf`: the same document
 * meaning, but fast-json-stringify serializes a type list with a typeof test, where `anyOf` makes
 * it validate every value against each branch (formats included) to pick one.
 */
const Nullable = <T extends TSchema & { type: string }>(schema: T, description: string) =>
  Type.Unsafe<Static<T> | null>({ ...schema, type: [schema.type, 'null'], description });

const Iso = (description: string) => Type.String({ format: 'date-time', description });

// One `enum` rather than a union of literals: the same check, and a plainer OpenAPI entry.
const Status = (description: string) =>
  Type.Unsafe<InstanceStatus>({ type: 'string', enum: ['HEALTHY', 'UNHEALTHY', 'UNKNOWN'], description });

export const InstanceRecordSchema = Type.Object({
  instance_id: Type.String(),
  base_url: Type.String({ description: 'Normalized: WHATWG serialization, no trailing slash' }),
  health_check_url: Type.String(),
  status: Status('HEALTHY, UNHEALTHY, or UNKNOWN before the first health check'),
  metadata: Type.Record(Type.String(), Type.Unknown()),
  weight: Type.Integer({ minimum: 1, maximum: 1000 }),
  registered_at: Iso('First registration of this instance (kept across updates)'),
  updated_at: Iso('Last registration or update'),
  last_check_at: Nullable(Iso('Last active check'), 'null before the first check'),
  last_error: Nullable(Type.String(), 'Text of the last failure; null before any and after a pass'),
  consecutive_failures: Type.Integer({ minimum: 0 }),
  ttl_seconds: Nullable(Type.Integer(), 'Lease length; null without a lease'),
  lease_expires_at: Nullable(Iso('When the lease runs out'), 'null without a lease'),
});

const serviceRecordProperties = {
  service_name: Type.String(),
  status: Status('HEALTHY if any instance is, else UNKNOWN if any is, else UNHEALTHY'),
  instances: Type.Array(InstanceRecordSchema),
};

export const ServiceRecordSchema = Type.Object(serviceRecordProperties);

export const RegisterResponseSchema = Type.Object({
  ...serviceRecordProperties,
  instance_id: Type.String({ description: 'Id of the instance this request registered or updated' }),
});

export const ServiceListSchema = Type.Object({
  services: Type.Array(ServiceRecordSchema),
  total: Type.Integer({ description: 'Number of services' }),
});

export const HeartbeatResponseSchema = Type.Object({
  lease_expires_at: Nullable(Iso('New end of the lease'), 'null when the instance has no lease'),
});

export const DiscoveryHealthSchema = Type.Object({
  status: Type.Union([Type.Literal('healthy'), Type.Literal('degraded')], {
    description: '`degraded` when the registry store is unreachable',
  }),
  store: Type.String({ description: 'The store backend: sqlite, memory or redis' }),
  services: Type.Integer(),
  instances: Type.Integer(),
  healthy_instances: Type.Integer(),
  health_checker: Type.Object({ running: Type.Boolean(), interval_ms: Type.Integer() }),
  routing_policy: Type.String({ description: 'How routing uses status (never fail-open)' }),
});

export const RootSchema = Type.Object({
  name: Type.String(),
  version: Type.String(),
  environment: Type.String(),
  status: Type.Literal('running'),
  uptime_seconds: Type.Number(),
  services: Type.Object({ total: Type.Integer(), healthy: Type.Integer() }),
  endpoints: Type.Record(Type.String(), Type.String()),
});

export const LivenessSchema = Type.Object({
  status: Type.Literal('healthy'),
  timestamp: Iso('Now'),
  uptime_seconds: Type.Number(),
});

export const ReadinessSchema = Type.Object({
  status: Type.Literal('ready'),
  store: Type.String(),
});

export const ProblemSchema = Type.Object(
  {
    type: Type.String({ format: 'uri' }),
    title: Type.String(),
    status: Type.Integer(),
    detail: Type.String(),
    request_id: Type.String({ description: 'Same value as the X-Request-ID response header' }),
    code: Type.String({ examples: ['GW_ERR_VALIDATION'] }),
    errors: Type.Optional(
      Type.Array(Type.Object({ field: Type.String(), message: Type.String() }), {
        description: 'Every failing field (validation errors only)',
      }),
    ),
  },
  { $id: 'Problem', additionalProperties: true, description: 'RFC 9457 problem details' },
);

// Path parameters carry no pattern on purpose: a name that could never be registered is simply
// not found (404), as the discovery API promises, rather than a validation error.
export const ServiceParamsSchema = Type.Object({
  service_name: Type.String({ description: 'A registered service' }),
});

export const InstanceParamsSchema = Type.Object({
  service_name: Type.String({ description: 'A registered service' }),
  instance_id: Type.String({ description: 'An instance of that service' }),
});

export const EventsQuerySchema = Type.Object({
  service_name: Type.Optional(
    Type.String({ pattern: SERVICE_NAME_PATTERN, description: 'Only events of this service' }),
  ),
});

/**
 * A problem answer, under its own media type, for a route's `response` map. It refers to the
 * shared `Problem` schema (added to the app once), so the document holds one copy of it.
 */
export function problem(description: string) {
  return { description, content: { 'application/problem+json': { schema: Type.Ref(ProblemSchema) } } };
}

export const DISCOVERY_TAGS = ['discovery'];
/** Marks a route as needing the admin token in the document (when one is configured). */
export const ADMIN_SECURITY = [{ adminToken: [] }];
export const AUTH_PROBLEMS = {
  401: problem('No admin token (when GATEWAY_ADMIN_TOKEN is set)'),
  403: problem('Wrong admin token'),
  429: problem('Too many failed token attempts from this client'),
};
