import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { availableParallelism } from 'node:os';
import { type TSchema, Type } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { parse as parseYaml } from 'yaml';
// Direct path: the URL parser has no imports, unlike the registry's index.
import { parseRedisUrl } from '../registry/store/redis/options.js';
// Direct path, not ../security/index.js: that index imports modules that import config back.
import { resolveRouteAuth } from '../security/auth-config.js';
import {
  BalancingSchema,
  type Environment,
  type GatewayConfig,
  type LogLevel,
  type OtelConfig,
  RateLimitSchema,
  StaticRouteSchema,
  StaticServiceSchema,
  type StoreKind,
  type TrustProxy,
} from './schema.js';

/** A configuration problem: one line that names the variable and what is wrong. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

type RawSettings = Record<string, string | undefined>;

const FILE_SECTIONS = new Set(['settings', 'services', 'routes', 'balancing', 'rate_limits']);

/** Every setting the gateway reads, by its environment-variable name. */
export const SETTING_NAMES = [
  'PORT',
  'HOST',
  'ENVIRONMENT',
  'LOG_LEVEL',
  'LOG_FORMAT',
  'ACCESS_LOG',
  'ALLOWED_HOSTS',
  'ALLOWED_ORIGINS',
  'GATEWAY_ADMIN_TOKEN',
  'REGISTRY_STORE',
  'REGISTRY_PATH',
  'REDIS_URL',
  'REDIS_KEY_PREFIX',
  'GATEWAY_WORKERS',
  'HEALTH_CHECK_INTERVAL_MS',
  'HEALTH_CHECK_TIMEOUT_MS',
  'HEALTH_CHECK_UNHEALTHY_INTERVAL_MS',
  'HEALTH_CHECK_CONCURRENCY',
  'HEALTHY_THRESHOLD',
  'UNHEALTHY_THRESHOLD',
  'PASSIVE_FAILURE_THRESHOLD',
  'PROXY_TIMEOUT_MS',
  'PROXY_CONNECT_TIMEOUT_MS',
  'PROXY_RETRIES',
  'CLIENT_HEADER_TIMEOUT_MS',
  'CLIENT_REQUEST_TIMEOUT_MS',
  'MAX_CONNECTIONS',
  'RATE_LIMIT_MAX',
  'RATE_LIMIT_WINDOW_MS',
  'REGISTER_SAMPLE_SERVICES',
  'DOCS_ENABLED',
  'UPSTREAM_ALLOWED_HOSTS',
  'SHUTDOWN_TIMEOUT_MS',
  'TRUST_PROXY',
  'RATE_LIMIT_STORE',
  'RATE_LIMIT_FAIL_OPEN',
  'OTEL_EXPORTER_OTLP_ENDPOINT',
  'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT',
  'OTEL_EXPORTER_OTLP_PROTOCOL',
  'OTEL_EXPORTER_OTLP_TRACES_PROTOCOL',
  'OTEL_SERVICE_NAME',
  'OTEL_TRACES_SAMPLER',
  'OTEL_TRACES_SAMPLER_ARG',
] as const;

function parseInteger(name: string, raw: string, min: number, max: number): number {
  const text = raw.trim();
  if (!/^-?\d+$/.test(text)) throw new ConfigError(`${name} must be an integer, got "${raw}"`);
  const value = Number(text);
  if (value < min || value > max) {
    throw new ConfigError(`${name} must be between ${min} and ${max}, got ${value}`);
  }
  return value;
}

function parseBoolean(name: string, raw: string): boolean {
  const text = raw.trim().toLowerCase();
  if (['true', '1', 'yes', 'on'].includes(text)) return true;
  if (['false', '0', 'no', 'off'].includes(text)) return false;
  throw new ConfigError(`${name} must be true or false, got "${raw}"`);
}

function parseChoice<T extends string>(name: string, raw: string, choices: readonly T[]): T {
  const text = raw.trim().toLowerCase() as T;
  if (!choices.includes(text)) {
    throw new ConfigError(`${name} must be one of ${choices.join(', ')}, got "${raw}"`);
  }
  return text;
}

function parseList(raw: string): string[] {
  return raw
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
}

function parseHostPatterns(name: string, raw: string): string[] {
  const list = parseList(raw);
  for (const p of list) {
    if (p !== '*' && !/^(\*\.)?[A-Za-z0-9.:[\]-]+$/.test(p)) {
      throw new ConfigError(`${name} has an invalid host pattern "${p}"`);
    }
  }
  return list.map((p) => p.toLowerCase());
}

