import { statSync } from 'node:fs';
import type { Logger } from 'pino';
import type { Proxy as GatewayProxy } from '../proxy/types.js';
import { type Registry, validateRegistration } from '../registry/index.js';
import { ConfigError, loadConfig } from './load.js';
import type { GatewayConfig, StaticService } from './schema.js';

/** What a config reload can change in a running gateway. */
export interface Reconfigurable {
  readonly registry: Registry;
  readonly logger: Logger;
  readonly proxy: Pick<GatewayProxy, 'applyConfig'>;
}

/** Settings read once at start: a change to them is logged as needing a restart, not applied. */
const RESTART_ONLY: readonly (keyof GatewayConfig)[] = [
  'port',
  'host',
  'environment',
  'registryStore',
  'registryPath',
  'redisUrl',
  'redisKeyPrefix',
  'gatewayWorkers',
  'adminTokens',
  'allowedHosts',
  'allowedOrigins',
  'logLevel',
  'healthCheckIntervalMs',
  'healthCheckTimeoutMs',
  'proxyTimeoutMs',
  'proxyConnectTimeoutMs',
  'proxyRetries',
  'maxConnections',
  'trustProxy',
  'rateLimitMax',
  'rateLimitWindowMs',
  'rateLimitStore',
  'rateLimitFailOpen',
  'upstreamAllowedHosts',
];

/**
 * Applies a new version of the config file: routes and balancing swap atomically in the
 * proxy; services added to the file are registered, services removed from it deregistered.
 * An invalid file is refused and logged; the running config stays.
 */
export async function applyConfigChange(
  current: GatewayConfig,
  target: Reconfigurable,
  env: NodeJS.ProcessEnv,
): Promise<GatewayConfig> {
  let next: GatewayConfig;
  try {
    next = loadConfig(env);
  } catch (err) {
    const message = err instanceof ConfigError ? err.message : String(err);
    target.logger.error(`config reload refused, keeping the running config: ${message}`);
    return current;
  }
  const ignored = RESTART_ONLY.filter((key) => JSON.stringify(current[key]) !== JSON.stringify(next[key]));
  if (ignored.length > 0) {
    target.logger.warn({ settings: ignored }, 'config reload: these settings apply only after a restart');
  }
  target.proxy.applyConfig({ routes: next.routes, balancing: next.balancing, rateLimits: next.rateLimits });
  await syncStaticServices(current.services, next.services, target);
  target.logger.info({ routes: next.routes.length, services: next.services.length }, 'config reloaded');
  return next;
}

function serviceKey(s: StaticService): string {
  return `${s.service_name} ${s.instance_id ?? s.base_url}`;
}

async function syncStaticServices(
  before: readonly StaticService[],
  after: readonly StaticService[],
  target: Reconfigurable,
): Promise<void> {
  const kept = new Set(after.map(serviceKey));
  for (const old of before) {
    if (kept.has(serviceKey(old))) continue;
    // The registry's own validation derives the instance id exactly as registration did.
    const parsed = validateRegistration({ ...old });
    if (parsed.ok) await target.registry.deregisterInstance(old.service_name, parsed.value.instance_id);
  }
  const previous = new Map(before.map((s) => [serviceKey(s), JSON.stringify(s)]));
  for (const service of after) {
    if (previous.get(serviceKey(service)) === JSON.stringify(service)) continue;
    try {
      await target.registry.register({ ...service });
    } catch (err) {
      target.logger.error({ service: service.service_name, err }, 'config reload: service not registered');
    }
  }
}

/** Watches GATEWAY_CONFIG and applies valid changes; returns the stop function. */
export function watchConfigFile(
  initial: GatewayConfig,
  target: Reconfigurable,
  env: NodeJS.ProcessEnv = process.env,
  intervalMs = 500,
): () => void {
  const file = initial.configFile;
  if (!file) return () => {};
  let current = initial;
  let chain = Promise.resolve();
  // Polling stat follows editors that replace the file by rename, and the baseline is taken
  // now, synchronously, so no write after this call can be missed (fs.watchFile's first stat
  // is asynchronous and would take a quick write as its baseline).
  let seen = fingerprint(file);
  const timer = setInterval(() => {
    const now = fingerprint(file);
    if (now === seen) return;
    seen = now;
    chain = chain.then(async () => {
      current = await applyConfigChange(current, target, env);
    });
  }, intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}

function fingerprint(file: string): string {
  try {
    const stat = statSync(file);
    return `${stat.mtimeMs} ${stat.ctimeMs} ${stat.size} ${stat.ino}`;
  } catch {
    return 'missing';
  }
}
