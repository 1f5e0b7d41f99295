/**
 * The cluster's IPC wiring in one process: the primary's registry host and two "workers" (registry +
 * health monitor on the IPC store and sharing), joined by in-memory channels that serialize every
 * message to JSON as node:cluster does.
 */
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import {
  type Channel,
  createIpcStore,
  createRpcClient,
  createWorkerHealthSharing,
  type IpcMessage,
  type RegistryHost,
  startRegistryHost,
} from '../../src/cluster/index.js';
import { testConfig } from '../../src/config/index.js';
import { GatewayError } from '../../src/errors.js';
import { createEventHub, type GatewayEvent } from '../../src/events.js';
import { createHealthMonitor, type HealthMonitor } from '../../src/health/index.js';
import { createRegistry, type Registry } from '../../src/registry/index.js';
import { waitFor } from '../helpers/wait-for.js';
import { type Instance, sleep, startInstance } from './helpers.js';

const config = testConfig({ healthCheckIntervalMs: 200, healthCheckTimeoutMs: 100 });
const logger = pino({ level: 'silent' });

/** Two connected ends; messages arrive asynchronously, in order, as JSON copies. */
function channelPair(): { primary: Channel; worker: Channel; cut(): void } {
  const handlers = {
    primary: new Set<(m: IpcMessage) => void>(),
    worker: new Set<(m: IpcMessage) => void>(),
  };
  let open = true;
  const end = (self: keyof typeof handlers, peer: keyof typeof handlers): Channel => ({
    send(message) {
      if (!open) throw new Error('channel closed');
      const copy = JSON.parse(JSON.stringify(message)) as IpcMessage;
      setImmediate(() => {
        for (const h of handlers[peer]) h(copy);
      });
    },
    onMessage(handler) {
      handlers[self].add(handler);
      return () => handlers[self].delete(handler);
    },
  });
  return { primary: end('primary', 'worker'), worker: end('worker', 'primary'), cut: () => (open = false) };
}

interface Worker {
  registry: Registry;
  health: HealthMonitor;
  events: GatewayEvent[];
  cut(): void;
  close(): Promise<void>;
}

async function startWorker(host: RegistryHost): Promise<Worker> {
  const pair = channelPair();
  const detach = host.attach(pair.primary);
  const rpc = createRpcClient(pair.worker, 500);
  const hub = createEventHub<GatewayEvent>();
  const events: GatewayEvent[] = [];
  hub.subscribe((e) => events.push(e));
  const registry = createRegistry({ store: createIpcStore(pair.worker, rpc, 'memory'), events: hub });
  const sharing = createWorkerHealthSharing(pair.worker, rpc);
  const health = createHealthMonitor({ config, registry, events: hub, sharing });
  await registry.start();
  health.start();
  return {
    registry,
    health,
    events,
    cut: pair.cut,
    async close() {
      await health.close();
      await registry.close();
      detach();
      rpc.close();
    },
  };
}

describe('cluster IPC: a primary-owned registry and health for the workers', () => {
  let host: RegistryHost | null = null;
  const workers: Worker[] = [];
  let svc: Instance | null = null;
  afterEach(async () => {
    for (const w of workers.splice(0)) await w.close();
    await host?.close();
    host = null;
    await svc?.close();
    svc = null;
  });

  async function setup(): Promise<[Worker, Worker]> {
    host = await startRegistryHost(config, { logger });
    workers.push(await startWorker(host), await startWorker(host));
    return workers as [Worker, Worker];
  }

  it("a worker's write is committed by the primary and applied by every worker, once each", async () => {
    const [w1, w2] = await setup();
    svc = await startInstance('orders-1');
    const { created } = await w1.registry.register({
      service_name: 'orders',
      base_url: svc.url,
      instance_id: 'o-1',
    });
    expect(created).toBe(true);
    expect(host!.registry.get('orders', 'o-1')).toBeDefined();
    await waitFor(() => w2.registry.get('orders', 'o-1') !== undefined, 1_000, 'worker 2 to see it');
    await waitFor(
      () => [w1, w2].every((w) => w.health.healthOf('orders', 'o-1').status === 'HEALTHY'),
      2_000,
      'both workers to adopt the primary check',
    );
    // Only the primary checks: about one check per 200 ms interval, not three.
    const from = svc.healthHits;
    await sleep(1_000);
    expect(svc.healthHits - from).toBeLessThanOrEqual(7);
    await w2.registry.deregisterInstance('orders', 'o-1');
    await waitFor(() => w1.registry.get('orders', 'o-1') === undefined, 1_000, 'worker 1 to drop it');
    const membership = (w: Worker) => w.events.filter((e) => e.type !== 'status_changed').map((e) => e.type);
    expect(membership(w1)).toEqual(['registered', 'deregistered']);
    expect(membership(w2)).toEqual(['registered', 'deregistered']);
  });

  it('a worker that cannot reach the primary refuses writes with GW_ERR_STORE_UNAVAILABLE and is not ready', async () => {
    const [w1] = await setup();
    w1.cut();
    const write = w1.registry.register({ service_name: 'orders', base_url: 'http://127.0.0.1:9' });
    await expect(write).rejects.toBeInstanceOf(GatewayError);
    await expect(write).rejects.toMatchObject({ code: 'GW_ERR_STORE_UNAVAILABLE' });
    expect(await w1.registry.ready()).toBe(false);
    expect(host!.registry.size.instances).toBe(0);
  });

  it('a worker that starts later loads the registry and adopts the known health', async () => {
    const [w1] = await setup();
    svc = await startInstance('orders-1');
    svc.healthStatus = 500;
    await w1.registry.register({ service_name: 'orders', base_url: svc.url, instance_id: 'o-1' });
    await waitFor(() => host!.health.healthOf('orders', 'o-1').status === 'UNHEALTHY', 2_000, 'the check');
    const late = await startWorker(host!);
    workers.push(late);
    expect(late.registry.get('orders', 'o-1')).toBeDefined();
    await waitFor(() => late.health.healthOf('orders', 'o-1').status === 'UNHEALTHY', 500, 'adopted status');
  });
});
