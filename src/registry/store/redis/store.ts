/**
 * The Redis store: registrations shared by every gateway that uses the same Redis and key prefix.
 * Writes are atomic Lua scripts that also publish the change (scripts.ts); every gateway applies
 * the published changes to its in-memory view, so a proxied request never waits for Redis. Lease
 * expiry is the store's: whichever gateway's `expireLeases` runs first removes a due instance and
 * announces it, once. After the subscriber reconnects, subscribers get a `resync` (reload).
 */
import type { Logger } from 'pino';
import type { InstanceRegistration } from '../../types.js';
import type { InstanceRef, RegistryStore, StoreChange } from '../types.js';
import { createRedisBus, type RedisBus } from './bus.js';
import { decodeChange, decodeRegistration, fieldOf, registryKeys } from './codec.js';
import { defineStoreScripts } from './scripts.js';

export interface RedisStore extends RegistryStore {
  readonly name: 'redis';
  /** The connections, for other users of the same Redis (health sharing). */
  readonly bus: RedisBus;
  /** Every key this store (and its users) writes starts with this. */
  readonly prefix: string;
}

export interface RedisStoreOptions {
  /** REDIS_URL; ignored when `bus` is given. */
  readonly url?: string;
  /** Connections to use (not closed by the store); by default the store opens and owns its own. */
  readonly bus?: RedisBus;
  readonly prefix: string;
  readonly logger?: Logger;
  /** How long `load()` waits for Redis at start (default 5 s). */
  readonly connectTimeoutMs?: number;
}

/** Instances one expiry script removes at most; more due ones take more calls. */
const EXPIRE_BATCH = 500;

function parseScores(flat: readonly string[]): Map<string, number> {
  const scores = new Map<string, number>();
  for (let i = 0; i + 1 < flat.length; i += 2) scores.set(flat[i]!, Number(flat[i + 1]));
  return scores;
}

export function createRedisStore(options: RedisStoreOptions): RedisStore {
  const { prefix, logger } = options;
  if (!options.bus && !options.url) throw new Error('createRedisStore needs a url or a bus');
  const bus = options.bus ?? createRedisBus({ url: options.url!, ...(logger ? { logger } : {}) });
  const keys = registryKeys(prefix);
  const scripts = defineStoreScripts(bus.command, keys, keys.channel);
  const listeners = new Set<(change: StoreChange) => void>();
  let closed = false;

  const deliver = (change: StoreChange) => {
    for (const listener of listeners) listener(change);
  };
  const subscribed = bus.subscribe(keys.channel, (message) => {
    const change = decodeChange(message);
    if (change) deliver(change);
    else logger?.warn({ channel: keys.channel }, 'ignored a registry change message it cannot read');
  });
  subscribed.catch(() => {}); // awaited (and its failure reported) by load()
  const offReconnect = bus.onReconnect(() => deliver({ type: 'resync' }));

  let connectedOnce = false;

  /** Waits for the first connection only; once it was up, a command fails fast while Redis is away. */
  async function usable(): Promise<void> {
    if (closed) throw new Error('redis registry store is closed');
    if (connectedOnce) return;
    await bus.whenReady(options.connectTimeoutMs ?? 5_000);
    await subscribed;
    connectedOnce = true;
  }

  async function load(): Promise<InstanceRegistration[]> {
    await usable();
    const replies = await bus.command
      .multi()
      .hgetall(keys.instances)
      .zrange(keys.leases, '0', '-1', 'WITHSCORES')
      .exec();
    if (!replies) throw new Error('redis transaction was aborted');
    for (const [err] of replies) if (err) throw err;
    const rows = replies[0]![1] as Record<string, string>;
    const leases = parseScores(replies[1]![1] as string[]);
    return Object.entries(rows).map(([field, json]) => decodeRegistration(json, leases.get(field) ?? null));
  }

  async function expireLeases(nowMs: number): Promise<InstanceRef[]> {
    await usable();
    const expired: InstanceRef[] = [];
    for (;;) {
      const batch = await scripts.expire(nowMs, EXPIRE_BATCH);
      for (const json of batch) {
        const { service_name, instance_id } = JSON.parse(json) as InstanceRegistration;
        expired.push({ service_name, instance_id });
      }
      if (batch.length < EXPIRE_BATCH) return expired;
    }
  }

  return {
    name: 'redis',
    bus,
    prefix,
    load,
    async put(r) {
      await usable();
      const leaseMs = r.lease_expires_at === null ? null : Date.parse(r.lease_expires_at);
      await scripts.put(fieldOf(r.service_name, r.instance_id), JSON.stringify(r), leaseMs);
    },
    async remove(serviceName, instanceId) {
      await usable();
      return (await scripts.remove(fieldOf(serviceName, instanceId))) === 1;
    },
    async removeService(serviceName) {
      await usable();
      return scripts.removeService(fieldOf(serviceName, ''));
    },
    async renewLease(serviceName, instanceId, leaseExpiresAt) {
      await usable();
      return (await scripts.renew(fieldOf(serviceName, instanceId), Date.parse(leaseExpiresAt))) === 1;
    },
    expireLeases,
    subscribe(onChange) {
      listeners.add(onChange);
      return () => listeners.delete(onChange);
    },
    async ping() {
      if (closed || !bus.connected) return false;
      return bus.command.ping().then(
        (reply) => reply === 'PONG',
        () => false,
      );
    },
    async close() {
      if (closed) return;
      closed = true;
      offReconnect();
      listeners.clear();
      if (!options.bus) await bus.close();
    },
  };
}
