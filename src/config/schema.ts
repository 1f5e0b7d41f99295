import { type Static, Type } from '@sinclair/typebox';

/** Balancing policy of one service, from config or from instance metadata (`lb`, `hash_on`). */
export const BalancingSchema = Type.Object(
  {
    lb: Type.Union([Type.Literal('round_robin'), Type.Literal('least_outstanding'), Type.Literal('hash')]),
    hash_on: Type.Optional(
      Type.String({ pattern: "^(header:[A-Za-z0-9!#$%&'*+.^_`|~-]+|cookie:[^\\s;=]+|ip)$" }),
    ),
  },
  { additionalProperties: false },
);
export type BalancingConfig = Static<typeof BalancingSchema>;

/** A service declared in the config file: registered at start like an API registration. */
export const StaticServiceSchema = Type.Object(
  {
    service_name: Type.String(),
    base_url: Type.String(),
    health_check_url: Type.Optional(Type.String()),
    metadata: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
    instance_id: Type.Optional(Type.String()),
    weight: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000 })),
  },
  { additionalProperties: false },
);
export type StaticService = Static<typeof StaticServiceSchema>;

export const HeaderRulesSchema = Type.Object(
  {
    set: Type.Optional(Type.Record(Type.String(), Type.String())),
    remove: Type.Optional(Type.Array(Type.String())),
  },
  { additionalProperties: false },
);
export type HeaderRules = Static<typeof HeaderRulesSchema>;

/** A request budget: `max` requests per `window_ms` (per client; see docs/security.md). */
export const RateLimitSchema = Type.Object(
  {
    max: Type.Integer({ minimum: 1, maximum: 1_000_000_000 }),
    window_ms: Type.Integer({ minimum: 100, maximum: 86_400_000 }),
  },
  { additionalProperties: false },
);
export type RateLimitConfig = Static<typeof RateLimitSchema>;

const HeaderName = Type.String({ pattern: "^[A-Za-z0-9!#$%&'*+.^_`|~-]+$" });
const StringOrList = Type.Union([Type.String({ minLength: 1 }), Type.Array(Type.String(), { minItems: 1 })]);
const JwtAlgorithm = Type.Union(
  [
    'HS256',
    'HS384',
    'HS512',
    'RS256',
    'RS384',
    'RS512',
    'PS256',
    'PS384',
    'PS512',
    'ES256',
    'ES384',
    'ES512',
    'EdDSA',
  ].map((a) => Type.Literal(a)),
);

/**
 * Client authentication of a static route. One object for both types, so a mistake is reported
 * at the field that is wrong; which fields each type needs is checked by src/security/auth-config.ts.
 * `jwt`: one of `secret` (HS*, may be `env:NAME`), `public_key` (PEM, may be `env:NAME`) or
 * `jwks_url`; `api_key`: `keys` holds the sha256 (hex) of each key, never the key.
 */
export const RouteAuthSchema = Type.Object(
  {
    type: Type.Union([Type.Literal('jwt'), Type.Literal('api_key')]),
    secret: Type.Optional(Type.String({ minLength: 1 })),
    public_key: Type.Optional(Type.String({ minLength: 1 })),
    jwks_url: Type.Optional(Type.String({ pattern: '^https?://' })),
    algorithms: Type.Optional(Type.Array(JwtAlgorithm, { minItems: 1 })),
    audience: Type.Optional(StringOrList),
    issuer: Type.Optional(StringOrList),
    keep_authorization: Type.Optional(Type.Boolean()),
    header: Type.Optional(HeaderName),
    keys: Type.Optional(
      Type.Array(
        Type.Object(
          {
            id: Type.String({ pattern: '^[\\x21-\\x7e]{1,128}$' }),
            sha256: Type.String({ pattern: '^[0-9A-Fa-f]{64}$' }),
          },
          { additionalProperties: false },
        ),
        { minItems: 1 },
      ),
    ),
    keep_key: Type.Optional(Type.Boolean()),
    subject_header: Type.Optional(HeaderName),
  },
  { additionalProperties: false },
);
export type RouteAuthConfig = Static<typeof RouteAuthSchema>;

/** TRUST_PROXY: false, true (every hop), a hop count, or the trusted proxies' IPs/CIDRs. */
export type TrustProxy = boolean | number | readonly string[];

const HttpMethod = Type.Union(
  ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'].map((m) => Type.Literal(m)),
);

/** A static route: a path prefix (optionally a host and methods) mapped to a service. */
export const StaticRouteSchema = Type.Object(
  {
    name: Type.Optional(Type.String()),
    prefix: Type.String({ pattern: '^/' }),
    service: Type.String(),
    host: Type.Optional(Type.String()),
    methods: Type.Optional(Type.Array(HttpMethod, { minItems: 1 })),
    strip_prefix: Type.Optional(Type.Boolean()),
    add_prefix: Type.Optional(Type.String({ pattern: '^/' })),
    request_headers: Type.Optional(HeaderRulesSchema),
    response_headers: Type.Optional(HeaderRulesSchema),
    timeout_ms: Type.Optional(Type.Integer({ minimum: 100 })),
    body_limit_bytes: Type.Optional(Type.Integer({ minimum: 0 })),
    /** Client authentication (SPEC section 8); absent = open route. */
    auth: Type.Optional(RouteAuthSchema),
    rate_limit: Type.Optional(RateLimitSchema),
  },
  { additionalProperties: false },
);
export type StaticRoute = Static<typeof StaticRouteSchema>;

