import type { Clock } from '../registry/types.js';

/**
 * Recent per-service request statistics for the dashboard: request rate and p95 latency
 * over a sliding window of about a minute. Prometheus keeps the lifetime counters; this
 * answers "what is happening now" without a Prometheus server.
 *
 * The window is a ring of BUCKET_COUNT buckets of BUCKET_MS each. A bucket remembers
 * which tick (floor(now / BUCKET_MS)) it holds, so a stale bucket is recognised and
 * cleared lazily by the next `record` that lands in it: no timer, no sweep.
 * Each bucket counts requests, 5xx answers and a fixed-bound latency histogram from
 * which p95 is estimated by linear interpolation inside the bucket that holds it.
 */

export const BUCKET_MS = 10_000;
export const BUCKET_COUNT = 6;
/** The span the window covers once it is full. */
export const WINDOW_MS = BUCKET_MS * BUCKET_COUNT;

/**
 * Upper bounds (seconds) of the latency histogram: roughly 1-1.5-2-3-5-7.5 per decade, so
 * an estimate is within about a third of its bucket. Slower requests land in an overflow
 * bucket, estimated as the last bound.
 */
export const LATENCY_BOUNDS_S: readonly number[] = [
  0.0005, 0.001, 0.0015, 0.002, 0.003, 0.005, 0.0075, 0.01, 0.015, 0.02, 0.03, 0.05, 0.075, 0.1, 0.15, 0.2,
  0.3, 0.5, 0.75, 1, 1.5, 2, 3, 5, 7.5, 10, 15, 30, 60,
];
const BOUNDS = Float64Array.from(LATENCY_BOUNDS_S);
/** Histogram slots per bucket: one per bound plus the overflow. */
const SLOTS = BOUNDS.length + 1;
/**
 * Services tracked at most. A window is about 1 KiB; the cap bounds memory if a caller
 * ever records names a client made up. Beyond it, new services are not tracked.
 */
export const MAX_SERVICES = 10_000;

/** One service's recent numbers, as GET /api/discovery/stats shows them. */
export interface RecentStats {
  /** Requests per second over the window (or since the stats began, when that is shorter). */
  readonly requestRatePerS: number;
  /** Estimated 95th percentile latency in ms over the window; null with no request in it. */
  readonly p95Ms: number | null;
  /** Requests and 5xx answers inside the window. */
  readonly requests: number;
  readonly errors: number;
}

export interface RequestStats {
  /**
   * Hot path: counts one finished proxied request. O(1) and allocation-free once the
   * service has been seen (its first request allocates its window).
   */
  record(service: string, status: number, seconds: number): void;
  /** The service's numbers now; zeros and a null p95 for a service with no recent request. */
  recent(service: string): RecentStats;
  /** Services that have recorded at least one request. */
  services(): IterableIterator<string>;
  /** Forgets a service (when its last instance is gone), so churn of names does not accumulate. */
  forget(service: string): void;
}

interface ServiceWindow {
  /** The tick each bucket holds; -1 for never used. */
  readonly ticks: Float64Array;
  readonly requests: Uint32Array;
  readonly errors: Uint32Array;
  /** BUCKET_COUNT rows of SLOTS latency counts. */
  readonly latency: Uint32Array;
}

function createWindow(): ServiceWindow {
  return {
    ticks: new Float64Array(BUCKET_COUNT).fill(-1),
    requests: new Uint32Array(BUCKET_COUNT),
    errors: new Uint32Array(BUCKET_COUNT),
    latency: new Uint32Array(BUCKET_COUNT * SLOTS),
  };
}

/** The first histogram slot whose bound is >= seconds (binary search over the bounds). */
export function latencySlot(seconds: number): number {
  let lo = 0;
  let hi = BOUNDS.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (BOUNDS[mid]! < seconds) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

export function createRequestStats(clock: Clock = { now: () => Date.now() }): RequestStats {
  const windows = new Map<string, ServiceWindow>();
  const startedAt = clock.now();

  function claim(window: ServiceWindow, tick: number): number {
    const bucket = tick % BUCKET_COUNT;
    if (window.ticks[bucket] !== tick) {
      window.ticks[bucket] = tick;
      window.requests[bucket] = 0;
      window.errors[bucket] = 0;
      // A plain loop: `fill` on a subarray would allocate a view on the hot path.
      const base = bucket * SLOTS;
      for (let i = base; i < base + SLOTS; i++) window.latency[i] = 0;
    }
    return bucket;
  }

  return {
    record(service, status, seconds) {
      let window = windows.get(service);
      if (window === undefined) {
        if (windows.size >= MAX_SERVICES) return;
        window = createWindow();
        windows.set(service, window);
      }
      const bucket = claim(window, Math.floor(clock.now() / BUCKET_MS));
      window.requests[bucket]!++;
      if (status >= 500) window.errors[bucket]!++;
      window.latency[bucket * SLOTS + latencySlot(seconds)]!++;
    },

    recent(service) {
      const now = clock.now();
      const window = windows.get(service);
      const elapsedMs = Math.min(WINDOW_MS - BUCKET_MS + (now % BUCKET_MS), now - startedAt);
      if (window === undefined) return { requestRatePerS: 0, p95Ms: null, requests: 0, errors: 0 };
      const tick = Math.floor(now / BUCKET_MS);
      const histogram = new Uint32Array(SLOTS);
      let requests = 0;
      let errors = 0;
      for (let bucket = 0; bucket < BUCKET_COUNT; bucket++) {
        const age = tick - window.ticks[bucket]!;
        if (age < 0 || age >= BUCKET_COUNT) continue;
        requests += window.requests[bucket]!;
        errors += window.errors[bucket]!;
        for (let slot = 0; slot < SLOTS; slot++) histogram[slot]! += window.latency[bucket * SLOTS + slot]!;
      }
      // At least one second, so a burst right after start does not read as a huge rate.
      const seconds = Math.max(elapsedMs, 1000) / 1000;
      return {
        requestRatePerS: requests / seconds,
        p95Ms: quantileMs(histogram, requests, 0.95),
        requests,
        errors,
      };
    },

    services() {
      return windows.keys();
    },

    forget(service) {
      windows.delete(service);
    },
  };
}

/** Estimates a quantile from histogram counts, interpolating linearly inside the slot that holds it. */
export function quantileMs(histogram: Uint32Array, total: number, q: number): number | null {
  if (total === 0) return null;
  const rank = Math.max(1, Math.ceil(q * total));
  let below = 0;
  for (let slot = 0; slot < histogram.length; slot++) {
    const count = histogram[slot]!;
    if (below + count >= rank) {
      if (slot >= BOUNDS.length) return BOUNDS[BOUNDS.length - 1]! * 1000;
      const lower = slot === 0 ? 0 : BOUNDS[slot - 1]!;
      const upper = BOUNDS[slot]!;
      return (lower + ((upper - lower) * (rank - below)) / count) * 1000;
    }
    below += count;
  }
  return BOUNDS[BOUNDS.length - 1]! * 1000;
}
