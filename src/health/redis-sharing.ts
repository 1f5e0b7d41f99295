/**
 * Health sharing through Redis, on the registry store's connections. A claim is `SET key NX PX`
 * per instance incarnation, so about one gateway checks each instance per interval; results go
 * out on one channel and are also kept (with an expiry) so a gateway that starts adopts them.
 * While Redis is unreachable claims fail, and the monitor falls back to checking locally.
 * Passive ejections (and their end) go out on a second channel, as information for the others'
 * event streams; nothing is stored for them. Every key and channel carries the `{health}` hash
 * tag, so on a Redis Cluster a MULTI or MGET over them stays in one slot.
 */
import { createHash, randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { Logger } from 'pino';
import type { RedisBus } from '../registry/index.js';
import {
  type CheckTarget,
  type HealthSharing,
  type PeerPassiveReport,
  parsePassiveReport,
  parseSharedResult,
  type SharedCheckResult,
} from './sharing.js';

export interface RedisHealthSharingOptions {
  readonly bus: RedisBus;
  readonly prefix: string;
  /** How long a published result stays readable for gateways that start (a few intervals). */
  readonly stateTtlMs: number;
  readonly logger?: Logger;
  /** This gateway's name in claims and passive reports (default host, pid and a random part). */
  readonly gatewayId?: string;
}

/** A readable name unique to this gateway: several may run on one host, or in one process (tests). */
export function defaultGatewayId(): string {
  return `${hostname()}-${process.pid}-${randomBytes(3).toString('hex')}`;
}

/** A short, fixed-length key part naming one incarnation of an instance at one URL. */
function digest(t: CheckTarget): string {
  const text = [t.service_name, t.instance_id, t.health_check_url, t.registered_at].join('\u0000');
  return createHash('sha1').update(text).digest('hex');
}

export function createRedisHealthSharing(options: RedisHealthSharingOptions): HealthSharing {
  const { bus, prefix, logger } = options;
  const channel = `${prefix}{health}:results`;
  const passiveChannel = `${prefix}{health}:passive`;
  const claimKey = (t: CheckTarget) => `${prefix}{health}:claim:${digest(t)}`;
  const stateKey = (t: CheckTarget) => `${prefix}{health}:state:${digest(t)}`;
  const owner = options.gatewayId ?? defaultGatewayId();
  logger?.info({ gateway_id: owner }, 'health checks shared through Redis');

  return {
    async claim(target, ttlMs) {
      const reply = await bus.command.set(
        claimKey(target),
        owner,
        'PX',
        Math.max(1, Math.round(ttlMs)),
        'NX',
      );
      return reply === 'OK';
    },
    publish(result) {
      const json = JSON.stringify(result);
      bus.command
        .multi()
        .set(stateKey(result), json, 'PX', options.stateTtlMs)
        .publish(channel, json)
        .exec()
        .catch((err: unknown) => logger?.debug({ err }, 'could not share a health result'));
    },
    subscribe(onResult, onResync) {
      const onMessage = (message: string) => {
        const result = parseSharedResult(message);
        if (result) onResult(result);
      };
      bus.subscribe(channel, onMessage).catch((err: unknown) => {
        logger?.warn({ err }, 'could not subscribe to shared health results');
      });
      const offReconnect = bus.onReconnect(onResync);
      return () => {
        offReconnect();
        bus.unsubscribe(channel);
      };
    },
    async snapshot(targets) {
      const found: SharedCheckResult[] = [];
      // MGET in slices: one round trip per thousand instances.
      for (let i = 0; i < targets.length; i += 1_000) {
        const slice = targets.slice(i, i + 1_000);
        const values = await bus.command.mget(...slice.map(stateKey));
        for (const value of values) {
          const result = value === null ? null : parseSharedResult(value);
          if (result) found.push(result);
        }
      }
      return found;
    },
    publishPassive(report) {
      bus.command
        .publish(passiveChannel, JSON.stringify({ ...report, gateway_id: owner }))
        .catch((err: unknown) => logger?.debug({ err }, 'could not share a passive health change'));
    },
    subscribePassive(onReport: (report: PeerPassiveReport) => void) {
      const onMessage = (message: string) => {
        const report = parsePassiveReport(message);
        if (report && report.gateway_id !== owner) onReport(report);
      };
      bus.subscribe(passiveChannel, onMessage).catch((err: unknown) => {
        logger?.warn({ err }, 'could not subscribe to shared passive health changes');
      });
      return () => bus.unsubscribe(passiveChannel);
    },
  };
}
