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
    /** Filled in by the security issue (JWT / API keys); kept as an opaque object until then. */
    auth: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
  },
  { additionalProperties: false },
);
export type StaticRoute = Static<typeof StaticRouteSchema>;

export type Environment = 'development' | 'production';
export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace';
export type StoreKind = 'sqlite' | 'memory' | 'redis';

/** The whole, validated and frozen configuration of one gateway. */
export interface GatewayConfig {
  readonly port: number;
  readonly host: string;
  readonly environment: Environment;
  readonly logLevel: LogLevel;
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
}
