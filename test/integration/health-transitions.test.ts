import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type EventStreamClient, openEventStream, type SseMessage } from '../helpers/event-stream.js';
import { type StartedGateway, startGateway } from '../helpers/gateway.js';
import { type HealthServer, startHealthServer } from '../helpers/health-server.js';
import { call } from '../helpers/http.js';

/**
 * SPEC section 5 seen through the admin API: a real instance whose /health is flipped walks
 * UNKNOWN → HEALTHY → UNHEALTHY → HEALTHY, each step after its threshold of consecutive
 * results, and each step is announced with its reason.
 */
describe('instance status follows its health checks', () => {
  let gw: StartedGateway;
  let instance: HealthServer;
  let stream: EventStreamClient;

  beforeAll(async () => {
    gw = await startGateway({
      // The timeout may equal the interval; a generous one keeps a loaded machine from adding
      // 'timed out' failures to the exact sequences asserted below.
      healthCheckIntervalMs: 300,
      healthCheckUnhealthyIntervalMs: 300,
      healthCheckTimeoutMs: 300,
      healthyThreshold: 2,
      unhealthyThreshold: 3,
    });
    instance = await startHealthServer();
    stream = await openEventStream(`${gw.url}/api/discovery/events`);
  });
  afterAll(async () => {
    stream.close();
    await gw.close();
    await instance.close();
  });

  const statusChange = (to: string) => (m: SseMessage) =>
    m.event === 'status_changed' && m.data.new_status === to;
  const instanceView = async () => {
    const res = await call<{ instances: Record<string, unknown>[] }>(
      'GET',
      `${gw.url}/api/discovery/services/flip`,
    );
    return res.body.instances[0]!;
  };

  it('a new instance is UNKNOWN, and its first passing check makes it HEALTHY at once', async () => {
    const res = await call<{ instances: { status: string; last_check_at: unknown }[] }>(
      'POST',
      `${gw.url}/api/discovery/services`,
      { service_name: 'flip', base_url: instance.url },
    );
    expect(res.status).toBe(201);
    const healthy = await stream.next(statusChange('HEALTHY'), 3_000);
    expect(healthy.data).toMatchObject({
      type: 'status_changed',
      service_name: 'flip',
      old_status: 'UNKNOWN',
      new_status: 'HEALTHY',
      reason: 'health check passed',
    });
    // No threshold for the first result: the first check alone decided.
    const at = Date.parse(String(healthy.data.timestamp));
    expect(instance.checksBetween(0, at)).toHaveLength(1);
    const view = await instanceView();
    expect(view).toMatchObject({ status: 'HEALTHY', last_error: null, consecutive_failures: 0 });
    expect(view.last_check_at).toEqual(expect.any(String));
  });

  it('turns UNHEALTHY only after UNHEALTHY_THRESHOLD consecutive failures, with the reason', async () => {
    const flippedAt = Date.now();
    instance.status = 500;
    const unhealthy = await stream.next(statusChange('UNHEALTHY'), 5_000);
    expect(unhealthy.data).toMatchObject({ old_status: 'HEALTHY', reason: 'health check returned 500' });
    const failures = instance.checksBetween(flippedAt, Date.parse(String(unhealthy.data.timestamp)));
    expect(failures.map((r) => r.status)).toEqual([500, 500, 500]);
    const view = await instanceView();
    expect(view).toMatchObject({ status: 'UNHEALTHY', last_error: 'health check returned 500' });
    expect(view.consecutive_failures).toBeGreaterThanOrEqual(3);
    const service = await call('GET', `${gw.url}/api/discovery/services/flip`);
    expect(service.body.status).toBe('UNHEALTHY');
  });

  it('recovers to HEALTHY after HEALTHY_THRESHOLD consecutive passes', async () => {
    const flippedAt = Date.now();
    instance.status = 200;
    const healthy = await stream.next(statusChange('HEALTHY'), 5_000);
    expect(healthy.data).toMatchObject({ old_status: 'UNHEALTHY', reason: 'health check passed' });
    const passes = instance.checksBetween(flippedAt, Date.parse(String(healthy.data.timestamp)));
    expect(passes.map((r) => r.status)).toEqual([200, 200]);
    expect(await instanceView()).toMatchObject({
      status: 'HEALTHY',
      last_error: null,
      consecutive_failures: 0,
    });
  });

  it('announces each change once, in order', () => {
    const changes = stream.messages.filter((m) => m.event === 'status_changed').map((m) => m.data.new_status);
    expect(changes).toEqual(['HEALTHY', 'UNHEALTHY', 'HEALTHY']);
  });
});