export type Environment = 'development' | 'production';
export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace';
/** LOG_FORMAT: `auto` is pretty in development on a terminal, JSON otherwise. */
export type LogFormat = 'json' | 'pretty' | 'auto';
export type StoreKind = 'sqlite' | 'memory' | 'redis';
/** OTEL_TRACES_SAMPLER: the OpenTelemetry SDK's sampler names. */
export type OtelSampler =
  | 'always_on'
  | 'always_off'
  | 'traceidratio'
  | 'parentbased_always_on'
  | 'parentbased_always_off'
  | 'parentbased_traceidratio';

/** OpenTelemetry trace export over OTLP/HTTP (src/observability/otel.ts). */
export interface OtelConfig {
  /** Where spans are POSTed: OTEL_EXPORTER_OTLP_TRACES_ENDPOINT as given, or OTEL_EXPORTER_OTLP_ENDPOINT + `/v1/traces`. */
  readonly tracesUrl: string;
  /** OTEL_EXPORTER_OTLP_(TRACES_)PROTOCOL: `http/protobuf` (default) or `http/json`. */
  readonly protocol: 'http/protobuf' | 'http/json';
  /** OTEL_SERVICE_NAME: the resource's service.name (default msa-gateway). */
  readonly serviceName: string;
  /** OTEL_TRACES_SAMPLER (default parentbased_always_on). */
  readonly sampler: OtelSampler;
  /** OTEL_TRACES_SAMPLER_ARG: the ratio of the traceidratio samplers, 0 to 1 (default 1). */
  readonly samplerRatio: number;
}

/** The whole, validated and frozen configuration of one gateway. */
export interface GatewayConfig {
  readonly port: number;
  readonly host: string;
  readonly environment: Environment;
  readonly logLevel: LogLevel;
  /** LOG_FORMAT (default auto). */
  readonly logFormat: LogFormat;
  /** ACCESS_LOG: one `proxied` line per proxied request at info level (default true). */
  readonly accessLog: boolean;
  /** Host-name patterns accepted in the Host header; `['*']` accepts any. */
  readonly allowedHosts: readonly string[];
  /** CORS origins; `['*']` allows any origin, `[]` none. */
  readonly allowedOrigins: readonly string[];
  /** Bearer tokens for the admin surface (several, so tokens can rotate); empty = admin API open. */
  readonly adminTokens: readonly string[];
  readonly registryStore: StoreKind;
  readonly registryPath: string;
  readonly redisUrl: string;
  /** Prefix of every Redis key and channel the gateway uses (REDIS_KEY_PREFIX). */
  readonly redisKeyPrefix: string;
  /** Gateway processes on this host (GATEWAY_WORKERS; `auto` = available cores), node:cluster when > 1. */
  readonly gatewayWorkers: number;
  readonly healthCheckIntervalMs: number;
  readonly healthCheckTimeoutMs: number;
  readonly healthCheckUnhealthyIntervalMs: number;
  readonly healthCheckConcurrency: number;
  readonly healthyThreshold: number;
  readonly unhealthyThreshold: number;
  readonly passiveFailureThreshold: number;
  readonly proxyTimeoutMs: number;
  readonly proxyConnectTimeoutMs: number;
  readonly proxyRetries: number;
  readonly clientHeaderTimeoutMs: number;
  readonly clientRequestTimeoutMs: number;
  readonly maxConnections: number;
  readonly rateLimitMax: number | null;
  readonly rateLimitWindowMs: number;
  readonly registerSampleServices: boolean;
  readonly docsEnabled: boolean;
  /** Host patterns a registration's URLs may point at; empty = any (subject to production rules). */
  readonly upstreamAllowedHosts: readonly string[];
  readonly shutdownTimeoutMs: number;
  /** Path of the YAML file the config came from, if any (watched for changes). */
  readonly configFile: string | null;
  readonly services: readonly StaticService[];
  readonly routes: readonly StaticRoute[];
  readonly balancing: Readonly<Record<string, BalancingConfig>>;
  /** TRUST_PROXY: whose X-Forwarded-For is believed (src/security/client-ip.ts). */
  readonly trustProxy: TrustProxy;
  /** Where rate-limit counters live (RATE_LIMIT_STORE; default redis with the redis registry store). */
  readonly rateLimitStore: 'memory' | 'redis';
  /** Allow requests while the Redis rate-limit store is down (RATE_LIMIT_FAIL_OPEN, default true). */
  readonly rateLimitFailOpen: boolean;
  /** Per-service budgets (config file `rate_limits`), per client. */
  readonly rateLimits: Readonly<Record<string, RateLimitConfig>>;
  /** OTLP trace export; null (no OTLP endpoint set) = off, and no OpenTelemetry module is loaded. */
  readonly otel: OtelConfig | null;
}
