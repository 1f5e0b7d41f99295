/**
 * /metrics after known traffic through a real gateway (SPEC section 9): exact request counts by
 * service, method and status, the duration histogram, instance gauges, health checks, retries
 * and the process metrics.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { startGateway } from '../helpers/gateway.js';
import { call } from '../helpers/http.js';
import { closeAll, refusedUrl, startInstance, waitFor } from '../proxy/harness.js';

let stop: (() => Promise<void>) | null = null;
afterEach(async () => {
  await stop?.();
  stop = null;
  await closeAll();
});

describe('/metrics after known traffic', () => {
  it('counts every request exactly, by service, method and status', async () => {
    const instance = await startInstance((req, res) => {
      req.resume();
      req.on('end', () => {
        res.statusCode = req.url === '/boom' ? 500 : req.method === 'POST' ? 201 : 200;
        res.end('ok');
      });
    });
    const down = await startInstance(() => {}, 500);
    const gw = await startGateway({
      healthCheckIntervalMs: 200,
      healthCheckTimeoutMs: 200,
      healthCheckUnhealthyIntervalMs: 200,
      unhealthyThreshold: 1,
    });
    stop = gw.close;
    const { registry, health } = gw.gateway;
    await registry.register({ service_name: 'x', base_url: instance.url, instance_id: 'x1' });
    await registry.register({ service_name: 'down', base_url: down.url, instance_id: 'd1' });
    // A refusing instance whose health check passes (pointed at a live server), tried first.
    await registry.register({
      service_name: 'r',
      base_url: await refusedUrl(),
      instance_id: 'refusing',
      health_check_url: `${instance.url}/health`,
      weight: 1000,
    });
    await registry.register({ service_name: 'r', base_url: instance.url, instance_id: 'good' });
    const statusOf = (service: string, id: string) => health.healthOf(service, id).status;
    await waitFor(
      () =>
        statusOf('x', 'x1') === 'HEALTHY' &&
        statusOf('down', 'd1') === 'UNHEALTHY' &&
        statusOf('r', 'refusing') === 'HEALTHY' &&
        statusOf('r', 'good') === 'HEALTHY',
      5_000,
      'health statuses',
    );

    const statuses: number[] = [];
    for (let i = 0; i < 3; i++) statuses.push((await call('GET', `${gw.url}/proxy/x/items`)).status);
    for (let i = 0; i < 2; i++)
      statuses.push((await call('POST', `${gw.url}/proxy/x/items`, { a: i })).status);
    statuses.push((await call('GET', `${gw.url}/proxy/x/boom`)).status);
    statuses.push((await call('GET', `${gw.url}/proxy/down/items`)).status);
    statuses.push((await call('GET', `${gw.url}/proxy/r/items`)).status);
    expect(statuses).toEqual([200, 200, 200, 201, 201, 500, 503, 200]);

    const metrics = await call('GET', `${gw.url}/metrics`);
    expect(metrics.status).toBe(200);
    const lines = new Set(metrics.text.split('\n'));
    const has = (line: string) => expect(lines.has(line), line).toBe(true);
    has('gateway_requests_total{service="x",method="GET",status="200"} 3');
    has('gateway_requests_total{service="x",method="POST",status="201"} 2');
    has('gateway_requests_total{service="x",method="GET",status="500"} 1');
    has('gateway_requests_total{service="down",method="GET",status="503"} 1');
    has('gateway_requests_total{service="r",method="GET",status="200"} 1');
    has('gateway_request_duration_seconds_count{service="x"} 6');
    has('gateway_request_duration_seconds_count{service="r"} 1');
    has('gateway_upstream_instances{service="x",status="HEALTHY"} 1');
    has('gateway_upstream_instances{service="down",status="UNHEALTHY"} 1');
    has('gateway_upstream_instances{service="r",status="HEALTHY"} 2');
    has('gateway_retries_total{service="r"} 1');
    // Checks keep running, so their counts are floors.
    const count = (prefix: string) => {
      const line = [...lines].find((l) => l.startsWith(prefix + ' '));
      return line === undefined ? 0 : Number(line.slice(prefix.length + 1));
    };
    expect(count('gateway_health_checks_total{service="x",result="success"}')).toBeGreaterThanOrEqual(1);
    expect(count('gateway_health_checks_total{service="down",result="failure"}')).toBeGreaterThanOrEqual(1);
    expect(metrics.text).toMatch(/^process_cpu_user_seconds_total \d/m);
    expect(metrics.text).toMatch(/^nodejs_eventloop_lag_seconds /m);
    // Only proxied requests were counted under a service: no row for x beyond these.
    const xRows = [...lines].filter((l) => l.startsWith('gateway_requests_total{service="x"'));
    expect(xRows).toHaveLength(3);
  });
});
