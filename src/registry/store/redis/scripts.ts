/**
 * The store's writes as Lua scripts: each one changes the instance hash and the lease index and
 * publishes the change in one atomic step, so subscribers see changes in the order Redis applied
 * them and a lease can only be expired once, by whichever gateway's call comes first.
 *
 * Keys: KEYS[1] the instances hash (field → registration JSON), KEYS[2] the lease index (sorted
 * set, field → lease expiry in epoch ms; the score is the lease's source of truth, since a
 * heartbeat rewrites only the score). ARGV[1] is always the change channel. Messages are JSON:
 * `{"type":"put"|"remove"|"expired","registration":{…}}`, plus `"lease":ms` after a renewal.
 */
import type { RedisClient } from './client.js';

const PUT = `
redis.call('HSET', KEYS[1], ARGV[2], ARGV[3])
if ARGV[4] == '' then redis.call('ZREM', KEYS[2], ARGV[2]) else redis.call('ZADD', KEYS[2], ARGV[4], ARGV[2]) end
redis.call('PUBLISH', ARGV[1], '{"type":"put","registration":' .. ARGV[3] .. '}')
return 1`;

const REMOVE = `
local json = redis.call('HGET', KEYS[1], ARGV[2])
if not json then return 0 end
redis.call('HDEL', KEYS[1], ARGV[2])
redis.call('ZREM', KEYS[2], ARGV[2])
redis.call('PUBLISH', ARGV[1], '{"type":"remove","registration":' .. json .. '}')
return 1`;

const REMOVE_SERVICE = `
local n = 0
local len = #ARGV[2]
for _, field in ipairs(redis.call('HKEYS', KEYS[1])) do
  if string.sub(field, 1, len) == ARGV[2] then
    local json = redis.call('HGET', KEYS[1], field)
    redis.call('HDEL', KEYS[1], field)
    redis.call('ZREM', KEYS[2], field)
    redis.call('PUBLISH', ARGV[1], '{"type":"remove","registration":' .. json .. '}')
    n = n + 1
  end
end
return n`;

const RENEW = `
local json = redis.call('HGET', KEYS[1], ARGV[2])
if not json then return 0 end
redis.call('ZADD', KEYS[2], ARGV[3], ARGV[2])
redis.call('PUBLISH', ARGV[1], '{"type":"put","lease":' .. ARGV[3] .. ',"registration":' .. json .. '}')
return 1`;

// ARGV[2] is the caller's clock (epoch ms), so tests can drive time; ARGV[3] bounds one call's work.
const EXPIRE = `
local out = {}
for _, field in ipairs(redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', ARGV[2], 'LIMIT', 0, tonumber(ARGV[3]))) do
  local json = redis.call('HGET', KEYS[1], field)
  redis.call('ZREM', KEYS[2], field)
  redis.call('HDEL', KEYS[1], field)
  if json then
    redis.call('PUBLISH', ARGV[1], '{"type":"expired","registration":' .. json .. '}')
    out[#out + 1] = json
  end
end
return out`;

type Arg = string | number;
type Script = (...args: Arg[]) => Promise<unknown>;

export interface StoreScripts {
  put(field: string, json: string, leaseMs: number | null): Promise<unknown>;
  remove(field: string): Promise<number>;
  removeService(fieldPrefix: string): Promise<number>;
  renew(field: string, leaseMs: number): Promise<number>;
  /** The registration JSON of each instance it expired. */
  expire(nowMs: number, limit: number): Promise<string[]>;
}

/** Defines the scripts on `redis` (EVALSHA, loading them on NOSCRIPT) for the given keys and channel. */
export function defineStoreScripts(
  redis: RedisClient,
  keys: { instances: string; leases: string },
  channel: string,
): StoreScripts {
  const sources = { PUT, REMOVE, REMOVE_SERVICE, RENEW, EXPIRE };
  for (const [name, lua] of Object.entries(sources)) {
    redis.defineCommand(`msaGateway${name}`, { numberOfKeys: 2, lua });
  }
  const scripts = redis as unknown as Record<string, Script>;
  const run = (name: keyof typeof sources, ...args: Arg[]) =>
    scripts[`msaGateway${name}`]!(keys.instances, keys.leases, channel, ...args);
  return {
    put: (field, json, leaseMs) => run('PUT', field, json, leaseMs ?? ''),
    remove: async (field) => Number(await run('REMOVE', field)),
    removeService: async (prefix) => Number(await run('REMOVE_SERVICE', prefix)),
    renew: async (field, leaseMs) => Number(await run('RENEW', field, leaseMs)),
    expire: async (nowMs, limit) => (await run('EXPIRE', nowMs, limit)) as string[],
  };
}
