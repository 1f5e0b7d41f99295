/**
 * The one place that turns REDIS_URL into an ioredis client: a `Redis` for one server or a
 * Sentinel-managed master, a `Cluster` for `redis+cluster://`. The registry store, the health
 * sharing (both through bus.ts) and the rate-limit counters all connect through it, so each of
 * them works on every topology. Both client classes take the same commands; the gateway keeps
 * every multi-key operation inside one hash tag, so nothing needs more than one slot.
 */
import { createRequire } from 'node:module';
import type { Cluster, Redis, RedisOptions } from 'ioredis';
import { parseRedisUrl } from './options.js';

export type RedisClient = Redis | Cluster;

type IoRedis = typeof import('ioredis');
/**
 * ioredis is required when the first client is made: a gateway on sqlite or memory with local
 * rate limits never loads it (a couple of MB of heap). It is CommonJS, so `require` keeps the
 * factory synchronous, and an ESM `import` elsewhere gets the same module instance.
 */
const requireHere = createRequire(import.meta.url);
function loadIoRedis(): IoRedis {
  return requireHere('ioredis') as IoRedis;
}

/** Whether `client` is a Cluster client (its subscriptions move between nodes). */
export function isClusterClient(client: RedisClient): client is Cluster {
  return client instanceof loadIoRedis().Cluster;
}

export interface RedisClientOptions {
  /** CLIENT SETNAME of each connection. */
  readonly connectionName: string;
  /**
   * Bound on one command. When set, commands also fail at once while Redis is unreachable (no
   * offline queue, no resend after a lost connection): for callers that must answer now. Without
   * it commands wait for the connection (a subscriber's SUBSCRIBE).
   */
  readonly commandTimeoutMs?: number;
  /** Bound on opening one connection (default 5 s). */
  readonly connectTimeoutMs?: number;
  /** Longest wait between reconnection attempts (default 2 s). */
  readonly maxReconnectDelayMs?: number;
}

/** A new client for `url` (connecting in the background); throws on an invalid URL. */
export function createRedisClient(url: string, options: RedisClientOptions): RedisClient {
  const target = parseRedisUrl(url);
  const maxDelay = options.maxReconnectDelayMs ?? 2_000;
  const retry = (times: number) => Math.min(50 * 2 ** Math.min(times, 10), maxDelay);
  const failFast = options.commandTimeoutMs !== undefined;
  const connection: RedisOptions = {
    // RESP2 works with every Redis, Sentinel and Cluster version; nothing here needs RESP3.
    protocol: 2,
    connectionName: options.connectionName,
    connectTimeout: options.connectTimeoutMs ?? 5_000,
    ...(failFast
      ? {
          autoResendUnfulfilledCommands: false,
          maxRetriesPerRequest: 0,
          commandTimeout: options.commandTimeoutMs!,
        }
      : { maxRetriesPerRequest: null }),
  };
  const { Cluster, Redis } = loadIoRedis();
  if (target.kind === 'cluster') {
    return new Cluster([...target.nodes], {
      enableOfflineQueue: !failFast,
      clusterRetryStrategy: retry,
      redisOptions: { ...target.options, ...connection },
    });
  }
  return new Redis({
    ...target.options,
    ...connection,
    enableOfflineQueue: !failFast,
    retryStrategy: retry,
    // Sentinel: leave the old master as soon as the sentinels announce a failover (+switch-master),
    // rather than writing to it until it is demoted (those writes would be lost).
    ...(target.kind === 'sentinel' ? { failoverDetector: true } : {}),
  });
}