function parseOrigins(raw: string): string[] {
  const list = parseList(raw);
  for (const origin of list) {
    if (origin === '*') continue;
    let url: URL;
    try {
      url = new URL(origin);
    } catch {
      throw new ConfigError(`ALLOWED_ORIGINS has an invalid origin "${origin}"`);
    }
    if (url.origin !== origin.replace(/\/$/, '')) {
      throw new ConfigError(
        `ALLOWED_ORIGINS entry "${origin}" must be a bare origin like https://app.example.com`,
      );
    }
  }
  return list.map((o) => o.replace(/\/$/, ''));
}

/** REDIS_URL in any form the Redis client takes (one server, Sentinel, Cluster), checked by its own parser. */
function parseRedisUrlSetting(raw: string): string {
  try {
    parseRedisUrl(raw);
  } catch (err) {
    throw new ConfigError((err as Error).message);
  }
  return raw.trim();
}

function parseKeyPrefix(raw: string): string {
  if (!/^[\x21-\x7e]{1,64}$/.test(raw)) {
    throw new ConfigError(`REDIS_KEY_PREFIX must be 1-64 printable characters without spaces, got "${raw}"`);
  }
  return raw;
}

function parseWorkers(raw: string): number {
  if (raw.trim().toLowerCase() === 'auto') return availableParallelism();
  return parseInteger('GATEWAY_WORKERS', raw, 1, 1024);
}

/** TRUST_PROXY: true/false, a hop count, or a comma list of IPs and CIDRs (src/security/client-ip.ts). */
function parseTrustProxy(raw: string): TrustProxy {
  const text = raw.trim().toLowerCase();
  if (['true', 'yes', 'on'].includes(text)) return true;
  if (['false', 'no', 'off'].includes(text)) return false;
  if (/^\d+$/.test(text)) return parseInteger('TRUST_PROXY', text, 0, 64);
  const list = parseList(text);
  for (const entry of list) {
    const [address = '', bits, extra] = entry.split('/');
    const family = isIP(address);
    const max = family === 6 ? 128 : 32;
    if (
      family === 0 ||
      extra !== undefined ||
      (bits !== undefined && !(/^\d+$/.test(bits) && Number(bits) <= max))
    ) {
      throw new ConfigError(
        `TRUST_PROXY must be true, false, a hop count or a comma list of IPs/CIDRs, got "${entry}"`,
      );
    }
  }
  return list;
}

/** Checks each route's auth and resolves its `env:NAME` secrets (one line naming the route on error). */
function resolveRoutes(
  routes: GatewayConfig['routes'],
  where: string,
  env: NodeJS.ProcessEnv,
): GatewayConfig['routes'] {
  return routes.map((route, i) => {
    if (route.auth === undefined) return route;
    try {
      return { ...route, auth: resolveRouteAuth(route.auth, env) };
    } catch (err) {
      throw new ConfigError(`GATEWAY_CONFIG ${where}: routes.${i}.auth ${(err as Error).message}`);
    }
  });
}

interface FileConfig {
  settings: RawSettings;
  services: GatewayConfig['services'];
  routes: GatewayConfig['routes'];
  balancing: GatewayConfig['balancing'];
  rateLimits: GatewayConfig['rateLimits'];
}

function checkSection<T extends TSchema>(file: string, where: string, schema: T, value: unknown): void {
  const first = Value.Errors(schema, value).First();
  if (first) {
    const path = first.path ? `${where}${first.path.replaceAll('/', '.')}` : where;
    throw new ConfigError(`GATEWAY_CONFIG ${file}: ${path} ${first.message}`);
  }
}

