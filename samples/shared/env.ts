/** A bad environment variable: one line naming it, printed instead of a stack trace. */
export class SampleConfigError extends Error {
  override readonly name = 'SampleConfigError';
}

export interface ServiceEnv {
  port: number;
  host: string;
  /** URL the gateway should use to reach this instance; derived from HOST and the bound port when unset. */
  publicUrl: string | undefined;
  /** Set: register with this gateway and heartbeat. */
  gatewayUrl: string | undefined;
  adminToken: string | undefined;
  ttlSeconds: number;
  logLevel: string;
}

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

function integer(env: NodeJS.ProcessEnv, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name]?.trim();
  if (!raw) return fallback;
  const value = Number(raw);
  if (!/^\d+$/.test(raw) || value < min || value > max) {
    throw new SampleConfigError(`${name} must be an integer from ${min} to ${max}, got "${env[name]}"`);
  }
  return value;
}

function httpUrl(env: NodeJS.ProcessEnv, name: string): string | undefined {
  const raw = env[name]?.trim();
  if (!raw) return undefined;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new SampleConfigError(`${name} must be an http(s) URL such as http://localhost:8000, got "${raw}"`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new SampleConfigError(`${name} must use http or https, got "${raw}"`);
  }
  return raw.replace(/\/+$/, '');
}

/** Reads a sample's settings: PORT, HOST, PUBLIC_URL, GATEWAY_URL, GATEWAY_ADMIN_TOKEN, REGISTRATION_TTL_SECONDS, LOG_LEVEL. */
export function readServiceEnv(env: NodeJS.ProcessEnv, defaultPort: number): ServiceEnv {
  const logLevel = (env.LOG_LEVEL?.trim() || 'info').toLowerCase();
  if (!LOG_LEVELS.includes(logLevel)) {
    throw new SampleConfigError(`LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')}, got "${env.LOG_LEVEL}"`);
  }
  return {
    port: integer(env, 'PORT', defaultPort, 0, 65_535),
    host: env.HOST?.trim() || '0.0.0.0',
    publicUrl: httpUrl(env, 'PUBLIC_URL'),
    gatewayUrl: httpUrl(env, 'GATEWAY_URL'),
    adminToken: env.GATEWAY_ADMIN_TOKEN?.split(',')[0]?.trim() || undefined,
    ttlSeconds: integer(env, 'REGISTRATION_TTL_SECONDS', 30, 5, 86_400),
    logLevel,
  };
}

/** The URL others reach a service at, when PUBLIC_URL does not say: a wildcard address means this host. */
export function defaultPublicUrl(host: string, port: number): string {
  const name = host === '0.0.0.0' || host === '::' || host === '' ? 'localhost' : host;
  return `http://${name.includes(':') ? `[${name}]` : name}:${port}`;
}
