/**
 * The hot-path tallies expose exactly what prom-client's own Counter and Histogram would: the same
 * requests are fed to both, and the registries' text and JSON are compared.
 */
import { Counter, Histogram, Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { DurationHistogram, RequestCounts } from '../../src/observability/request-tallies.js';

const BOUNDS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

function reference() {
  const registry = new Registry();
  const counter = new Counter({
    name: 'reqs_total',
    help: 'requests',
    labelNames: ['service', 'method', 'status'] as const,
    registers: [registry],
  });
  const histogram = new Histogram({
    name: 'req_seconds',
    help: 'durations',
    labelNames: ['service'] as const,
    buckets: BOUNDS,
    registers: [registry],
  });
  return {
    registry,
    counter,
    record(service: string, method: string, status: number, seconds: number) {
      counter.inc({ service, method, status: String(status) });
      histogram.observe({ service }, seconds);
    },
  };
}

function tallied() {
  const registry = new Registry();
  const counts = new RequestCounts();
  const counter = new Counter({
    name: 'reqs_total',
    help: 'requests',
    labelNames: ['service', 'method', 'status'] as const,
    registers: [registry],
    collect() {
      counts.flushInto(this);
    },
  });
  const histogram = new DurationHistogram('req_seconds', 'durations', BOUNDS, registry);
  return {
    registry,
    counter,
    record(service: string, method: string, status: number, seconds: number) {
      counts.count(service, method, status);
      histogram.observe(service, seconds);
    },
  };
}

/** A fixed, varied request sequence: every bucket, the bounds themselves, 0 and past the last bound. */
function requests(): [string, string, number, number][] {
  const out: [string, string, number, number][] = [];
  const services = ['users', 'orders', ''];
  const methods = ['GET', 'POST', 'DELETE'];
  const statuses = [200, 201, 404, 503];
  const durations = [0, 0.0004, ...BOUNDS, 0.0031, 0.07, 0.7, 3.3, 31, 120];
  let n = 0;
  for (const seconds of durations) {
    for (let k = 0; k < 3; k++) {
      out.push([services[n % 3]!, methods[(n >> 1) % 3]!, statuses[n % 4]!, seconds]);
      n++;
    }
  }
  return out;
}

describe('request tallies', () => {
  it('expose the same text and JSON as prom-client Counter and Histogram', async () => {
    const a = reference();
    const b = tallied();
    for (const r of requests()) {
      a.record(...r);
      b.record(...r);
    }
    expect(await b.registry.metrics()).toBe(await a.registry.metrics());
    expect(await b.registry.getMetricsAsJSON()).toEqual(await a.registry.getMetricsAsJSON());
    // A second read adds nothing twice; later requests show on the next read.
    expect(await b.registry.metrics()).toBe(await a.registry.metrics());
    a.record('users', 'GET', 200, 0.002);
    b.record('users', 'GET', 200, 0.002);
    expect(await b.registry.metrics()).toBe(await a.registry.metrics());
  });

  it('count from zero again after a reset, as prom-client does', async () => {
    const a = reference();
    const b = tallied();
    for (const r of requests()) {
      a.record(...r);
      b.record(...r);
    }
    await b.registry.metrics();
    a.registry.resetMetrics();
    b.registry.resetMetrics();
    a.record('users', 'GET', 200, 0.002);
    b.record('users', 'GET', 200, 0.002);
    expect(await b.registry.metrics()).toBe(await a.registry.metrics());
    expect((await b.counter.get()).values).toEqual([
      { value: 1, labels: { service: 'users', method: 'GET', status: '200' } },
    ]);
  });
});
