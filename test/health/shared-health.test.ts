import { afterEach, describe, expect, it } from 'vitest';
import { waitFor } from '../helpers/wait-for.js';
import {
  call,
  type Instance,
  type RedisGateways,
  sleep,
  startInstance,
  startRedisGateways,
} from '../scale/helpers.js';

const INTERVAL_MS = 300;

describe('health shared through Redis', () => {
  let cluster: RedisGateways | null = null;
  let svc: Instance | null = null;
  afterEach(async () => {
    await cluster?.close();
    cluster = null;
    await svc?.close();
    svc = null;
  });

  const statuses = () => cluster!.gateways.map((g) => g.gateway.health.healthOf('orders', 'o-1').status);

  it('three gateways check an instance about once per interval between them, and agree on its status', async () => {
    cluster = await startRedisGateways(3, {
      healthCheckIntervalMs: INTERVAL_MS,
      healthCheckTimeoutMs: 200,
      unhealthyThreshold: 1,
    });
    svc = await startInstance('orders-1');
    const [a] = cluster.gateways;
    const res = await call(`${a!.url}/api/discovery/services`, {
      method: 'POST',
      body: { service_name: 'orders', base_url: svc.url, instance_id: 'o-1' },
    });
    expect(res.status).toBe(201);
    await waitFor(() => statuses().every((s) => s === 'HEALTHY'), 2_000, 'all gateways to see HEALTHY');

    const from = svc.healthHits;
    const windowMs = 10 * INTERVAL_MS;
    await sleep(windowMs);
    const hits = svc.healthHits - from;
    // Unshared, three gateways would make ~30 checks; shared, about 10 (claims last 0.9 interval).
    expect(hits).toBeGreaterThanOrEqual(4); // checks go on (fewer only when this machine is very busy)
    expect(hits).toBeLessThanOrEqual(14);

    svc.healthStatus = 500;
    await waitFor(
      () => statuses().some((s) => s === 'UNHEALTHY'),
      3 * INTERVAL_MS,
      'one gateway to see UNHEALTHY',
    );
    const seenByOne = Date.now();
    await waitFor(
      () => statuses().every((s) => s === 'UNHEALTHY'),
      INTERVAL_MS,
      'all gateways to see UNHEALTHY',
    );
    expect(Date.now() - seenByOne).toBeLessThan(INTERVAL_MS);
    const facts = cluster.gateways.map((g) => g.gateway.health.healthOf('orders', 'o-1'));
    expect(new Set(facts.map((f) => f.last_check_at)).size).toBe(1);
    expect(facts.every((f) => f.last_error === 'health check returned 500')).toBe(true);
    // Each gateway announced the change once.
    for (const g of cluster.gateways) {
      const changes = g.events.filter((e) => e.type === 'status_changed' && e.new_status === 'UNHEALTHY');
      expect(changes).toHaveLength(1);
    }
  });

  it('a gateway that starts later adopts the shared status instead of starting UNKNOWN', async () => {
    cluster = await startRedisGateways(1, { healthCheckIntervalMs: 5_000, healthCheckTimeoutMs: 500 });
    svc = await startInstance('orders-1');
    svc.healthStatus = 503;
    const [a] = cluster.gateways;
    await a!.gateway.registry.register({ service_name: 'orders', base_url: svc.url, instance_id: 'o-1' });
    await waitFor(() => statuses()[0] === 'UNHEALTHY', 2_000, 'A to see UNHEALTHY');
    const hits = svc.healthHits;
    const late = await cluster.add();
    await waitFor(
      () => late.gateway.health.healthOf('orders', 'o-1').status === 'UNHEALTHY',
      1_000,
      'the late gateway to adopt UNHEALTHY',
    );
    expect(late.gateway.health.healthOf('orders', 'o-1').last_error).toBe('health check returned 503');
    expect(svc.healthHits).toBe(hits); // adopted, not re-checked
  });
});
