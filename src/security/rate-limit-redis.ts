/**
 * Rate-limit counters in Redis, so several gateways share one budget (SPEC section 8). One Lua
 * call per hit: INCR, and PEXPIRE when the key is new, so the window starts at the first hit and
 * counting is atomic across gateways. When Redis cannot answer (down, not yet connected, slower
 * than the command timeout) the verdict follows RATE_LIMIT_FAIL_OPEN: allowed (the default: a
 * Redis outage must not take the API down with it), or refused with 503.
 */
import type { Logger } from 'pino';
import { createRedisClient, describeRedisUrl, type RedisClient } from '../registry/index.js';
import { type RateLimitStore, type Verdict, verdictOf } from './rate-limit-store.js';

const HIT_SCRIPT = `
local count = redis.call('INCR', KEYS[1])
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 then
  redis.call('PEXPIRE', KEYS[1], ARGV[1])
  ttl = tonumber(ARGV[1])
end
return {count, ttl}`;

type HitClient = RedisClient & { rateLimitHit(key: string, windowMs: number): Promise<[number, number]> };

export interface RedisRateLimitOptions {
  readonly url: string;
  /** Key prefix (REDIS_KEY_PREFIX); counters live under `<prefix>ratelimit:`. */
  readonly prefix: string;
  readonly failOpen: boolean;
  readonly logger?: Logger;
  /** A hit that takes longer counts as Redis being down (default 500 ms). */
  readonly commandTimeoutMs?: number;
}

export function createRedisRateLimitStore(options: RedisRateLimitOptions): RateLimitStore {
  const { logger, failOpen } = options;
  const timeoutMs = options.commandTimeoutMs ?? 500;
  const keyPrefix = `${options.prefix}ratelimit:`;
  let client: HitClient | null = null;
  /** The first connection attempt, bounded by the command timeout; null once it settled. */
  let startup: Promise<void> | null = null;
  let failing = false;

  /** Connects on the first hit, so a gateway whose limits are all off never opens a connection. */
  function connect(): HitClient {
    // A hit must fail at once while Redis is away, never wait in a queue for a reconnect.
    const redis = createRedisClient(options.url, {
      connectionName: 'msa-gateway-ratelimit',
      commandTimeoutMs: timeoutMs,
      connectTimeoutMs: 2_000,
    }) as HitClient;
    redis.defineCommand('rateLimitHit', { numberOfKeys: 1, lua: HIT_SCRIPT });
    redis.on('error', (err: Error) => logger?.debug({ err }, 'rate limit redis connection error'));
    startup = new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        redis.off('ready', done);
        startup = null;
        resolve();
      };
      const timer = setTimeout(done, timeoutMs);
      redis.once('ready', done);
    });
    return redis;
  }

  /**
   * Hits during the first connection attempt wait for it (bounded: start-up is not an outage);
   * after that, a connection that is not ready fails the hit at once.
   */
  async function ready(redis: HitClient): Promise<boolean> {
    if (redis.status === 'ready') return true;
    if (startup !== null) await startup;
    // Re-read after the wait: TypeScript's narrowing from the first check does not hold across await.
    return (redis.status as string) === 'ready';
  }

  function unavailable(max: number, err: unknown): Verdict {
    if (!failing) {
      failing = true;
      const where = describeRedisUrl(options.url);
      const outcome = failOpen ? 'allowing requests (RATE_LIMIT_FAIL_OPEN=true)' : 'refusing with 503';
      logger?.warn({ redis: where, err }, `rate limit store unavailable: ${outcome}`);
    }
    if (failOpen) return { allowed: true, limit: max, remaining: max, resetSeconds: 1 };
    return { allowed: false, limit: max, remaining: 0, resetSeconds: 1, unavailable: true };
  }

  return {
    name: 'redis',
    async hit(key, max, windowMs) {
      client ??= connect();
      try {
        if (!(await ready(client))) throw new Error('redis is not connected');
        const [count, ttl] = await client.rateLimitHit(keyPrefix + key, windowMs);
        if (failing) {
          failing = false;
          logger?.info('rate limit store reachable again');
        }
        return verdictOf(Number(count), max, Number(ttl));
      } catch (err) {
        return unavailable(max, err);
      }
    },
    async close() {
      const redis = client;
      client = null;
      if (redis === null) return;
      await redis.quit().catch(() => redis.disconnect());
    },
  };
}
