import { describe, expect, it } from 'vitest';
import {
  BUCKET_MS,
  createRequestStats,
  LATENCY_BOUNDS_S,
  latencySlot,
  MAX_SERVICES,
  quantileMs,
  WINDOW_MS,
} from '../../src/observability/stats.js';

/** A clock the test moves by hand; starts on a bucket boundary so the arithmetic reads plainly. */
function manualClock(start = 1_000 * BUCKET_MS) {
  let now = start;
  return {
    now: () => now,
    advance(ms: number) {
      now += ms;
    },
  };
}

describe('request stats: rate over the last minute', () => {
  it('reports zeros and no p95 for a service without requests', () => {
    const stats = createRequestStats(manualClock());
    expect(stats.recent('user-service')).toEqual({ requestRatePerS: 0, p95Ms: null, requests: 0, errors: 0 });
  });

  it('divides by the time since start while the window is not yet full', () => {
    const clock = manualClock();
    const stats = createRequestStats(clock);
    clock.advance(10_000);
    for (let i = 0; i < 50; i++) stats.record('user-service', 200, 0.01);
    expect(stats.recent('user-service').requestRatePerS).toBeCloseTo(5, 5);
  });

  it('divides by about a minute once the window is full', () => {
    const clock = manualClock();
    const stats = createRequestStats(clock);
    // One request every second for two minutes: the rate settles at 1/s.
    for (let s = 0; s < 120; s++) {
      clock.advance(1000);
      stats.record('user-service', 200, 0.01);
    }
    const recent = stats.recent('user-service');
    expect(recent.requestRatePerS).toBeCloseTo(1, 1);
    expect(recent.requests).toBeGreaterThanOrEqual(50);
    expect(recent.requests).toBeLessThanOrEqual(60);
  });

  it('forgets requests older than the window', () => {
    const clock = manualClock();
    const stats = createRequestStats(clock);
    stats.record('user-service', 200, 0.01);
    clock.advance(WINDOW_MS);
    expect(stats.recent('user-service')).toMatchObject({ requests: 0, p95Ms: null, requestRatePerS: 0 });
  });

  it('reuses a bucket after a full turn of the ring without keeping its old counts', () => {
    const clock = manualClock();
    const stats = createRequestStats(clock);
    for (let i = 0; i < 10; i++) stats.record('user-service', 503, 0.01);
    clock.advance(WINDOW_MS); // the same bucket index, one turn later
    stats.record('user-service', 200, 0.01);
    expect(stats.recent('user-service')).toMatchObject({ requests: 1, errors: 0 });
  });

  it('counts only 5xx answers as errors', () => {
    const stats = createRequestStats(manualClock());
    for (const status of [200, 301, 404, 429, 500, 502, 503, 504])
      stats.record('order-service', status, 0.01);
    expect(stats.recent('order-service')).toMatchObject({ requests: 8, errors: 4 });
  });

  it('keeps services apart', () => {
    const stats = createRequestStats(manualClock());
    stats.record('user-service', 200, 0.01);
    stats.record('product-service', 500, 0.01);
    stats.record('product-service', 200, 0.01);
    expect(stats.recent('user-service')).toMatchObject({ requests: 1, errors: 0 });
    expect(stats.recent('product-service')).toMatchObject({ requests: 2, errors: 1 });
    expect([...stats.services()].sort()).toEqual(['product-service', 'user-service']);
  });

  it('forgets a service on request', () => {
    const stats = createRequestStats(manualClock());
    stats.record('user-service', 200, 0.01);
    stats.forget('user-service');
    expect([...stats.services()]).toEqual([]);
    expect(stats.recent('user-service').requests).toBe(0);
  });

  it('stops tracking new services beyond the cap, keeping the ones it has', () => {
    const stats = createRequestStats(manualClock());
    for (let i = 0; i < MAX_SERVICES; i++) stats.record(`s${i}`, 200, 0.01);
    stats.record('one-too-many', 200, 0.01);
    stats.record('s0', 200, 0.01);
    expect(stats.recent('one-too-many').requests).toBe(0);
    expect(stats.recent('s0').requests).toBe(2);
  });
});

describe('request stats: p95 latency', () => {
  it('is near the true p95 of a spread of latencies', () => {
    const stats = createRequestStats(manualClock());
    // 1..100 ms, one each: the true p95 is 95 ms; the bucket holding it spans 75-100 ms.
    for (let ms = 1; ms <= 100; ms++) stats.record('user-service', 200, ms / 1000);
    const p95 = stats.recent('user-service').p95Ms!;
    expect(p95).toBeGreaterThanOrEqual(75);
    expect(p95).toBeLessThanOrEqual(100);
  });

  it('ignores a few slow outliers below the 5% tail', () => {
    const stats = createRequestStats(manualClock());
    for (let i = 0; i < 97; i++) stats.record('user-service', 200, 0.004);
    for (let i = 0; i < 3; i++) stats.record('user-service', 200, 9);
    const p95 = stats.recent('user-service').p95Ms!;
    expect(p95).toBeGreaterThan(3);
    expect(p95).toBeLessThanOrEqual(5);
  });

  it('reports the last bound for requests slower than every bound', () => {
    const stats = createRequestStats(manualClock());
    stats.record('user-service', 504, 120);
    expect(stats.recent('user-service').p95Ms).toBe(LATENCY_BOUNDS_S.at(-1)! * 1000);
  });
});

describe('latency histogram helpers', () => {
  it.each([
    [0, 0],
    [0.0005, 0],
    [0.0006, 1],
    [0.1, LATENCY_BOUNDS_S.indexOf(0.1)],
    [60, LATENCY_BOUNDS_S.length - 1],
    [61, LATENCY_BOUNDS_S.length],
  ])('puts %s s in slot %i (the first bound not below it)', (seconds, slot) => {
    expect(latencySlot(seconds)).toBe(slot);
  });

  it('interpolates inside the slot that holds the rank', () => {
    const histogram = new Uint32Array(LATENCY_BOUNDS_S.length + 1);
    histogram[1] = 10; // ten requests between 0.5 and 1 ms
    expect(quantileMs(histogram, 10, 0.5)).toBeCloseTo(0.75, 5);
    expect(quantileMs(histogram, 10, 1)).toBeCloseTo(1, 5);
    expect(quantileMs(histogram, 0, 0.95)).toBeNull();
  });
});
