/** Real gateways sharing one Redis, and real instances for them to check and proxy to. */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll } from 'vitest';
import type { GatewayConfig } from '../../src/config/index.js';
import type { GatewayEvent } from '../../src/events.js';
import { type StartedGateway, startGateway } from '../helpers/gateway.js';
import { waitFor } from '../helpers/wait-for.js';
import { deletePrefix, REDIS_URL, uniquePrefix } from './redis-helpers.js';

/** A service instance: `/health` answers `healthStatus` (and is counted), any other path 200 JSON. */
export interface Instance {
  readonly url: string;
  healthStatus: number;
  readonly healthHits: number;
  close(): Promise<void>;
}

export async function startInstance(name: string): Promise<Instance> {
  let healthHits = 0;
  const state = { healthStatus: 200 };
  const server: Server = createServer((req, res) => {
    if (req.url === '/health') {
      healthHits++;
      res.writeHead(state.healthStatus, { 'content-type': 'application/json' }).end('{}');
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ name, path: req.url }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    get healthStatus() {
      return state.healthStatus;
    },
    set healthStatus(value) {
      state.healthStatus = value;
    },
    get healthHits() {
      return healthHits;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** A gateway with every event it emitted, in order. */
export interface ObservedGateway extends StartedGateway {
  readonly events: GatewayEvent[];
}

export interface RedisGateways {
  readonly prefix: string;
  readonly gateways: ObservedGateway[];
  /** Starts one more gateway on the same Redis and prefix. */
  add(overrides?: Partial<GatewayConfig>): Promise<ObservedGateway>;
  close(): Promise<void>;
}

/** `n` gateways on the machine's Redis under one fresh key prefix (deleted by close()). */
export async function startRedisGateways(
  n: number,
  overrides: Partial<GatewayConfig> = {},
): Promise<RedisGateways> {
  const prefix = uniquePrefix();
  const gateways: ObservedGateway[] = [];
  async function add(extra: Partial<GatewayConfig> = {}): Promise<ObservedGateway> {
    const started = await startGateway({
      registryStore: 'redis',
      redisUrl: REDIS_URL,
      redisKeyPrefix: prefix,
      ...overrides,
      ...extra,
    });
    const events: GatewayEvent[] = [];
    started.gateway.events.subscribe((e) => events.push(e));
    const observed = { ...started, events };
    gateways.push(observed);
    return observed;
  }
  try {
    for (let i = 0; i < n; i++) await add();
  } catch (err) {
    await Promise.all(gateways.map((g) => g.close()));
    await deletePrefix(prefix);
    throw err;
  }
  return {
    prefix,
    gateways,
    add,
    async close() {
      await Promise.all(gateways.map((g) => g.close().catch(() => {})));
      await deletePrefix(prefix);
    },
  };
}

/** fetch + JSON body. */
export async function call(
  url: string,
  init: { method?: string; body?: unknown; headers?: Record<string, string> } = {},
): Promise<{ status: number; body: Record<string, unknown>; headers: Headers }> {
  const res = await fetch(url, {
    method: init.method ?? 'GET',
    headers: { ...(init.body !== undefined ? { 'content-type': 'application/json' } : {}), ...init.headers },
    ...(init.body !== undefined ? { body: JSON.stringify(init.body) } : {}),
  });
  const text = await res.text();
  let body: Record<string, unknown> = {};
  try {
    body = text ? (JSON.parse(text) as Record<string, unknown>) : {};
  } catch {
    body = { text };
  }
  return { status: res.status, body, headers: res.headers };
}

/** Polls GET `url` until it answers 200 (a route that reaches an instance), at most `timeoutMs`. */
export function waitForOk(url: string, timeoutMs: number, what: string): ReturnType<typeof call> {
  return waitFor(
    async () => {
      const res = await call(url);
      return res.status === 200 ? res : null;
    },
    timeoutMs,
    what,
  );
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export interface TopologyFixture<T> {
  /** The servers (started before the file's first test). */
  readonly topology: T;
  /** `n` gateways on the topology's REDIS_URL under a fresh key prefix, closed after the test. */
  gateways(n: number, overrides?: Partial<GatewayConfig>): Promise<ObservedGateway[]>;
  /** An instance for them (see startInstance), closed after the test. */
  instance(name: string): Promise<Instance>;
}

/**
 * Hooks for a test file whose gateways use a private Redis topology: `start` runs once before the
 * file's tests and its servers stop after them; gateways and instances close after each test.
 */
export function useRedisTopology<T extends { readonly url: string; stop(): Promise<void> }>(
  start: () => Promise<T>,
): TopologyFixture<T> {
  let topology: T | null = null;
  let gateways: RedisGateways | null = null;
  const instances: Instance[] = [];
  beforeAll(async () => {
    topology = await start();
  });
  afterAll(async () => {
    await topology?.stop();
  });
  afterEach(async () => {
    await gateways?.close();
    gateways = null;
    await Promise.all(instances.splice(0).map((i) => i.close()));
  });
  return {
    get topology() {
      if (!topology) throw new Error('the Redis topology is not started');
      return topology;
    },
    async gateways(n, overrides = {}) {
      gateways = await startRedisGateways(n, { redisUrl: this.topology.url, ...overrides });
      return gateways.gateways;
    },
    async instance(name) {
      const started = await startInstance(name);
      instances.push(started);
      return started;
    },
  };
}