/** Reads and checks the YAML file: `settings` (the same keys as the env), `services`, `routes`, `balancing`. */
export function readConfigFile(file: string): FileConfig {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigError(
      `GATEWAY_CONFIG cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? err}`,
    );
  }
  let doc: unknown;
  try {
    doc = parseYaml(text) ?? {};
  } catch (err) {
    throw new ConfigError(
      `GATEWAY_CONFIG ${file} is not valid YAML: ${(err as Error).message.split('\n')[0]}`,
    );
  }
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) {
    throw new ConfigError(`GATEWAY_CONFIG ${file} must hold a mapping at the top level`);
  }
  const top = doc as Record<string, unknown>;
  for (const key of Object.keys(top)) {
    if (!FILE_SECTIONS.has(key)) {
      throw new ConfigError(
        `GATEWAY_CONFIG ${file}: unknown section "${key}" (expected settings, services, routes, balancing, rate_limits)`,
      );
    }
  }
  const settings: RawSettings = {};
  if (top.settings !== undefined) {
    if (typeof top.settings !== 'object' || top.settings === null || Array.isArray(top.settings)) {
      throw new ConfigError(`GATEWAY_CONFIG ${file}: settings must be a mapping`);
    }
    for (const [key, value] of Object.entries(top.settings)) {
      const name = key.toUpperCase();
      if (!(SETTING_NAMES as readonly string[]).includes(name)) {
        throw new ConfigError(`GATEWAY_CONFIG ${file}: unknown setting "${key}"`);
      }
      if (value === null || typeof value === 'object') {
        if (!Array.isArray(value))
          throw new ConfigError(`GATEWAY_CONFIG ${file}: settings.${key} must be a scalar`);
        settings[name] = value.join(',');
      } else {
        settings[name] = String(value);
      }
    }
  }
  const services = top.services ?? [];
  checkSection(file, 'services', Type.Array(StaticServiceSchema), services);
  const routes = top.routes ?? [];
  checkSection(file, 'routes', Type.Array(StaticRouteSchema), routes);
  const balancing = top.balancing ?? {};
  const rateLimits = top.rate_limits ?? {};
  checkSection(file, 'rate_limits', Type.Record(Type.String(), RateLimitSchema), rateLimits);
  checkSection(file, 'balancing', Type.Record(Type.String(), BalancingSchema), balancing);
  return {
    settings,
    services: services as GatewayConfig['services'],
    routes: routes as GatewayConfig['routes'],
    balancing: balancing as GatewayConfig['balancing'],
    rateLimits: rateLimits as GatewayConfig['rateLimits'],
  };
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}

