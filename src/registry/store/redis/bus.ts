/**
 * The gateway's two Redis clients (client.ts: one server, Sentinel or Cluster): one for commands
 * and one in subscriber mode (Redis gives a subscribing connection over to pub/sub). Shared by the
 * registry store and the health sharing.
 *
 * Commands fail fast while Redis is unreachable (no offline queue, no resend after a lost
 * connection, a command timeout): an admin write must be answered 503, never queued and applied
 * minutes later. Both clients reconnect on their own; after the subscriber came back, the
 * listeners of `onReconnect` learn that messages may have been lost, so they can reload. On a
 * Cluster the subscription lives on one node, which ioredis replaces when it goes; a change of the
 * cluster's nodes (failover, resharding) counts as such a reconnection too.
 */
import type { Logger } from 'pino';
import { createRedisClient, isClusterClient, type RedisClient } from './client.js';
import { describeRedisUrl } from './options.js';

export interface RedisBus {
  /** The command client. */
  readonly command: RedisClient;
  /** Both connections are up. */
  readonly connected: boolean;
  /** Resolves once both connections are up; rejects after `timeoutMs`. */
  whenReady(timeoutMs?: number): Promise<void>;
  /** Delivers the channel's messages to `onMessage`; resolves once Redis confirmed the subscription. */
  subscribe(channel: string, onMessage: (message: string) => void): Promise<void>;
  /** Stops delivering the channel's messages. */
  unsubscribe(channel: string): void;
  /** `listener` runs after the subscriber reconnected (and resubscribed): messages may be lost. */
  onReconnect(listener: () => void): () => void;
  close(): Promise<void>;
}

export interface RedisBusOptions {
  readonly url: string;
  readonly logger?: Logger;
  /** Bound on one command (default 2 s). */
  readonly commandTimeoutMs?: number;
  /** Longest wait between reconnection attempts (default 2 s). */
  readonly maxReconnectDelayMs?: number;
}

export function createRedisBus(options: RedisBusOptions): RedisBus {
  const { logger } = options;
  const where = describeRedisUrl(options.url);
  const common = {
    ...(options.maxReconnectDelayMs !== undefined
      ? { maxReconnectDelayMs: options.maxReconnectDelayMs }
      : {}),
  };
  const command = createRedisClient(options.url, {
    ...common,
    connectionName: 'msa-gateway',
    commandTimeoutMs: options.commandTimeoutMs ?? 2_000,
  });
  // The subscriber queues its SUBSCRIBE until connected and resubscribes after a reconnect.
  const subscriber = createRedisClient(options.url, { ...common, connectionName: 'msa-gateway-sub' });
  const handlers = new Map<string, (message: string) => void>();
  const reconnectListeners = new Set<() => void>();
  let closed = false;
  let wasReady = false;

  subscriber.on('message', (channel: string, message: string) => handlers.get(channel)?.(message));
  for (const [name, client] of [
    ['command', command],
    ['subscriber', subscriber],
  ] as const) {
    let up = false;
    // Without an 'error' listener ioredis errors would crash the process; the state changes are logged.
    client.on('error', (err: Error) => logger?.debug({ err, connection: name }, 'redis connection error'));
    client.on('ready', () => {
      up = true;
      logger?.info({ redis: where, connection: name }, 'redis connection ready');
    });
    client.on('close', () => {
      if (up && !closed) logger?.warn({ redis: where, connection: name }, 'redis connection lost');
      up = false;
    });
  }
  /** Subscribes again (answered after ioredis' own resubscription), then tells the listeners. */
  function resubscribe(): void {
    if (closed) return;
    const channels = [...handlers.keys()];
    void (channels.length > 0 ? subscriber.subscribe(...channels) : Promise.resolve())
      .then(() => {
        if (closed) return;
        for (const listener of reconnectListeners) listener();
      })
      .catch((err: unknown) => {
        // Not connected: the next 'ready' resubscribes. Connected (a Cluster whose subscriber node
        // is being replaced): try again shortly.
        if (closed || subscriber.status !== 'ready') return;
        logger?.warn({ err }, 'redis resubscribe failed; retrying');
        setTimeout(resubscribe, 500).unref();
      });
  }
  subscriber.on('ready', () => {
    if (!wasReady) {
      wasReady = true;
      return;
    }
    resubscribe();
  });
  if (isClusterClient(subscriber)) {
    // Nodes left or joined: the subscription may have moved to another node, losing messages
    // meanwhile. One resync for a burst of changes, once ioredis picked the new node.
    let pending: NodeJS.Timeout | null = null;
    const topologyChanged = () => {
      if (!wasReady || closed || pending) return;
      pending = setTimeout(() => {
        pending = null;
        if (subscriber.status === 'ready') resubscribe();
      }, 200);
      pending.unref();
    };
    subscriber.on('-node', topologyChanged);
    subscriber.on('+node', topologyChanged);
  }

  const isConnected = () => command.status === 'ready' && subscriber.status === 'ready';

  return {
    command,
    get connected() {
      return isConnected();
    },
    whenReady(timeoutMs = 5_000) {
      return waitUntil(isConnected, [command, subscriber], timeoutMs, () =>
        closed ? 'the Redis connection is closed' : `Redis at ${where} is not reachable`,
      );
    },
    async subscribe(channel, onMessage) {
      handlers.set(channel, onMessage);
      await subscriber.subscribe(channel);
    },
    unsubscribe(channel) {
      if (!handlers.delete(channel) || closed) return;
      subscriber.unsubscribe(channel).catch(() => {}); // a lost connection drops it anyway
    },
    onReconnect(listener) {
      reconnectListeners.add(listener);
      return () => reconnectListeners.delete(listener);
    },
    async close() {
      if (closed) return;
      closed = true;
      handlers.clear();
      reconnectListeners.clear();
      command.disconnect();
      subscriber.disconnect();
    },
  };
}

/** Resolves when `check()` holds (re-checked on each client's 'ready'), rejects after `timeoutMs`. */
function waitUntil(
  check: () => boolean,
  clients: readonly RedisClient[],
  timeoutMs: number,
  message: () => string,
): Promise<void> {
  if (check()) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const onReady = () => {
      if (!check()) return;
      done();
      resolve();
    };
    const timer = setTimeout(() => {
      done();
      reject(new Error(message()));
    }, timeoutMs);
    const done = () => {
      clearTimeout(timer);
      for (const c of clients) c.off('ready', onReady);
    };
    for (const c of clients) c.on('ready', onReady);
  });
}
