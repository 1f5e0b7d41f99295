/**
 * Passive health stays per gateway, but its changes are shared as events: gateway A's proxy sees
 * an instance fail and ejects it; gateway B (same Redis and prefix) announces A's ejection as a
 * `peer_passive` event (SSE stream and dashboard timeline) and keeps routing to the instance.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import type { GatewayEvent } from '../../src/events.js';
import { type EventStreamClient, openEventStream } from '../helpers/event-stream.js';
import { waitFor } from '../helpers/wait-for.js';
import { call, type ObservedGateway, type RedisGateways, startRedisGateways } from '../scale/helpers.js';
import { redisClient } from '../scale/redis-helpers.js';

/** `/health` answers 200; while `failing`, every other request has its connection reset. */
async function flakyInstance() {
  const state = { failing: true };
  const server: Server = createServer((req, res) => {
    if (req.url === '/health' || !state.failing) {
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      return;
    }
    req.socket.destroy();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    state,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

type PeerPassive = Extract<GatewayEvent, { type: 'peer_passive' }>;
const peerEvents = (events: GatewayEvent[]) =>
  events.filter((e): e is PeerPassive => e.type === 'peer_passive');

describe('passive health shared as events through Redis', () => {
  let gateways: RedisGateways | null = null;
  let instance: Awaited<ReturnType<typeof flakyInstance>> | null = null;
  let stream: EventStreamClient | null = null;
  afterEach(async () => {
    stream?.close();
    stream = null;
    await gateways?.close();
    gateways = null;
    await instance?.close();
    instance = null;
  });

  it("B announces A's ejection and its end, once each, without ejecting the instance itself", async () => {
    gateways = await startRedisGateways(2, {
      healthCheckIntervalMs: 500,
      healthCheckTimeoutMs: 500,
      passiveFailureThreshold: 2,
      proxyRetries: 0,
    });
    const [a, b] = gateways.gateways as [ObservedGateway, ObservedGateway];
    instance = await flakyInstance();
    const watcher = redisClient();
    const published: Record<string, unknown>[] = [];
    try {
      await watcher.subscribe(`${gateways.prefix}{health}:passive`);
      watcher.on('message', (_channel: string, message: string) => published.push(JSON.parse(message)));
      stream = await openEventStream(`${b.url}/api/discovery/events?service_name=orders`);

      const registered = await call(`${a.url}/api/discovery/services`, {
        method: 'POST',
        body: { service_name: 'orders', base_url: instance.url, instance_id: 'o-1' },
      });
      expect(registered.status).toBe(201);
      const healthOn = (g: ObservedGateway) => g.gateway.health.healthOf('orders', 'o-1').status;
      await waitFor(() => healthOn(a) === 'HEALTHY' && healthOn(b) === 'HEALTHY', 2_000, 'HEALTHY on both');

      // Two reset connections through A: A's passive health ejects the instance.
      for (let i = 0; i < 2; i++) expect((await call(`${a.url}/proxy/orders/x`)).status).toBe(502);
      expect(healthOn(a)).toBe('UNHEALTHY');
      instance.state.failing = false; // the next active check passes and ends the ejection

      const ejected = await stream.next((m) => m.event === 'peer_passive', 2_000);
      expect(ejected.data).toMatchObject({
        type: 'peer_passive',
        service_name: 'orders',
        instance_id: 'o-1',
        change: 'ejected',
        reason: 'passive: 2 consecutive failures',
      });
      const gatewayA = ejected.data.gateway_id;
      expect(typeof gatewayA).toBe('string');
      // Information only: B never saw a failure, and routes to the instance.
      expect(b.events.some((e) => e.type === 'status_changed' && e.new_status === 'UNHEALTHY')).toBe(false);
      expect(healthOn(b)).toBe('HEALTHY');
      expect((await call(`${b.url}/proxy/orders/y`)).status).toBe(200);

      const ended = await stream.next((m) => m.event === 'peer_passive', 3_000);
      expect(ended.data).toMatchObject({
        change: 'ejection_ended',
        gateway_id: gatewayA,
        reason: 'health check passed',
      });
      expect(healthOn(a)).toBe('HEALTHY');

      // The dashboard timeline of B has both; A does not announce its own changes as a peer's.
      const timeline = await call(`${b.url}/api/discovery/timeline`);
      const fromTimeline = (timeline.body.events as Record<string, unknown>[]).filter(
        (e) => e.type === 'peer_passive',
      );
      expect(fromTimeline.map((e) => [e.change, e.gateway_id])).toEqual([
        ['ejection_ended', gatewayA],
        ['ejected', gatewayA],
      ]);
      expect(peerEvents(a.events)).toEqual([]);
      // One message per change, not one per failure.
      await new Promise((resolve) => setTimeout(resolve, 100));
      expect(published.map((m) => [m.gateway_id, m.change])).toEqual([
        [gatewayA, 'ejected'],
        [gatewayA, 'ejection_ended'],
      ]);
      expect(peerEvents(b.events)).toHaveLength(2);
    } finally {
      watcher.disconnect();
    }
  });
});