/**
 * Builds the configuration: defaults < YAML file (`GATEWAY_CONFIG`) < environment.
 * Throws ConfigError with one line naming the variable on any bad value.
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): GatewayConfig {
  const configFile = env.GATEWAY_CONFIG?.trim() ? env.GATEWAY_CONFIG.trim() : null;
  const file: FileConfig = configFile
    ? readConfigFile(configFile)
    : { settings: {}, services: [], routes: [], balancing: {}, rateLimits: {} };
  const raw: RawSettings = { ...file.settings };
  for (const name of SETTING_NAMES) {
    const v = env[name];
    if (v !== undefined && v !== '') raw[name] = v;
  }
  const get = (name: (typeof SETTING_NAMES)[number]): string | undefined => raw[name];
  const int = (name: (typeof SETTING_NAMES)[number], def: number, min: number, max: number): number => {
    const v = get(name);
    return v === undefined ? def : parseInteger(name, v, min, max);
  };

  const environment: Environment = get('ENVIRONMENT')
    ? parseChoice('ENVIRONMENT', get('ENVIRONMENT')!, ['development', 'production'] as const)
    : 'development';
  const production = environment === 'production';
  const logLevel: LogLevel = get('LOG_LEVEL')
    ? parseChoice('LOG_LEVEL', get('LOG_LEVEL')!, [
        'fatal',
        'error',
        'warn',
        'info',
        'debug',
        'trace',
      ] as const)
    : 'info';
  const host = (get('HOST') ?? '0.0.0.0').trim();
  if (!/^[A-Za-z0-9.:-]+$/.test(host))
    throw new ConfigError(`HOST must be a host name or IP address, got "${host}"`);
  const registryStore: StoreKind = get('REGISTRY_STORE')
    ? parseChoice('REGISTRY_STORE', get('REGISTRY_STORE')!, ['sqlite', 'memory', 'redis'] as const)
    : 'sqlite';
  const registryPath = (get('REGISTRY_PATH') ?? 'data/registry.db').trim();
  if (registryPath === '') throw new ConfigError('REGISTRY_PATH must not be empty');

  const healthCheckIntervalMs = int('HEALTH_CHECK_INTERVAL_MS', 10_000, 100, 86_400_000);
  const healthCheckTimeoutMs = int('HEALTH_CHECK_TIMEOUT_MS', 2_000, 50, 86_400_000);
  if (healthCheckTimeoutMs > healthCheckIntervalMs) {
    throw new ConfigError(
      `HEALTH_CHECK_TIMEOUT_MS (${healthCheckTimeoutMs}) must not exceed HEALTH_CHECK_INTERVAL_MS (${healthCheckIntervalMs})`,
    );
  }
  const adminTokens = parseList(get('GATEWAY_ADMIN_TOKEN') ?? '');
  for (const token of adminTokens) {
    if (token.length < 8 || /\s/.test(token)) {
      throw new ConfigError(
        'GATEWAY_ADMIN_TOKEN must hold tokens of at least 8 characters without white space',
      );
    }
  }
  if (production && adminTokens.length === 0) {
    throw new ConfigError('GATEWAY_ADMIN_TOKEN is required when ENVIRONMENT=production');
  }
  const rateLimitRaw = get('RATE_LIMIT_MAX');

  const config: GatewayConfig = {
    port: int('PORT', 8000, 0, 65_535),
    host,
    environment,
    logLevel,
    logFormat: get('LOG_FORMAT')
      ? parseChoice('LOG_FORMAT', get('LOG_FORMAT')!, ['json', 'pretty', 'auto'] as const)
      : 'auto',
    accessLog: get('ACCESS_LOG') !== undefined ? parseBoolean('ACCESS_LOG', get('ACCESS_LOG')!) : true,
    allowedHosts: parseHostPatterns('ALLOWED_HOSTS', get('ALLOWED_HOSTS') ?? '*'),
    allowedOrigins:
      get('ALLOWED_ORIGINS') !== undefined ? parseOrigins(get('ALLOWED_ORIGINS')!) : production ? [] : ['*'],
    adminTokens,
    registryStore,
    registryPath,
    redisUrl: parseRedisUrlSetting(get('REDIS_URL') ?? 'redis://127.0.0.1:6379'),
    redisKeyPrefix: parseKeyPrefix(get('REDIS_KEY_PREFIX') ?? 'msa-gateway:'),
    gatewayWorkers: parseWorkers(get('GATEWAY_WORKERS') ?? '1'),
    healthCheckIntervalMs,
    healthCheckTimeoutMs,
    healthCheckUnhealthyIntervalMs: int(
      'HEALTH_CHECK_UNHEALTHY_INTERVAL_MS',
      healthCheckIntervalMs,
      100,
      86_400_000,
    ),
    healthCheckConcurrency: int('HEALTH_CHECK_CONCURRENCY', 64, 1, 10_000),
    healthyThreshold: int('HEALTHY_THRESHOLD', 1, 1, 100),
    unhealthyThreshold: int('UNHEALTHY_THRESHOLD', 2, 1, 100),
    passiveFailureThreshold: int('PASSIVE_FAILURE_THRESHOLD', 3, 1, 1000),
    proxyTimeoutMs: int('PROXY_TIMEOUT_MS', 30_000, 100, 86_400_000),
    proxyConnectTimeoutMs: int('PROXY_CONNECT_TIMEOUT_MS', 5_000, 100, 86_400_000),
    proxyRetries: int('PROXY_RETRIES', 2, 0, 10),
    clientHeaderTimeoutMs: int('CLIENT_HEADER_TIMEOUT_MS', 20_000, 100, 3_600_000),
    clientRequestTimeoutMs: int('CLIENT_REQUEST_TIMEOUT_MS', 60_000, 100, 86_400_000),
    maxConnections: int('MAX_CONNECTIONS', 10_000, 1, 10_000_000),
    rateLimitMax: rateLimitRaw === undefined ? null : parseInteger('RATE_LIMIT_MAX', rateLimitRaw, 1, 1e9),
    rateLimitWindowMs: int('RATE_LIMIT_WINDOW_MS', 60_000, 100, 86_400_000),
    registerSampleServices: production
      ? false
      : get('REGISTER_SAMPLE_SERVICES') !== undefined
        ? parseBoolean('REGISTER_SAMPLE_SERVICES', get('REGISTER_SAMPLE_SERVICES')!)
        : true,
    docsEnabled:
      get('DOCS_ENABLED') !== undefined ? parseBoolean('DOCS_ENABLED', get('DOCS_ENABLED')!) : true,
    upstreamAllowedHosts: parseHostPatterns('UPSTREAM_ALLOWED_HOSTS', get('UPSTREAM_ALLOWED_HOSTS') ?? ''),
    shutdownTimeoutMs: int('SHUTDOWN_TIMEOUT_MS', 5_000, 0, 600_000),
    configFile,
    services: file.services,
    routes: resolveRoutes(file.routes, configFile ?? 'routes', env),
    balancing: file.balancing,
    rateLimits: file.rateLimits,
    trustProxy: parseTrustProxy(get('TRUST_PROXY') ?? 'false'),
    rateLimitStore: get('RATE_LIMIT_STORE')
      ? parseChoice('RATE_LIMIT_STORE', get('RATE_LIMIT_STORE')!, ['memory', 'redis'] as const)
      : registryStore === 'redis'
        ? 'redis'
        : 'memory',
    rateLimitFailOpen:
      get('RATE_LIMIT_FAIL_OPEN') !== undefined
        ? parseBoolean('RATE_LIMIT_FAIL_OPEN', get('RATE_LIMIT_FAIL_OPEN')!)
        : true,
    otel: parseOtel(get),
  };
  if (config.clientHeaderTimeoutMs > config.clientRequestTimeoutMs) {
    throw new ConfigError('CLIENT_HEADER_TIMEOUT_MS must not exceed CLIENT_REQUEST_TIMEOUT_MS');
  }
  return deepFreeze(config);
}

/** An OTLP endpoint: an http(s) URL. */
function parseOtlpUrl(name: string, raw: string): URL {
  let url: URL;
  try {
    url = new URL(raw.trim());
  } catch {
    throw new ConfigError(`${name} must be a URL such as http://127.0.0.1:4318, got "${raw}"`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new ConfigError(`${name} must be an http:// or https:// URL, got "${raw}"`);
  }
  return url;
}

/**
 * The OTEL_* settings of the OpenTelemetry specification that the gateway reads itself (the
 * exporter reads the others, such as OTEL_EXPORTER_OTLP_HEADERS, from the environment); null
 * when neither OTLP endpoint is set.
 */
function parseOtel(get: (name: (typeof SETTING_NAMES)[number]) => string | undefined): OtelConfig | null {
  const traces = get('OTEL_EXPORTER_OTLP_TRACES_ENDPOINT');
  const base = get('OTEL_EXPORTER_OTLP_ENDPOINT');
  if (traces === undefined && base === undefined) return null;
  let tracesUrl: string;
  if (traces !== undefined) tracesUrl = parseOtlpUrl('OTEL_EXPORTER_OTLP_TRACES_ENDPOINT', traces).href;
  else {
    // The specification's rule for the signal-less endpoint: the signal's path is appended.
    const url = parseOtlpUrl('OTEL_EXPORTER_OTLP_ENDPOINT', base!);
    url.pathname = `${url.pathname.replace(/\/+$/, '')}/v1/traces`;
    tracesUrl = url.href;
  }
  const protocolName = get('OTEL_EXPORTER_OTLP_TRACES_PROTOCOL')
    ? 'OTEL_EXPORTER_OTLP_TRACES_PROTOCOL'
    : 'OTEL_EXPORTER_OTLP_PROTOCOL';
  const protocolRaw = get(protocolName);
  const sampler = get('OTEL_TRACES_SAMPLER');
  const ratio = get('OTEL_TRACES_SAMPLER_ARG')?.trim();
  if (ratio !== undefined && !(/^\d*\.?\d+$/.test(ratio) && Number(ratio) <= 1)) {
    throw new ConfigError(`OTEL_TRACES_SAMPLER_ARG must be a number from 0 to 1, got "${ratio}"`);
  }
  return {
    tracesUrl,
    protocol: protocolRaw
      ? parseChoice(protocolName, protocolRaw, ['http/protobuf', 'http/json'] as const)
      : 'http/protobuf',
    serviceName: get('OTEL_SERVICE_NAME')?.trim() || 'msa-gateway',
    sampler: sampler
      ? parseChoice('OTEL_TRACES_SAMPLER', sampler, [
          'always_on',
          'always_off',
          'traceidratio',
          'parentbased_always_on',
          'parentbased_always_off',
          'parentbased_traceidratio',
        ] as const)
      : 'parentbased_always_on',
    samplerRatio: ratio === undefined ? 1 : Number(ratio),
  };
}

/** A config for tests and embedding: defaults with the given overrides, no env read. */
export function testConfig(overrides: Partial<GatewayConfig> = {}): GatewayConfig {
  const base = loadConfig({
    ENVIRONMENT: 'development',
    REGISTER_SAMPLE_SERVICES: 'false',
    REGISTRY_STORE: 'memory',
    LOG_LEVEL: 'warn',
    PORT: '0',
    HOST: '127.0.0.1',
  });
  return deepFreeze({ ...base, ...overrides });
}
